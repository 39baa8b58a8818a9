// BatchViews: a batch's changes summed per row equal the events' changes
// one by one, and rows order by name then day.
#include "performance/batch_views.h"

#include <gtest/gtest.h>

#include <map>

#include "events/event_types.h"
#include "tests/support/shipped_catalog.h"

namespace ledger::performance {
namespace {

namespace types = events::types;
using events::Json;

events::Event Ev(std::string_view type, std::string subject, const char* time, Json data, std::string channel = "") {
  events::Event e;
  e.type = std::string(type);
  e.subject = std::move(subject);
  e.time_ms = *events::ParseTime(time);
  e.data = std::move(data);
  e.actor = "key:agent";
  e.channel = std::move(channel);
  return e;
}

TEST(BatchViews, ABatchSumsToTheEventsOneByOne) {
  std::vector<events::Event> events = {
      Ev(types::kRequestSubmitted, "SR-1", "2026-11-23T15:00:00.000Z", {{"department", "DOT"}}, "phone"),
      Ev(types::kRequestSubmitted, "SR-2", "2026-11-23T16:00:00.000Z", {{"department", "DOT"}}, "web"),
      Ev(types::kContactReceived, "CT-1", "2026-11-23T16:05:00.000Z",
         {{"channel", "phone"}, {"language", "en"}, {"abandoned", false}, {"outcome", "created_request"}}),
      Ev(types::kRequestRouted, "SR-2", "2026-11-24T10:00:00.000Z", {{"to_department", "DSW"}}),
      Ev(types::kRequestClosed, "SR-1", "2026-11-24T11:00:00.000Z", Json::object()),
      Ev(types::kRequestClosed, "SR-2", "2026-11-24T12:00:00.000Z", Json::object()),
      Ev(types::kRequestSubmitted, "SR-1", "2026-11-25T12:00:00.000Z", {{"department", "DPS"}}, "phone"),  // again: ignored
  };
  BatchViews batch(*testing::ShippedCatalog());
  std::map<std::string, RequestFacts> facts, facts_one_by_one;
  std::map<DayKey, DayFigures> departments;
  std::map<DayKey, ChannelFigures> channels;
  for (const auto& e : events) {
    if (e.type == types::kContactReceived) {
      batch.AddContactEvent(e, 0);
    } else {
      batch.AddRequestEvent(facts[e.subject], e, 0);
      for (const auto& c : FoldRequestEvent(facts_one_by_one[e.subject], e, *testing::ShippedCatalog()))
        departments[{c.department, c.day}].Merge(c.delta);
    }
  }
  for (size_t i : {0, 1, 2})
    if (auto c = FoldChannelEvent(events[i], *testing::ShippedCatalog())) channels[{c->channel, c->day}].Merge(c->delta);
  EXPECT_EQ(batch.departments(), departments);
  EXPECT_EQ(batch.channels(), channels);
  EXPECT_EQ(facts, facts_one_by_one);
  // DOT opened 2 on the 23rd; the 24th: one routed out, one closed.
  EXPECT_EQ(batch.departments().at({"DOT", "2026-11-23"}).opened, 2u);
  EXPECT_EQ(batch.departments().at({"DOT", "2026-11-24"}).backlog_change, -2);
  EXPECT_EQ(batch.departments().at({"DSW", "2026-11-24"}).closed, 1u);
  EXPECT_FALSE(batch.departments().count({"DPS", "2026-11-25"}));
  EXPECT_EQ(batch.channels().at({"phone", "2026-11-23"}).requests_created, 1u);  // not the second submission
  EXPECT_EQ(batch.channels().at({"phone", "2026-11-23"}).contacts, 1u);
  batch.Clear();
  EXPECT_TRUE(batch.empty());
}

// The service and area rows take every change of their requests: a route
// between departments is one transfer in and one out of the same service.
TEST(BatchViews, ServiceAndAreaRowsTakeTheirRequestsChanges) {
  BatchViews batch(*testing::ShippedCatalog());
  RequestFacts pothole, graffiti;
  batch.AddRequestEvent(pothole, Ev(types::kRequestSubmitted, "SR-1", "2026-11-23T15:00:00.000Z",
                                    {{"department", "DOT"}, {"service_code", "pothole"},
                                     {"location", {{"zip", "20850"}}}}),
                        100);
  batch.AddRequestEvent(graffiti, Ev(types::kRequestSubmitted, "SR-2", "2026-11-23T15:00:00.000Z",
                                     {{"department", "DOT"}, {"service_code", "graffiti"}, {"location", Json::object()}}),
                        100);
  batch.AddRequestEvent(pothole, Ev(types::kRequestRouted, "SR-1", "2026-11-23T16:00:00.000Z", {{"to_department", "DSW"}}), 200);
  batch.AddRequestEvent(pothole, Ev(types::kRequestClosed, "SR-1", "2026-11-23T17:00:00.000Z", Json::object()), 200);
  const auto& service = batch.days(Dimension::kService).at({"pothole", "2026-11-23"});
  EXPECT_EQ(service.opened, 1u);
  EXPECT_EQ(service.transferred_in, 1u);
  EXPECT_EQ(service.transferred_out, 1u);
  EXPECT_EQ(service.closed, 1u);
  EXPECT_EQ(service.handoffs, 1u);
  EXPECT_EQ(service.backlog_change, 0);
  EXPECT_EQ(batch.days(Dimension::kService).at({"graffiti", "2026-11-23"}).backlog_change, 1);
  EXPECT_EQ(batch.days(Dimension::kArea).at({"20850", "2026-11-23"}), service);
  EXPECT_EQ(batch.days(Dimension::kArea).at({"unknown", "2026-11-23"}).opened, 1u) << "no zip";
  EXPECT_EQ(batch.days(Dimension::kArea).size(), 2u);

  // The same changes by append time: the submission's, then the route's
  // and close's; together the day.
  const auto& changes = batch.changes(Dimension::kService);
  ASSERT_EQ(changes.size(), 3u);
  const auto& submitted = changes.at({"pothole", 100, "2026-11-23"});
  const auto& later = changes.at({"pothole", 200, "2026-11-23"});
  EXPECT_EQ(submitted.opened, 1u);
  EXPECT_EQ(submitted.closed, 0u);
  EXPECT_EQ(later.opened, 0u);
  EXPECT_EQ(later.closed, 1u);
  performance::DayFigures sum = submitted;
  sum.Merge(later);
  EXPECT_EQ(sum, service);
  EXPECT_EQ(batch.changes(Dimension::kDepartment).at({"DSW", 200, "2026-11-23"}).closed, 1u);
}

// A change key sorts by kind, name, append time, then day, and reads back.
TEST(BatchViews, ChangeKeysOrderByNameThenAppendTimeAndParseBack) {
  using performance::ChangeKind;
  std::vector<std::pair<ChangeKind, ChangeKey>> keys = {
      {ChangeKind::kArea, {"10001", 5, "2026-01-01"}},
      {ChangeKind::kDepartment, {"DOT", 0, "2026-01-02"}},
      {ChangeKind::kDepartment, {"DOT", 1, "2026-01-01"}},
      {ChangeKind::kDepartment, {"DOT", 1, "2026-01-02"}},
      {ChangeKind::kDepartment, {"DOT", 253'402'300'799'999, "0000-01-01"}},
      {ChangeKind::kDepartment, {"DOTX", 0, "2026-01-01"}},
      {ChangeKind::kService, {"pothole", 7, "9999-12-31"}}};
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string key = performance::ChangeRowKey(keys[i].first, keys[i].second);
    auto parsed = performance::ParseChangeRowKey(key);
    ASSERT_TRUE(parsed) << i;
    EXPECT_EQ(*parsed, keys[i]) << i;
    if (i > 0) EXPECT_LT(performance::ChangeRowKey(keys[i - 1].first, keys[i - 1].second), key) << i;
  }
  // "After 1" starts past every change appended at 1 or before.
  EXPECT_GT(performance::ChangesAfterKey(ChangeKind::kDepartment, "DOT", 1),
            performance::ChangeRowKey(ChangeKind::kDepartment, {"DOT", 1, "9999-12-31"}));
  EXPECT_LT(performance::ChangesAfterKey(ChangeKind::kDepartment, "DOT", 1),
            performance::ChangeRowKey(ChangeKind::kDepartment, {"DOT", 2, "0000-01-01"}));
  // Times before 1970 are kept as 0; a key of another form does not parse.
  EXPECT_EQ(performance::ParseChangeRowKey(performance::ChangeRowKey(ChangeKind::kArea, {"x", -5, "d"}))->second.appended_ms, 0);
  for (std::string bad : {std::string(), std::string("zDOT"), std::string("dDOT\0\1", 6)})
    EXPECT_FALSE(performance::ParseChangeRowKey(bad)) << bad;
}


TEST(BatchViews, AZipWithAControlCharacterIsNoArea) {
  for (std::string zip : {std::string("10001\0" "2026-01-05", 16), std::string("208\n50"), std::string("\x7f")})
    EXPECT_EQ(AreaOf({{"zip", zip}}), "unknown") << zip.size();
  EXPECT_EQ(AreaOf({{"zip", "20850-1234"}}), "20850-1234");
  EXPECT_EQ(AreaOf(Json()), "unknown");
}

TEST(BatchViews, RowKeysOrderByNameThenDay) {
  std::vector<DayKey> keys = {{"DOT", "2026-11-23"}, {"DOT", "2026-12-01"}, {"DOTX", "2026-01-01"}, {"DPS", "2025-01-01"}};
  for (size_t i = 1; i < keys.size(); ++i) EXPECT_LT(RowKey(keys[i - 1]), RowKey(keys[i])) << i;
  EXPECT_EQ(RowKey({"DOT", "2026-11-23"}), std::string("DOT\0" "2026-11-23", 14));
}

}  // namespace
}  // namespace ledger::performance
