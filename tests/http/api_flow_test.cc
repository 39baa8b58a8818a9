// The API as an intake agent and a department use it, over a real socket.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "events/event.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

std::string Submit(HttpClient& client, json body = PotholeRequest()) {
  auto r = client.Post("/v1/requests", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json()["request"]["id"].get<std::string>();
}

HttpReply Command(HttpClient& client, const std::string& id, json body) {
  return client.Post("/v1/requests/" + id + "/events", body);
}

class RequestApi : public ::testing::TestWithParam<Backend> {};
class ContactApi : public ::testing::TestWithParam<Backend> {};
class ServiceApi : public ::testing::TestWithParam<Backend> {};

TEST_P(RequestApi, SubmitAnswersWithStateUrlAndLogPositionAfterProjection) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto r = client.Post("/v1/requests", PotholeRequest());
  ASSERT_EQ(r.status, 201) << r.body;
  json body = r.Json();
  std::string id = body["request"]["id"];
  EXPECT_EQ(id.rfind("SR-", 0), 0u);
  EXPECT_EQ(body["url"], "/v1/requests/" + id);
  EXPECT_EQ(r.headers["location"], "/v1/requests/" + id);
  EXPECT_EQ(body["position"]["topic"], "311.requests");
  EXPECT_EQ(body["position"]["offset"], 0);
  EXPECT_EQ(body["request"]["department"], "DOT");
  EXPECT_EQ(body["request"]["status"], "open");
  EXPECT_EQ(body["request"]["version"], 1);
  EXPECT_FALSE(body["request"]["overdue"].get<bool>());
  // Read your own write: the state is there at once.
  auto got = client.Get("/v1/requests/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Json()["service_code"], "pothole");
  EXPECT_FALSE(got.Json()["sla_deadline"].is_null());
  // The command's answer shows the request as a read right after it does.
  EXPECT_EQ(got.Json(), body["request"]);
}

TEST_P(RequestApi, PotholeWalksThroughRouteAssignCloseAndHistoryShowsTheChain) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string id = Submit(client);
  auto routed = Command(client, id, {{"command", "route"}, {"to_department", "DSW"},
                                     {"reason", "debris, not a pothole"}, {"expected_version", 1}});
  ASSERT_EQ(routed.status, 200) << routed.body;
  EXPECT_EQ(routed.Json()["request"]["department"], "DSW");
  auto assigned = Command(client, id, {{"command", "assign"}, {"assignee", "crew-7"}});
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(assigned.Json()["request"]["assignee"], "crew-7");
  auto closed = Command(client, id, {{"command", "close"}, {"resolution_code", "repaired"}});
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["request"]["status"], "closed");
  EXPECT_EQ(closed.Json()["request"]["version"], 4);

  auto history = client.Get("/v1/requests/" + id + "/history");
  ASSERT_EQ(history.status, 200);
  auto events = history.Json()["events"];
  ASSERT_EQ(events.size(), 4u);
  std::vector<std::string> types;
  std::string prev;
  for (auto& e : events) {
    types.push_back(e["type"]);
    EXPECT_EQ(e["specversion"], "1.0");
    EXPECT_EQ(e["subject"], id);
    EXPECT_FALSE(e["actor"].get<std::string>().empty());
    auto event = events::FromJson(e);
    ASSERT_TRUE(event.ok());
    EXPECT_TRUE(events::VerifyLink(*event, prev)) << "hash chain broken at " << e["sequence"];
    prev = event->hash;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"gov311.request.submitted.v1", "gov311.request.routed.v1",
                                             "gov311.request.assigned.v1", "gov311.request.closed.v1"}));
}

TEST_P(RequestApi, StaleExpectedVersionGets409AndAppendsNothing) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string id = Submit(client);
  ASSERT_EQ(Command(client, id, {{"command", "assign"}, {"assignee", "crew-1"}}).status, 200);
  auto stale = Command(client, id, {{"command", "assign"}, {"assignee", "crew-2"}, {"expected_version", 1}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(stale.Json()["error"]["code"], "conflict");
  auto state = client.Get("/v1/requests/" + id).Json();
  EXPECT_EQ(state["version"], 2);
  EXPECT_EQ(state["assignee"], "crew-1");
  EXPECT_EQ(client.Get("/v1/requests/" + id + "/history").Json()["events"].size(), 2u);
}

TEST_P(ContactApi, PhoneCallCreatesRequestAndASecondCallLinksToIt) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto first = client.Post("/v1/contacts", {{"channel", "phone"}, {"language", "es"},
                                            {"agent", "ana"}, {"wait_seconds", 42},
                                            {"handle_seconds", 185}, {"outcome", "created_request"},
                                            {"request", PotholeRequest()}});
  ASSERT_EQ(first.status, 201) << first.body;
  std::string id = first.Json()["request"]["id"];
  EXPECT_EQ(first.Json()["request"]["channel"], "phone");
  auto second = client.Post("/v1/contacts", {{"channel", "web"}, {"language", "en"},
                                             {"outcome", "linked_to_request"}, {"request_id", id}});
  ASSERT_EQ(second.status, 201) << second.body;
  auto state = client.Get("/v1/requests/" + id).Json();
  EXPECT_EQ(state["contact_count"], 2);
  auto info = client.Post("/v1/contacts", {{"channel", "walk_in"}, {"language", "en"},
                                           {"outcome", "information"}, {"summary", "asked about hours"}});
  EXPECT_EQ(info.status, 201) << info.body;
  EXPECT_FALSE(info.Json().contains("request"));
}

