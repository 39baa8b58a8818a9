// The analysts' endpoints over real HTTP: a department's days, weeks and
// months, the all-departments table, the channels, CSV for spreadsheets,
// and bad parameters answered 400 with nothing else changed.
#include <gtest/gtest.h>

#include <thread>

#include "events/event.h"
#include "src/app/ledger.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

std::string Submit(HttpClient& client, const std::string& occurred_at, const std::string& zip = "20850") {
  json body = PotholeRequest();
  body["occurred_at"] = occurred_at;
  body["location"]["zip"] = zip;
  auto r = client.Post("/v1/requests", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json()["request"]["id"];
}

void Command(HttpClient& client, const std::string& id, json command) {
  auto r = client.Post("/v1/requests/" + id + "/events", command);
  EXPECT_EQ(r.status, 200) << r.body;
}

json Get(HttpClient& client, const std::string& target) {
  auto r = client.Get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return r.status == 200 ? r.Json() : json();
}

class PerformanceApi : public ::testing::TestWithParam<Backend> {};

// Times are UTC; New York is 5 hours behind in November.
TEST_P(PerformanceApi, ADepartmentsDaysWeeksAndMonthsMergeWhatHappened) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  // Monday 2026-11-02 local: two potholes; one closed the next day, one routed to DSW.
  std::string a = Submit(client, "2026-11-02T14:00:00.000Z");
  std::string b = Submit(client, "2026-11-02T15:00:00.000Z", "20852");
  Command(client, a, {{"command", "close"}, {"occurred_at", "2026-11-03T14:00:00.000Z"}});
  Command(client, b, {{"command", "route"}, {"to_department", "DSW"}, {"reason", "trash"},
                      {"occurred_at", "2026-11-03T16:00:00.000Z"}});
  // 23:30 local on Sunday 2026-11-08 is Monday 04:30 UTC: it counts on the Sunday.
  std::string c = Submit(client, "2026-11-09T04:30:00.000Z");
  // Next month.
  std::string d = Submit(client, "2026-12-01T15:00:00.000Z");

  json days = Get(client, "/v1/departments/DOT/performance?from=2026-11-01&to=2026-11-09");
  ASSERT_EQ(days["periods"].size(), 9u);
  EXPECT_EQ(days["department"], "DOT");
  EXPECT_EQ(days["min_sample"], 30);
  const json& nov2 = days["periods"][1];
  EXPECT_EQ(nov2["start"], "2026-11-02");
  EXPECT_EQ(nov2["opened"], 2);
  EXPECT_EQ(nov2["backlog"], 2);
  const json& nov3 = days["periods"][2];
  EXPECT_EQ(nov3["closed"], 1);
  EXPECT_EQ(nov3["transferred_out"], 1);
  EXPECT_EQ(nov3["backlog"], 0);
  EXPECT_NEAR(nov3["time_to_close_p50_seconds"].get<double>(), 86400.0, 864.0) << "within 1%";
  EXPECT_EQ(nov3["time_to_close_sample"], 1);
  EXPECT_EQ(nov3["sla_met_share"], 1.0);
  EXPECT_EQ(nov3["sla_met_share_sample"], 1);
  EXPECT_NE(std::find(nov3["low_sample"].begin(), nov3["low_sample"].end(), "time_to_close"),
            nov3["low_sample"].end());
  EXPECT_EQ(days["periods"][7]["start"], "2026-11-08");
  EXPECT_EQ(days["periods"][7]["opened"], 1);
  EXPECT_EQ(days["periods"][8]["opened"], 0);
  EXPECT_EQ(days["periods"][8]["backlog"], 1);
  EXPECT_EQ(days["total"]["opened"], 3);
  EXPECT_EQ(days["total"]["closed"], 1);
  // Overdue now: DOT's open requests past their deadline on today's clock.
  int overdue = 0;
  for (const auto& id : {c, d}) overdue += Get(client, "/v1/requests/" + id)["overdue"].get<bool>() ? 1 : 0;
  EXPECT_GE(overdue, 1) << c << " is weeks past its deadline";
  EXPECT_EQ(days["overdue_now"], overdue);

  json weeks = Get(client, "/v1/departments/DOT/performance?from=2026-11-01&to=2026-11-30&granularity=week");
  ASSERT_EQ(weeks["periods"].size(), 6u) << "Sun 1st; Mon 2nd-8th; ... Mon 30th";
  EXPECT_EQ(weeks["periods"][0]["end"], "2026-11-01");
  EXPECT_EQ(weeks["periods"][1]["start"], "2026-11-02");
  EXPECT_EQ(weeks["periods"][1]["end"], "2026-11-08");
  EXPECT_EQ(weeks["periods"][1]["opened"], 3);
  json months = Get(client, "/v1/departments/DOT/performance?from=2026-10-15&to=2026-12-31&granularity=month");
  ASSERT_EQ(months["periods"].size(), 3u);
  EXPECT_EQ(months["periods"][1]["start"], "2026-11-01");
  EXPECT_EQ(months["periods"][1]["end"], "2026-11-30");
  EXPECT_EQ(months["periods"][1]["opened"], 3);
  EXPECT_EQ(months["periods"][2]["opened"], 1);
  EXPECT_EQ(months["periods"][2]["backlog"], 2);

  json dsw = Get(client, "/v1/departments/DSW/performance?from=2026-11-03&to=2026-11-03");
  EXPECT_EQ(dsw["periods"][0]["transferred_in"], 1);
  EXPECT_EQ(dsw["periods"][0]["backlog"], 1);

  json area = Get(client, "/v1/areas/20852/performance?from=2026-11-02&to=2026-11-03&granularity=range");
  EXPECT_EQ(area["periods"][0]["opened"], 1);
  EXPECT_EQ(area["periods"][0]["transferred_in"], 1);
  EXPECT_EQ(area["periods"][0]["transferred_out"], 1);
  json service = Get(client, "/v1/services/pothole/performance?from=2026-11-01&to=2026-12-31&granularity=range");
  EXPECT_EQ(service["total"]["opened"], 4);
}

