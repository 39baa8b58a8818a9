// SLA timers on the real `ledger` binary, on each log: deadlines pass while
// the server runs, while clients close the same requests, and while the
// server is killed with SIGKILL, round after round. In the end every
// request that was open past its deadline has exactly one sla.breached for
// it in the log, none has two, none was breached after it closed, and a
// rebuild (which fires no timer) equals the live state.
//
// LEDGER_CRASH_SEED=<n> repeats a run (the seed is printed).

#include <signal.h>

#include <iostream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "events/event.h"
#include "tests/system/audit.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

constexpr int kRounds = 8;
constexpr int64_t kDayMs = 86'400'000;

// traffic-signal has a one-calendar-day SLA: submitted a day minus `ms_ahead`
// ago, its deadline is `ms_ahead` from now (in a month without a DST change).
json SignalReport(int64_t now_ms, int64_t ms_ahead) {
  return {{"service_code", "traffic-signal"},
          {"description", "dark signal"},
          {"location", {{"address", "Main and 1st"}}},
          {"attributes", {{"problem", "dark"}}},
          {"occurred_at", events::FormatTime(now_ms - kDayMs + ms_ahead)}};
}

class SlaTimerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    settings_ = TestSettings(dir_.Sub("data"), GetParam());
    settings_.sla_check_interval_ms = 50;
    ledger_ = std::make_unique<LedgerCommand>(WriteSettingsFile(dir_.path(), settings_), settings_);
    seed_ = SeedFromEnvironmentOrRandom();
    std::cout << "sla timer test seed: " << seed_ << " (LEDGER_CRASH_SEED=" << seed_ << " repeats it)\n";
  }

  // One round: deadlines passing from 1 s ago to 0.6 s ahead, a client
  // closing some of the requests as they go, SIGKILL after a random delay.
  void Round(int round, std::mt19937_64& rng) {
    ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
    auto client = server.Client();
    int delay = std::uniform_int_distribution<int>(200, 900)(rng);
    auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay);
    std::uniform_int_distribution<int64_t> ahead(-1000, 600);
    std::bernoulli_distribution close(0.3);
    int submitted = 0;
    while (std::chrono::steady_clock::now() < kill_at) {
      auto r = client.Post("/v1/requests", SignalReport(events::NowMs(), ahead(rng)));
      if (r.status != 201) break;  // killed mid-request is only possible after kill_at
      ++submitted;
      if (close(rng)) {
        std::string id = r.Json()["request"]["id"];
        auto closed = client.Post("/v1/requests/" + id + "/events", {{"command", "close"}});
        EXPECT_TRUE(closed.status == 200 || closed.status == 409) << closed.body;
      }
    }
    ProcessResult killed = server.Kill();
    EXPECT_EQ(killed.signal, SIGKILL) << "round " << round << ": " << killed.err;
    std::cout << "round " << round << ": " << submitted << " submitted, killed after " << delay << " ms\n";
  }

  // Per request: its breaches in the log, whether it was closed before its
  // first breach, its deadline, and whether it is open now.
  struct Audit {
    int requests = 0, breached = 0, open_past_deadline = 0;
  };
  Audit Check(ServedLedger& server) {
    Audit audit;
    auto tail = ledger_->Run("tail", {"--topic", "311.requests"});
    EXPECT_EQ(tail.exit_code, 0) << tail.err;
    std::map<std::string, std::vector<json>> streams;
    for (auto& line : JsonLines(tail.out)) streams[line["subject"]].push_back(line);
    auto client = server.Client();
    int64_t now = events::NowMs();
    for (auto& [id, stream] : streams) {
      ++audit.requests;
      std::map<std::string, int> breaches;  // deadline -> count
      bool closed = false;
      for (const auto& e : stream) {
        if (e["type"] == "gov311.request.closed.v1") closed = true;
        if (e["type"] != "gov311.sla.breached.v1") continue;
        EXPECT_FALSE(closed) << id << ": breached after it was closed";
        ++breaches[e["data"]["deadline"]];
        EXPECT_EQ(e["time"], e["data"]["deadline"]) << id << ": a breach is timed at its deadline";
        EXPECT_EQ(e["actor"], "system:sla-timer");
      }
      for (const auto& [deadline, n] : breaches) EXPECT_EQ(n, 1) << id << ": deadline " << deadline;
      audit.breached += breaches.empty() ? 0 : 1;
      json state = client.Get("/v1/requests/" + id).Json();
      auto deadline = events::ParseTime(state["sla_deadline"].get<std::string>());
      bool open = state["status"] != "closed";
      if (open && deadline.ok() && *deadline < now) {
        ++audit.open_past_deadline;
        EXPECT_EQ(breaches.size(), 1u) << id << " is open past its deadline " << state["sla_deadline"];
        EXPECT_EQ(state["sla_breached_deadline"], state["sla_deadline"]) << id;
      }
      if (deadline.ok() && *deadline >= now) EXPECT_TRUE(breaches.empty()) << id << ": breached early";
    }
    return audit;
  }

  TempDir dir_;
  app::Settings settings_;
  std::unique_ptr<LedgerCommand> ledger_;
  uint64_t seed_ = 0;
};

TEST_P(SlaTimerTest, KillsAroundDeadlinesNeitherLoseNorDoubleABreach) {
  std::mt19937_64 rng(seed_);
  for (int round = 1; round <= kRounds; ++round) {
    Round(round, rng);
    if (HasFatalFailure()) return;
  }
  Audit audit;
  {
    ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
    // Every deadline is past by now; give the timer a few turns to record them.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_TRUE(WaitUntilProjected(server));
    audit = Check(server);
    EXPECT_EQ(server.Terminate().exit_code, 0);
  }
  std::cout << audit.requests << " requests, " << audit.breached << " breached, " << audit.open_past_deadline
            << " open past their deadline\n";
  EXPECT_GT(audit.open_past_deadline, kRounds) << "too few deadlines passed to prove anything";
  ExpectRebuildEqualsLiveState(*ledger_);
  // After the replay the timer finds nothing more to record.
  ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(WaitUntilProjected(server));
  Audit again = Check(server);
  EXPECT_EQ(again.breached, audit.breached);
  EXPECT_EQ(server.Client().Get("/healthz").Json()["sla_timer"]["breaches_recorded"], 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SlaTimerTest, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