TEST_P(RequestApi, DuplicateShowsOnParentAndReopenCountsAfterClose) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string parent = Submit(client), child = Submit(client);
  auto marked = Command(client, child, {{"command", "mark_duplicate"}, {"parent_id", parent}});
  ASSERT_EQ(marked.status, 200) << marked.body;
  EXPECT_EQ(marked.Json()["request"]["parent_id"], parent);
  EXPECT_EQ(client.Get("/v1/requests/" + parent).Json()["duplicates"], json::array({child}));
  ASSERT_EQ(Command(client, parent, {{"command", "resolve"}, {"resolution_code", "patched"}}).status, 200);
  ASSERT_EQ(Command(client, parent, {{"command", "close"}}).status, 200);
  auto reopened = Command(client, parent, {{"command", "reopen"}, {"reason", "pothole is back"}});
  ASSERT_EQ(reopened.status, 200) << reopened.body;
  EXPECT_EQ(reopened.Json()["request"]["status"], "open");
  EXPECT_EQ(reopened.Json()["request"]["reopened_count"], 1);
  auto survey = Command(client, parent, {{"command", "record_survey"}, {"score", 4}});
  ASSERT_EQ(survey.status, 200) << survey.body;
  EXPECT_EQ(survey.Json()["request"]["survey_score"], 4);
}

TEST_P(RequestApi, EventsSurviveARestartOfTheServer) {
  LedgerUnderTest ledger(GetParam());
  std::string id;
  {
    auto client = ledger.Client();
    id = Submit(client);
    ASSERT_EQ(Command(client, id, {{"command", "change_status"}, {"status", "in_progress"}}).status, 200);
  }
  ledger.Restart();
  auto client = ledger.Client();
  auto state = client.Get("/v1/requests/" + id);
  ASSERT_EQ(state.status, 200);
  EXPECT_EQ(state.Json()["status"], "in_progress");
  EXPECT_EQ(state.Json()["version"], 2);
}

TEST_P(RequestApi, StartWithLostStateServesOnlyOnceTheLogIsProjected) {
  LedgerUnderTest ledger(GetParam());
  std::vector<std::string> ids;
  {
    auto client = ledger.Client();
    for (int i = 0; i < 300; ++i) ids.push_back(Submit(client));
  }
  ledger.Stop();
  std::filesystem::remove_all(ledger.settings().state_dir());
  ledger.Restart();
  auto client = ledger.Client();
  auto last = client.Get("/v1/requests/" + ids.back());
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_EQ(last.Json()["version"], 1);
  EXPECT_EQ(client.Get("/v1/requests?service_code=pothole&limit=500").Json()["requests"].size(), 300u);
}

TEST_P(RequestApi, StopDuringConcurrentIngestKeepsEveryAnsweredRequest) {
  LedgerUnderTest ledger(GetParam());
  std::mutex mu;
  std::vector<std::string> answered;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      HttpClient client("127.0.0.1", ledger.port(), kTestKey);
      while (!stop) {
        auto r = client.Post("/v1/requests", PotholeRequest());
        if (r.status == 0) return;  // the server went away
        if (r.status == 201) {
          std::lock_guard lock(mu);
          answered.push_back(r.Json()["request"]["id"]);
        }
      }
    });
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (answered.size() >= 200) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ledger.Stop();  // with appends in flight: must neither crash nor lose an answered one
  stop = true;
  for (auto& c : clients) c.join();
  ledger.Restart();
  auto client = ledger.Client();
  for (const auto& id : answered) EXPECT_EQ(client.Get("/v1/requests/" + id).status, 200) << id;
}

TEST_P(ServiceApi, CatalogHealthAndMetricsAnswer) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto catalog = client.Get("/v1/catalog");
  ASSERT_EQ(catalog.status, 200);
  EXPECT_GE(catalog.Json()["services"].size(), 50u);
  EXPECT_GE(catalog.Json()["departments"].size(), 15u);
  auto health = ledger.Client("").Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Json()["status"], "ok");
  Submit(client);
  auto metrics = client.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("ledger_events_appended_total 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("ledger_projection_lag_events"), std::string::npos);
  EXPECT_NE(metrics.body.find("ledger_http_requests_total{method=\"POST\",route=\"/v1/requests\",status=\"201\"} 1"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("ledger_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/requests\""),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, RequestApi, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });
INSTANTIATE_TEST_SUITE_P(Backends, ContactApi, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });
INSTANTIATE_TEST_SUITE_P(Backends, ServiceApi, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