TEST_P(PerformanceApi, TheTableShowsEveryDepartmentAndTheChannels) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string a = Submit(client, "2026-11-02T14:00:00.000Z");
  json contact = {{"channel", "phone"}, {"language", "es"}, {"wait_seconds", 30}, {"handle_seconds", 100},
                  {"outcome", "information"}};
  ASSERT_EQ(client.Post("/v1/contacts", contact).status, 201);
  contact["abandoned"] = true;
  contact["outcome"] = "abandoned";
  contact["wait_seconds"] = 90;
  contact.erase("handle_seconds");
  ASSERT_EQ(client.Post("/v1/contacts", contact).status, 201);

  json table = Get(client, "/v1/performance?date=2026-11-02");
  auto catalog = Get(client, "/v1/catalog");
  ASSERT_EQ(table["rows"].size(), catalog["departments"].size()) << "every department, idle ones too";
  for (const auto& row : table["rows"])
    EXPECT_EQ(row["opened"], row["department"] == "DOT" ? 1 : 0) << row["department"];

  json channels = Get(client, "/v1/channels/stats");
  ASSERT_EQ(channels["channels"].size(), 1u) << channels.dump();
  const json& phone = channels["channels"][0];
  EXPECT_EQ(phone["channel"], "phone");
  EXPECT_EQ(phone["contacts"], 2);
  EXPECT_EQ(phone["wait_average_seconds"], 60.0);
  EXPECT_EQ(phone["wait_sample"], 2);
  EXPECT_EQ(phone["handle_average_seconds"], 100.0);
  EXPECT_EQ(phone["abandoned_share"], 0.5);
  EXPECT_EQ(phone["information_only_share"], 1.0);
  EXPECT_EQ(phone["languages"], (json{{"es", 2}}));
}

TEST_P(PerformanceApi, CsvIsRfc4180AndEscapesFormulas) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  Submit(client, "2026-11-02T14:00:00.000Z", "=HYPERLINK(\"x\",\"y\")");
  auto r = client.Get("/v1/performance?by=area&date=2026-11-02&format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/csv; charset=utf-8");
  ASSERT_TRUE(r.body.starts_with("area,opened,closed,")) << r.body;
  EXPECT_NE(r.body.find("\r\n\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\",1,0,"), std::string::npos) << r.body;
  EXPECT_TRUE(r.body.ends_with("\r\n"));
  auto days = client.Get("/v1/departments/DOT/performance?from=2026-11-01&to=2026-11-03&format=csv");
  ASSERT_EQ(days.status, 200);
  EXPECT_EQ(std::count(days.body.begin(), days.body.end(), '\n'), 4) << "a header and three days";
  EXPECT_TRUE(days.body.starts_with("start,end,opened,")) << days.body;
}

