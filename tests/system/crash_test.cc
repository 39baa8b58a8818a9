// The durability promise, proved on the real `ledger` binary on each log
// backend: the server is killed with SIGKILL at random moments while
// clients ingest, round after round on the same data directory (and on
// Kafka the same topics). Afterwards no acknowledged event is lost, none is
// applied twice, and the live state equals a rebuild.
//
// LEDGER_CRASH_SEED=<n> repeats a run (the seed is printed).

#include <signal.h>

#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/system/audit.h"

namespace ledger::testing {
namespace {

constexpr int kRounds = 24;  // per backend: about 11 s embedded, 20 s on Kafka
constexpr int kClients = 4;
constexpr int kMinKillDelayMs = 50;
constexpr int kMaxKillDelayMs = 400;

class CrashTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    settings_ = TestSettings(dir_.Sub("data"), GetParam());
    ledger_ = std::make_unique<LedgerCommand>(WriteSettingsFile(dir_.path(), settings_), settings_);
    seed_ = SeedFromEnvironmentOrRandom();
    std::cout << "crash test seed: " << seed_ << " (LEDGER_CRASH_SEED=" << seed_
              << " repeats it)\n";
    RecordProperty("seed", std::to_string(seed_));
    if (GetParam() == Backend::kKafka)
      std::cout << "topics: " << settings_.kafka.topic_prefix << "* at " << settings_.kafka.brokers << "\n";
  }

  // One round: serve, ingest from every client, SIGKILL after a random delay.
  void KillDuringIngest(int round, std::mt19937_64& rng, std::vector<IntakeClient>& clients) {
    ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
    AnswerCounts counts;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& c : clients) {
      uint64_t seed = rng();
      threads.emplace_back([&, seed] { c.Run(server.port(), seed, acks_, counts, stop); });
    }
    int delay = std::uniform_int_distribution<int>(kMinKillDelayMs, kMaxKillDelayMs)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    int on_the_wire = counts.in_flight.load();
    ProcessResult killed = server.Kill();
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(killed.signal, SIGKILL) << "round " << round << ": the server ended on its own: "
                                      << killed.err;
    counts.ReportUnexpected("round " + std::to_string(round));
    // Nothing is wrong with the log here: a refusal would be a server fault.
    EXPECT_EQ(counts.unavailable, 0) << "round " << round << ": writes were refused";
    cut_off_ += on_the_wire;
    std::cout << "round " << round << ": killed after " << delay << " ms, " << counts.acked
              << " acknowledged, " << on_the_wire << " on the wire, " << counts.conflicts
              << " conflicts\n";
  }

  TempDir dir_;
  app::Settings settings_;
  std::unique_ptr<LedgerCommand> ledger_;
  uint64_t seed_ = 0;
  Acknowledgements acks_;
  int cut_off_ = 0;
};

TEST_P(CrashTest, KillsDuringConcurrentIngestLoseNothingAcknowledgedAndApplyNothingTwice) {
  std::mt19937_64 rng(seed_);
  std::vector<IntakeClient> clients;
  for (int i = 0; i < kClients; ++i) clients.emplace_back(i);
  for (int round = 1; round <= kRounds; ++round) {
    KillDuringIngest(round, rng, clients);
    if (HasFatalFailure()) return;
  }
  ASSERT_GT(acks_.events().size(), static_cast<size_t>(kRounds))
      << "the clients got almost nothing stored";
  EXPECT_GT(cut_off_, 0) << "no kill caught a request on the wire";
  std::cout << acks_.events().size() << " events acknowledged, " << cut_off_
            << " requests cut off by kills\n";

  ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
  ExpectLedgerHoldsAcknowledged(server, *ledger_, acks_);
  ProcessResult stopped = server.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  ExpectRebuildEqualsLiveState(*ledger_);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
