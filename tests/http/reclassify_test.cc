// A request routed to another service (reclassified) takes the new
// service's deadline, counted from its submission; a breach of the old
// deadline stays recorded, the new deadline gets its own, and the service
// views move the request from the old service to the new one.
#include <gtest/gtest.h>

#include <thread>

#include "events/event.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;

class Reclassify : public ::testing::TestWithParam<Backend> {};

json Route(HttpClient& client, const std::string& id, json command, int status = 200) {
  command["command"] = "route";
  auto r = client.Post("/v1/requests/" + id + "/events", command);
  EXPECT_EQ(r.status, status) << command.dump() << ": " << r.body;
  return r.Json();
}

// The deadlines of the request's sla.breached events, once there are `n`.
std::vector<std::string> Breaches(HttpClient& client, const std::string& id, size_t n) {
  std::vector<std::string> deadlines;
  for (int i = 0; i < 500 && deadlines.size() < n; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    deadlines.clear();
    json history = client.Get("/v1/requests/" + id + "/history").Json();
    for (const auto& e : history["events"])
      if (e["type"] == "gov311.sla.breached.v1") deadlines.push_back(e["data"]["deadline"]);
  }
  return deadlines;
}

json Total(HttpClient& client, const std::string& view) {
  for (int i = 0; i < 200; ++i) {  // the views follow the log within a batch
    auto r = client.Get(view + "/performance?granularity=range");
    EXPECT_EQ(r.status, 200) << view << ": " << r.body;
    json total = r.Json()["total"];
    if (total["transferred_in"].get<int>() + total["transferred_out"].get<int>() > 0 || i == 199) return total;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

TEST_P(Reclassify, TheNewServiceSetsTheDeadlineFromSubmissionAndTheOldBreachStands) {
  LedgerUnderTest ledger(GetParam(), [](app::Settings& s) { s.sla_check_interval_ms = 50; });
  auto client = ledger.Client();
  std::string submitted_at = events::FormatTime(events::NowMs() - 20 * kDayMs);
  json pothole = PotholeRequest();
  pothole["occurred_at"] = submitted_at;
  auto r = client.Post("/v1/requests", pothole);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = r.Json()["request"]["id"];
  std::string pothole_deadline = r.Json()["request"]["sla_deadline"];
  ASSERT_EQ(Breaches(client, id, 1), std::vector<std::string>{pothole_deadline}) << "72 business hours passed";
  // The deadline traffic-calming sets for a request submitted then.
  json calming = {{"service_code", "traffic-calming"}, {"description", "speeding"},
                  {"location", {{"address", "1 Elm St"}}}, {"occurred_at", submitted_at}};
  r = client.Post("/v1/requests", calming);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string calming_deadline = r.Json()["request"]["sla_deadline"];

  json state = Route(client, id, {{"to_service", "traffic-calming"}, {"reason", "a speed study, not a pothole"}});
  EXPECT_EQ(state["request"]["service_code"], "traffic-calming");
  EXPECT_EQ(state["request"]["service_name"], "Traffic calming or speed study request");
  EXPECT_EQ(state["request"]["department"], "DOT") << "the new service's department";
  EXPECT_EQ(state["request"]["sla_deadline"], calming_deadline);
  EXPECT_EQ(state["request"]["sla_breached_deadline"], pothole_deadline) << "the old breach stands";
  EXPECT_EQ(state["request"]["overdue"], false);
  json listed = client.Get("/v1/requests?service_code=traffic-calming").Json();
  EXPECT_EQ(listed["requests"].size(), 2u);
  EXPECT_TRUE(client.Get("/v1/requests?service_code=pothole").Json()["requests"].empty());

  // Refused, and nothing appended: no such service, the same service, an agency, nothing named.
  Route(client, id, {{"to_service", "no-such-service"}, {"reason", "x"}}, 400);
  Route(client, id, {{"to_service", "traffic-calming"}, {"reason", "x"}}, 409);
  Route(client, id, {{"to_service", "pothole"}, {"to_department", "SHA"}, {"reason", "x"}}, 400);
  Route(client, id, {{"reason", "x"}}, 400);
  Route(client, id, {{"to_service", std::string("pothole\0", 8)}, {"reason", "x"}}, 400);
  EXPECT_EQ(client.Get("/v1/requests/" + id).Json()["version"], 3);

  // To a one-day service in another department: that deadline passed long ago.
  state = Route(client, id, {{"to_service", "traffic-signal"}, {"to_department", "DSW"}, {"reason", "signal"}});
  std::string signal_deadline = state["request"]["sla_deadline"];
  EXPECT_EQ(state["request"]["department"], "DSW");
  EXPECT_LT(signal_deadline, calming_deadline);
  auto breaches = Breaches(client, id, 2);
  EXPECT_EQ(breaches, (std::vector<std::string>{pothole_deadline, signal_deadline}));
  json overdue = client.Get("/v1/requests?overdue=true&department=DSW").Json();
  ASSERT_EQ(overdue["requests"].size(), 1u);
  EXPECT_EQ(overdue["requests"][0]["id"], id);

  // The service views move the request; the department views see one route.
  EXPECT_EQ(Total(client, "/v1/services/pothole")["transferred_out"], 1);
  json calming_total = Total(client, "/v1/services/traffic-calming");
  EXPECT_EQ(calming_total["transferred_in"], 1);
  EXPECT_EQ(calming_total["transferred_out"], 1);
  EXPECT_EQ(calming_total["backlog"], 1) << "the other traffic-calming request";
  json signal_total = Total(client, "/v1/services/traffic-signal");
  EXPECT_EQ(signal_total["transferred_in"], 1);
  EXPECT_EQ(signal_total["backlog"], 1);
  EXPECT_EQ(signal_total["breached"], 1);
  json dot = Total(client, "/v1/departments/DOT");
  EXPECT_EQ(dot["transferred_out"], 1);
  EXPECT_EQ(dot["transferred_in"], 0);
  EXPECT_EQ(dot["breached"], 1);
  EXPECT_EQ(Total(client, "/v1/departments/DSW")["transferred_in"], 1);

  // Back to pothole: its deadline again, breached already, so no second breach of it.
  state = Route(client, id, {{"to_service", "pothole"}, {"reason", "a pothole after all"}});
  EXPECT_EQ(state["request"]["sla_deadline"], pothole_deadline);
  EXPECT_EQ(state["request"]["sla_breached_deadlines"], (json{pothole_deadline, signal_deadline}));
  EXPECT_EQ(state["request"]["overdue"], true);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // six SLA checks
  EXPECT_EQ(Breaches(client, id, 2), breaches);
  state = Route(client, id, {{"to_service", "traffic-signal"}, {"reason", "the signal after all"}});
  EXPECT_EQ(state["request"]["sla_deadline"], signal_deadline);

  // A replay folds the same state and fires nothing again.
  json before = client.Get("/v1/requests/" + id).Json();
  ledger.Stop();
  ASSERT_TRUE(app::Replay(ledger.settings()).ok());
  ledger.Restart();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // six SLA checks
  EXPECT_EQ(client.Get("/v1/requests/" + id).Json(), before);
  EXPECT_EQ(Breaches(client, id, 2), breaches);
}

INSTANTIATE_TEST_SUITE_P(Backends, Reclassify, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