TEST_P(PerformanceApi, BadParametersAre400AndUnknownNames404) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  for (std::string target :
       {"/v1/departments/DOT/performance?from=2026-02-30", "/v1/departments/DOT/performance?from=0000-00-00",
        "/v1/departments/DOT/performance?from=2026-11-05&to=2026-11-01",
        "/v1/departments/DOT/performance?from=0001-01-01&to=9999-12-31",
        "/v1/departments/DOT/performance?granularity=hour", "/v1/departments/DOT/performance?format=xml",
        "/v1/departments/DOT/performance?date=2026-11-01", "/v1/departments/DOT/performance?to=1e400",
        "/v1/performance?by=planet", "/v1/performance?date=2026-11-01&from=2026-11-01",
        "/v1/performance?date=", "/v1/channels/stats?granularity=day", "/v1/channels/stats?to=%00"}) {
    auto r = client.Get(target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_TRUE(r.Json()["error"]["message"].is_string()) << target;
  }
  EXPECT_EQ(client.Get("/v1/departments/NOPE/performance").status, 404);
  EXPECT_EQ(client.Get("/v1/departments/DOT%2F..%2FDSW/performance").status, 404);
  EXPECT_EQ(client.Get("/v1/services/not-a-service/performance").status, 404);
  EXPECT_EQ(client.Get("/v1/areas/nowhere/performance").status, 200) << "an area with no requests is empty";
  EXPECT_EQ(client.Get("/v1/departments/DOT/performance?from=0000-01-01&to=0000-12-31").status, 200);
  EXPECT_EQ(client.Get("/v1/departments/DOT/performance?from=9999-01-01&to=9999-12-31").status, 200);
  auto first_days = client.Get("/v1/departments/DOT/performance?to=0000-01-05");
  EXPECT_EQ(first_days.status, 200) << first_days.body;
  EXPECT_EQ(first_days.Json()["from"], "0000-01-01") << "the default range stops at the first day";
}

