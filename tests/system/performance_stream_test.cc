// 311.performance as an analyst reads it with `ledger tail`, on each log:
// the server is killed with SIGKILL right after commands change the views,
// round after round; afterwards the latest record of every department-day
// on the topic equals that day as GET /v1/departments/{code}/performance
// shows it, and every department-day the views hold has a record. A late
// event republishes the day it belongs to.

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

constexpr int kRounds = 4;
const char* const kDays[] = {"2026-11-02", "2026-11-03", "2026-11-04"};

json Pothole(const std::string& day, int hour) {
  return {{"service_code", "pothole"},
          {"description", "pothole"},
          {"location", {{"address", "1 Main St"}}},
          {"attributes", {{"size", "up to 2 feet across"}, {"position", "travel lane"}}},
          {"occurred_at", day + "T" + (hour < 10 ? "0" : "") + std::to_string(hour) + ":00:00.000Z"}};
}

// A day of the API (with its backlog_change: its backlog minus the day
// before's) as 311.performance publishes it: without the backlog.
json AsPublished(json period) {
  period.erase("start");
  period.erase("end");
  period.erase("backlog");
  return period;
}

class PerformanceStreamTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    settings_ = TestSettings(dir_.Sub("data"), GetParam());
    ledger_ = std::make_unique<LedgerCommand>(WriteSettingsFile(dir_.path(), settings_), settings_);
  }

  // The latest record of each "<dept>/<day>" on 311.performance.
  std::map<std::string, json> Latest() {
    auto tail = ledger_->Run("tail", {"--topic", "311.performance"});
    EXPECT_EQ(tail.exit_code, 0) << tail.err;
    std::map<std::string, json> latest;
    for (auto& e : JsonLines(tail.out)) {
      EXPECT_EQ(e["type"], "gov311.performance.day_changed.v1");
      latest[e["subject"]] = e["data"];
    }
    return latest;
  }

  // Polls until every department-day of the views has its current figures
  // as the latest record on the topic (at most 20 s).
  void ExpectTopicMatchesViews(ServedLedger& server) {
    auto client = server.Client();
    std::map<std::string, json> views;
    for (const char* department : {"DOT", "DSW"}) {
      json days = client.Get(std::string("/v1/departments/") + department +
                             "/performance?from=2026-11-01&to=2026-11-05").Json();
      int64_t before = 0;  // nothing was held before 2026-11-01
      for (auto& period : days["periods"]) {
        int64_t backlog = period["backlog"];
        period["backlog_change"] = backlog - before;
        before = backlog;
        if (period["opened"] != 0 || period["closed"] != 0 || period["transferred_in"] != 0 ||
            period["transferred_out"] != 0)
          views[std::string(department) + "/" + period["start"].get<std::string>()] = period;
      }
    }
    ASSERT_FALSE(views.empty());
    std::map<std::string, json> latest;
    for (int i = 0; i < 100; ++i) {
      latest = Latest();
      bool all = true;
      for (auto& [key, period] : views) {
        auto it = latest.find(key);
        all = all && it != latest.end() && it->second["figures"] == AsPublished(period);
      }
      if (all) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (auto& [key, period] : views)
      EXPECT_TRUE(latest.count(key)) << key << " was never published";
    for (auto& [key, data] : latest)
      if (views.count(key)) EXPECT_EQ(data["figures"], AsPublished(views[key])) << key;
  }

  TempDir dir_;
  app::Settings settings_;
  std::unique_ptr<LedgerCommand> ledger_;
};

TEST_P(PerformanceStreamTest, EveryChangedDepartmentDayIsPublishedAcrossKills) {
  std::mt19937_64 rng(7);
  for (int round = 1; round <= kRounds; ++round) {
    ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
    auto client = server.Client();
    for (int i = 0; i < 6; ++i) {
      const char* day = kDays[rng() % 3];
      auto r = client.Post("/v1/requests", Pothole(day, 13 + static_cast<int>(rng() % 8)));
      ASSERT_EQ(r.status, 201) << r.body;
      std::string id = r.Json()["request"]["id"];
      if (rng() % 2)
        ASSERT_EQ(client.Post("/v1/requests/" + id + "/events",
                              {{"command", "route"}, {"to_department", "DSW"}, {"reason", "trash"},
                               {"occurred_at", std::string(kDays[2]) + "T22:00:00.000Z"}}).status, 200);
    }
    // Killed at once: the last changes may not be published yet.
    EXPECT_EQ(server.Kill().signal, SIGKILL);
  }
  ServedLedger server(LEDGER_BINARY, ledger_->settings_path());
  ExpectTopicMatchesViews(server);
  // A close that happened on the 2nd, recorded now, republishes the 2nd.
  auto client = server.Client();
  auto r = client.Post("/v1/requests", Pothole(kDays[0], 14));
  ASSERT_EQ(r.status, 201);
  std::string id = r.Json()["request"]["id"];
  ASSERT_EQ(client.Post("/v1/requests/" + id + "/events",
                        {{"command", "close"}, {"occurred_at", std::string(kDays[0]) + "T20:00:00.000Z"}}).status, 200);
  ExpectTopicMatchesViews(server);
  EXPECT_GE(Latest()["DOT/2026-11-02"]["figures"]["closed"], 1);
  EXPECT_EQ(server.Terminate().exit_code, 0);
  ExpectRebuildEqualsLiveState(*ledger_);
}

INSTANTIATE_TEST_SUITE_P(Backends, PerformanceStreamTest, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
