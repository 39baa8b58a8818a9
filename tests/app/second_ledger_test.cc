// Two ledgers on the same Kafka topics by mistake (the same topic_prefix,
// each with its own data directory): the one that starts second fences the
// first, which refuses every later write with a clear reason and never
// fences back, so the topics keep one writer and no request's history forks.

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

json Note(const std::string& text, uint64_t expected_version) {
  return {{"command", "add_note"}, {"text", text}, {"visibility", "public"},
          {"expected_version", expected_version}};
}

TEST(SecondLedger, OnTheSameTopicsFencesTheFirstWhichStaysFencedAndNothingForks) {
  TempDir first_dir, second_dir;
  app::Settings first_settings = TestSettings(first_dir.path() + "/data", Backend::kKafka);
  app::Settings second_settings = first_settings;
  second_settings.data_dir = second_dir.path() + "/data";

  LedgerUnderTest first(first_settings);
  HttpClient a = first.Client();
  auto created = a.Post("/v1/requests", PotholeRequest());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.Json()["request"]["id"];

  LedgerUnderTest second(second_settings);
  HttpClient b = second.Client();
  // The second ledger reads the first one's request and writes on from its head.
  HttpReply noted;
  for (int i = 0; i < 100; ++i) {
    noted = b.Post("/v1/requests/" + id + "/events", Note("by the second ledger", 1));
    if (noted.status != 503) break;  // catching up with the first one's events
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(noted.status, 200) << noted.body;

  // The first one is fenced: 503 naming the reason, and it stays so.
  for (int round = 0; round < 3; ++round) {
    auto refused = a.Post("/v1/requests", PotholeRequest());
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_NE(refused.body.find("a second ledger writes the same topics"), std::string::npos)
        << refused.body;
  }
  auto health = a.Get("/healthz");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_NE(health.body.find("a second ledger writes the same topics"), std::string::npos) << health.body;

  // It never fenced the second back: the second one still writes.
  auto again = b.Post("/v1/requests/" + id + "/events", Note("still the second ledger", 2));
  ASSERT_EQ(again.status, 200) << again.body;
  json history = b.Get("/v1/requests/" + id + "/history").Json()["events"];
  ASSERT_EQ(history.size(), 3u) << history.dump();
  for (size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i]["sequence"], i + 1) << history.dump();

  // The department routers too: the first one stops and says why, rather
  // than fencing the second back (the two would take turns for good).
  auto router_status = [](HttpClient& client) {
    json health = client.Get("/healthz").Json();
    return health.contains("department_router") ? health["department_router"]["status"].get<std::string>() : "";
  };
  std::string first_router;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    first_router = router_status(a);
    if (first_router.find("department router stopped") != std::string::npos) break;
  }
  EXPECT_NE(first_router.find("another router with its Kafka transactional id took over"), std::string::npos)
      << first_router;
  // The second one routes on: a new event of the request reaches its department's topic.
  uint64_t routed_before = b.Get("/healthz").Json()["department_router"]["events_routed"];
  ASSERT_EQ(b.Post("/v1/requests/" + id + "/events", Note("routed by the second", 3)).status, 200);
  bool routed = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !routed && std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(200)))
    routed = b.Get("/healthz").Json()["department_router"]["events_routed"].get<uint64_t>() > routed_before;
  EXPECT_TRUE(routed) << "the second ledger's router does not route";
  EXPECT_EQ(router_status(b), "ok");
  EXPECT_NE(router_status(a).find("department router stopped"), std::string::npos) << "the first router came back";
}

}  // namespace
}  // namespace ledger::testing
