// GET /v1/requests as a supervisor uses it: by department and status, what
// is overdue, by service and creation time, page by page.
#include <gtest/gtest.h>

#include <set>

#include "events/event.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

std::string Submit(HttpClient& client, const std::string& service, int64_t days_ago) {
  json body = PotholeRequest();
  body["service_code"] = service;
  if (days_ago > 0)
    body["occurred_at"] = events::FormatTime(events::NowMs() - days_ago * 86400000LL);
  auto r = client.Post("/v1/requests", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json()["request"]["id"];
}

std::set<std::string> Ids(const json& page) {
  std::set<std::string> ids;
  for (auto& r : page["requests"]) ids.insert(r["id"].get<std::string>());
  return ids;
}

class RequestQueryApi : public ::testing::TestWithParam<Backend> {};

TEST_P(RequestQueryApi, OverdueListsOpenRequestsPastTheirDeadlineOnly) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string late = Submit(client, "pothole", 40);
  std::string late_closed = Submit(client, "pothole", 40);
  std::string fresh = Submit(client, "pothole", 0);
  ASSERT_EQ(client.Post("/v1/requests/" + late_closed + "/events", {{"command", "close"}}).status, 200);
  auto page = client.Get("/v1/requests?overdue=true");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(Ids(page.Json()), std::set<std::string>{late});
  EXPECT_TRUE(client.Get("/v1/requests/" + late).Json()["overdue"].get<bool>());
  EXPECT_FALSE(client.Get("/v1/requests/" + fresh).Json()["overdue"].get<bool>());
}

TEST_P(RequestQueryApi, DepartmentAndStatusFollowRoutingAndStatusChanges) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string a = Submit(client, "pothole", 0), b = Submit(client, "pothole", 0);
  ASSERT_EQ(client.Post("/v1/requests/" + b + "/events",
                        {{"command", "route"}, {"to_department", "DSW"}, {"reason", "trash"}}).status, 200);
  ASSERT_EQ(client.Post("/v1/requests/" + a + "/events",
                        {{"command", "change_status"}, {"status", "in_progress"}}).status, 200);
  EXPECT_EQ(Ids(client.Get("/v1/requests?department=DOT").Json()), std::set<std::string>{a});
  EXPECT_EQ(Ids(client.Get("/v1/requests?department=DSW").Json()), std::set<std::string>{b});
  EXPECT_EQ(Ids(client.Get("/v1/requests?department=DOT&status=in_progress").Json()),
            std::set<std::string>{a});
  EXPECT_TRUE(Ids(client.Get("/v1/requests?department=DOT&status=open").Json()).empty());
  EXPECT_EQ(Ids(client.Get("/v1/requests?service_code=pothole").Json()), (std::set<std::string>{a, b}));
}

TEST_P(RequestQueryApi, CursorPagesCoverEveryRequestOnceAndCreatedRangeFilters) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::set<std::string> all;
  for (int i = 0; i < 23; ++i) all.insert(Submit(client, "pothole", i % 2 ? 10 : 0));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = client.Get("/v1/requests?department=DOT&limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = r.Json();
    EXPECT_LE(page["requests"].size(), 5u);
    for (auto& id : Ids(page)) EXPECT_TRUE(seen.insert(id).second) << id << " seen twice";
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ASSERT_LT(++pages, 20);
  } while (!cursor.empty());
  EXPECT_EQ(seen, all);
  std::string from = events::FormatTime(events::NowMs() - 86400000LL);
  auto recent = client.Get("/v1/requests?created_from=" + from + "&limit=100").Json();
  EXPECT_EQ(recent["requests"].size(), 12u);
}

// A department's breached requests, oldest deadline first, page by page:
// what a supervisor works through.
TEST_P(RequestQueryApi, OverdueInADepartmentListsOldestDeadlineFirst) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string day50 = Submit(client, "pothole", 50), day40 = Submit(client, "pothole", 40);
  std::string day45 = Submit(client, "pothole", 45), routed = Submit(client, "pothole", 60);
  std::string closed = Submit(client, "pothole", 70);
  Submit(client, "pothole", 0);  // not due yet
  ASSERT_EQ(client.Post("/v1/requests/" + routed + "/events",
                        {{"command", "route"}, {"to_department", "DSW"}, {"reason", "trash"}}).status, 200);
  ASSERT_EQ(client.Post("/v1/requests/" + closed + "/events", {{"command", "close"}}).status, 200);
  std::vector<std::string> order;
  std::string cursor;
  do {
    auto r = client.Get("/v1/requests?overdue=true&department=DOT&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = r.Json();
    for (auto& request : page["requests"]) order.push_back(request["id"]);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ASSERT_LT(order.size(), 10u);
  } while (!cursor.empty());
  EXPECT_EQ(order, (std::vector<std::string>{day50, day45, day40}));
  EXPECT_EQ(Ids(client.Get("/v1/requests?overdue=true&department=DSW").Json()), std::set<std::string>{routed});
}

INSTANTIATE_TEST_SUITE_P(Backends, RequestQueryApi, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