// A center whose fiscal year starts on October 1: fiscal years and the
// to-date ranges (week, month, fiscal year) merge the days they cover, on
// every report; the default end of a range is as_of's day when given.
TEST_P(PerformanceApi, FiscalYearsAndToDateRangesMergeTheirDays) {
  LedgerUnderTest ledger(GetParam(), [](app::Settings& s) { s.fiscal_year_start = {10, 1}; });
  auto client = ledger.Client();
  Submit(client, "2026-09-30T14:00:00.000Z");
  Submit(client, "2026-10-01T14:00:00.000Z");
  Submit(client, "2026-11-02T14:00:00.000Z");  // a Monday
  Submit(client, "2026-11-04T14:00:00.000Z");

  json years = Get(client, "/v1/departments/DOT/performance?from=2026-09-01&to=2026-11-30&granularity=fiscal_year");
  ASSERT_EQ(years["periods"].size(), 2u);
  EXPECT_EQ(years["periods"][0]["end"], "2026-09-30");
  EXPECT_EQ(years["periods"][0]["opened"], 1);
  EXPECT_EQ(years["periods"][1]["start"], "2026-10-01");
  EXPECT_EQ(years["periods"][1]["opened"], 3);

  struct Case {
    std::string range, to, from;
    int opened;
  };
  for (const Case& c : {Case{"fiscal_year_to_date", "2026-11-30", "2026-10-01", 3},
                        Case{"fiscal_year_to_date", "2026-09-30", "2025-10-01", 1},
                        Case{"month_to_date", "2026-11-03", "2026-11-01", 1},
                        Case{"week_to_date", "2026-11-04", "2026-11-02", 2}}) {
    json report = Get(client, "/v1/departments/DOT/performance?granularity=range&range=" + c.range + "&to=" + c.to);
    EXPECT_EQ(report["from"], c.from) << c.range << " to " << c.to;
    EXPECT_EQ(report["to"], c.to);
    EXPECT_EQ(report["total"]["opened"], c.opened) << c.range << " to " << c.to;
  }
  json table = Get(client, "/v1/performance?range=fiscal_year_to_date&to=2026-11-30");
  EXPECT_EQ(table["from"], "2026-10-01");
  for (const auto& row : table["rows"])
    if (row["department"] == "DOT") EXPECT_EQ(row["opened"], 3);
  EXPECT_EQ(Get(client, "/v1/channels/stats?range=month_to_date&to=2026-11-30")["from"], "2026-11-01");

  json today = Get(client, "/v1/departments/DOT/performance?range=fiscal_year_to_date");
  EXPECT_EQ(today["from"].get<std::string>().substr(4), "-10-01");
  EXPECT_LE(today["from"], today["to"]);
  // 02:00 UTC on November 16 is still the 15th in New York.
  json then = Get(client, "/v1/departments/DOT/performance?range=fiscal_year_to_date&as_of=2026-11-16T02:00:00Z");
  EXPECT_EQ(then["from"], "2026-10-01");
  EXPECT_EQ(then["to"], "2026-11-15");
  EXPECT_EQ(then["as_of"], "2026-11-16T02:00:00.000Z");

  for (std::string target : {"/v1/departments/DOT/performance?range=year_to_date",
                             "/v1/departments/DOT/performance?range=fiscal_year_to_date&from=2026-10-01",
                             "/v1/performance?range=month_to_date&date=2026-11-02", "/v1/channels/stats?range=",
                             "/v1/departments/DOT/performance?range=week_to_date&to=2026-13-01"}) {
    auto r = client.Get(target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_TRUE(r.Json()["error"]["message"].is_string()) << target;
  }
}

// A dashboard published with as_of answers the same later: after late
// events for its days, new requests and contacts, a restart and a replay.
// Without as_of the answer moves on; as_of before anything is all zeros.
TEST_P(PerformanceApi, AsOfAnswersAsTheViewsStoodThenAfterLateEventsAndAReplay) {
  // No breach appended while the answers are taken: the test decides what was appended when.
  LedgerUnderTest ledger(GetParam(), [](app::Settings& s) { s.sla_check_interval_ms = 0; });
  auto client = ledger.Client();
  int64_t before_all = events::NowMs() - 1;
  std::string a = Submit(client, "2026-11-02T14:00:00.000Z");
  std::string b = Submit(client, "2026-11-03T14:00:00.000Z", "20852");
  json contact = {{"channel", "phone"}, {"language", "en"}, {"wait_seconds", 30}, {"outcome", "information"},
                  {"occurred_at", "2026-11-02T15:00:00.000Z"}};
  ASSERT_EQ(client.Post("/v1/contacts", contact).status, 201);
  const std::string range = "from=2026-11-01&to=2026-11-30";
  // The views have taken every acknowledged event once they show them.
  auto caught_up = [&](int opened, int closed, int contacts) {
    for (int i = 0; i < 200; ++i) {
      json dept = Get(client, "/v1/departments/DOT/performance?" + range + "&granularity=range");
      json channels = Get(client, "/v1/channels/stats?" + range);
      if (dept["total"]["opened"] == opened && dept["total"]["closed"] == closed &&
          channels["channels"].size() == 1 && channels["channels"][0]["contacts"] == contacts)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  ASSERT_TRUE(caught_up(2, 0, 1));
  int64_t published_ms = events::NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string as_of = "as_of=" + events::FormatTime(published_ms);
  const std::vector<std::string> targets = {
      "/v1/departments/DOT/performance?" + range + "&granularity=week&" + as_of,
      "/v1/services/pothole/performance?" + range + "&" + as_of,
      "/v1/areas/20852/performance?" + range + "&" + as_of,
      "/v1/performance?" + range + "&" + as_of,
      "/v1/performance?" + range + "&by=area&format=csv&" + as_of,
      "/v1/channels/stats?" + range + "&" + as_of};
  auto answers = [&] {
    std::vector<std::string> bodies;
    for (const auto& target : targets) {
      auto r = client.Get(target);
      EXPECT_EQ(r.status, 200) << target << ": " << r.body;
      bodies.push_back(r.body);
    }
    return bodies;
  };
  auto published = answers();
  json dot = json::parse(published[0]);
  EXPECT_EQ(dot["as_of"], events::FormatTime(published_ms));
  EXPECT_EQ(dot["total"]["opened"], 2);
  EXPECT_EQ(dot["total"]["closed"], 0);
  EXPECT_TRUE(dot["overdue_now"].is_null()) << "overdue now is of now, not kept by time";

  // Late: a close on its November day, a November request, a contact.
  Command(client, a, {{"command", "close"}, {"occurred_at", "2026-11-04T14:00:00.000Z"}});
  Submit(client, "2026-11-05T14:00:00.000Z", "20852");
  ASSERT_EQ(client.Post("/v1/contacts", contact).status, 201);
  ASSERT_TRUE(caught_up(3, 1, 2)) << "the views moved on";
  EXPECT_TRUE(Get(client, "/v1/channels/stats")["as_of"].is_null());
  EXPECT_EQ(answers(), published) << "as_of answers as the views stood then";

  ledger.Stop();
  ASSERT_TRUE(app::Replay(ledger.settings()).ok());
  ledger.Restart();
  EXPECT_EQ(answers(), published) << "a replay answers the same";

  json nothing = Get(client, "/v1/departments/DOT/performance?" + range + "&granularity=range&as_of=" +
                                 events::FormatTime(before_all));
  EXPECT_EQ(nothing["total"]["opened"], 0);
  EXPECT_EQ(nothing["total"]["backlog"], 0);
  json table = Get(client, "/v1/performance?" + range + "&by=area&as_of=" + events::FormatTime(before_all));
  EXPECT_TRUE(table["rows"].empty()) << "no area had anything yet: " << table.dump();
  for (std::string bad : {"as_of=yesterday", "as_of=2026-13-01T00:00:00Z", "as_of=", "as_of=1e400",
                          "as_of=10000-01-01T00:00:00Z", "as_of=2026-11-01T00:00:00Z%00",
                          "as_of=0000-01-01T00:00:00Z"}) {
    auto r = client.Get("/v1/performance?" + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("as_of"), std::string::npos) << r.body;
  }
  EXPECT_EQ(client.Get("/v1/performance?as_of=0001-01-01T00:00:00Z").status, 200);
  EXPECT_EQ(client.Get("/v1/performance?as_of=9999-12-31T23:59:59.999Z").status, 200);
}

// An open request expects to be done when its service's requests of the
// last 90 days were: created + their p50 and p90 time to close.
TEST_P(PerformanceApi, AnOpenRequestShowsItsExpectedCompletion) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  int64_t now = events::NowMs();
  constexpr int64_t kHour = 3'600'000;
  for (int hours : {1, 2, 3, 4, 100}) {  // p50 3 h, p90 100 h
    std::string id = Submit(client, events::FormatTime(now - 20 * 24 * kHour));
    Command(client, id, {{"command", "close"}, {"occurred_at", events::FormatTime(now - 20 * 24 * kHour + hours * kHour)}});
  }
  // Estimates are kept for a second once the views change (CloseTimeEstimates).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  json open = client.Post("/v1/requests", PotholeRequest()).Json()["request"];
  const json& expected = open["expected_completion"];
  ASSERT_TRUE(expected.is_object()) << open.dump();
  int64_t created = *events::ParseTime(open["created_at"].get<std::string>());
  EXPECT_NEAR(static_cast<double>(*events::ParseTime(expected["p50"].get<std::string>()) - created), 3.0 * kHour,
              0.01 * 3 * kHour);
  EXPECT_NEAR(static_cast<double>(*events::ParseTime(expected["p90"].get<std::string>()) - created), 100.0 * kHour,
              0.01 * 100 * kHour);
  EXPECT_EQ(expected["sample"], 5);
  std::string id = open["id"];
  Command(client, id, {{"command", "close"}});
  EXPECT_TRUE(Get(client, "/v1/requests/" + id)["expected_completion"].is_null()) << "closed: nothing to expect";
}

INSTANTIATE_TEST_SUITE_P(Backends, PerformanceApi, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
