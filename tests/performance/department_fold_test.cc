// FoldRequestEvent: each event of a request changes exactly the
// department-days DESIGN.md's definitions say, on the center's local day.
#include "performance/department_fold.h"

#include <gtest/gtest.h>

#include <map>

#include "events/event_types.h"
#include "tests/support/shipped_catalog.h"

namespace ledger::performance {
namespace {

namespace types = events::types;
using events::Json;

int64_t At(const char* rfc3339) { return *events::ParseTime(rfc3339); }

events::Event Ev(std::string_view type, const char* time, Json data = Json::object(), std::string actor = "key:agent") {
  events::Event e;
  e.type = std::string(type);
  e.time_ms = At(time);
  e.subject = "SR-1";
  e.data = std::move(data);
  e.actor = std::move(actor);
  return e;
}

events::Event Submitted(const char* time, const char* department = "DOT", const char* deadline = nullptr) {
  Json data = {{"department", department}};
  if (deadline) data["sla_deadline"] = deadline;
  return Ev(types::kRequestSubmitted, time, data, "key:intake");
}

DayChange Change(const char* department, const char* day, std::function<void(DayFigures&)> set) {
  DayChange c{department, day, {}};
  set(c.delta);
  return c;
}

DurationHistogram Durations(std::initializer_list<int64_t> ms) {
  DurationHistogram h;
  for (auto v : ms) EXPECT_TRUE(h.Add(v).ok());
  return h;
}

constexpr int64_t kHour = 3'600'000;

TEST(DepartmentFold, ARequestsLifeChangesTheDaysItHappensOn) {
  RequestFacts f;
  // Evening times in New York are the next day in UTC: days are local.
  EXPECT_EQ(FoldRequestEvent(f, Submitted("2026-11-23T23:30:00.000Z", "DOT", "2026-11-26T15:00:00.000Z"), *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DOT", "2026-11-23", [](auto& d) { d.opened = 1; d.backlog_change = 1; })}));
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestAssigned, "2026-11-24T01:30:00.000Z", {{"assignee", "crew 4"}}),
                             *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DOT", "2026-11-23", [](auto& d) { d.first_response = Durations({2 * kHour}); })}));
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestRouted, "2026-11-24T15:00:00.000Z",
                                   {{"from_department", "DOT"}, {"to_department", "DSW"}}),
                             *testing::ShippedCatalog()),
            (std::vector<DayChange>{
                Change("DOT", "2026-11-24", [](auto& d) { d.transferred_out = 1; d.backlog_change = -1; }),
                Change("DSW", "2026-11-24", [](auto& d) { d.transferred_in = 1; d.backlog_change = 1; })}));
  // Closed before the deadline, reopened, closed again after it: two close events.
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestClosed, "2026-11-25T23:30:00.000Z"), *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DSW", "2026-11-25", [](auto& d) {
              d.closed = 1;
              d.handoffs = 1;
              d.closed_after_handoff = 1;
              d.time_to_close = Durations({48 * kHour});
              d.sla_counted = 1;
              d.sla_met = 1;
              d.backlog_change = -1;
            })}));
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestReopened, "2026-11-26T14:00:00.000Z", {{"reason", "still there"}}),
                             *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DSW", "2026-11-26", [](auto& d) { d.reopened = 1; d.backlog_change = 1; })}));
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestClosed, "2026-11-26T15:00:00.001Z"), *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DSW", "2026-11-26", [](auto& d) {
              d.closed = 1;
              d.handoffs = 1;
              d.closed_after_handoff = 1;
              d.time_to_close = Durations({63 * kHour + 30 * 60'000 + 1});
              d.sla_counted = 1;
              d.backlog_change = -1;
            })}));
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kSurveyAnswered, "2026-11-27T12:00:00.000Z", {{"score", 4}}), *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DSW", "2026-11-27", [](auto& d) {
              d.surveys = 1;
              d.survey_score_sum = 4;
              d.surveys_4_or_5 = 1;
            })}));
  EXPECT_EQ(f.department, "DSW");
  EXPECT_EQ(f.standing, RequestFacts::Standing::kClosed);
}

// A route to another service inside DOT moves the request between the
// service views only; its deadline is the new one from then on.
TEST(DepartmentFold, ARouteToAnotherServiceMovesItsServiceViewAndDeadline) {
  RequestFacts f;
  events::Event submitted = Submitted("2026-11-23T15:00:00.000Z", "DOT", "2026-11-24T15:00:00.000Z");
  submitted.data["service_code"] = "traffic-signal";
  FoldRequestEvent(f, submitted, *testing::ShippedCatalog());
  auto moved = [](const char* service, std::function<void(DayFigures&)> set) {
    DayChange c = Change("DOT", "2026-11-23", std::move(set));
    c.service = service;
    c.service_only = true;
    return c;
  };
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestRouted, "2026-11-23T16:00:00.000Z",
                                   {{"from_department", "DOT"}, {"to_department", "DOT"},
                                    {"from_service", "traffic-signal"}, {"to_service", "traffic-calming"},
                                    {"sla_deadline", "2027-02-21T15:00:00.000Z"}}),
                             *testing::ShippedCatalog()),
            (std::vector<DayChange>{moved("traffic-signal", [](auto& d) { d.transferred_out = 1; d.backlog_change = -1; }),
                                    moved("traffic-calming", [](auto& d) { d.transferred_in = 1; d.backlog_change = 1; })}));
  EXPECT_EQ(f.service, "traffic-calming");
  EXPECT_EQ(f.routes, 0u) << "no hand-off between departments";
  // Closed after the old deadline, before the new one: met.
  auto closed = FoldRequestEvent(f, Ev(types::kRequestClosed, "2026-11-30T15:00:00.000Z"), *testing::ShippedCatalog());
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].service, "traffic-calming");
  EXPECT_FALSE(closed[0].service_only);
  EXPECT_EQ(closed[0].delta.sla_met, 1);
  // The same service again is no change.
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestRouted, "2026-12-01T15:00:00.000Z",
                                     {{"to_department", "DOT"}, {"to_service", "traffic-calming"}}),
                               *testing::ShippedCatalog())
                  .empty());
}

TEST(DepartmentFold, FirstResponseIsTheFirstByAnyoneButTheSubmitter) {
  RequestFacts f;
  FoldRequestEvent(f, Submitted("2026-11-23T15:00:00.000Z"), *testing::ShippedCatalog());
  // The submitter's own status change and anyone's internal note are no response.
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestStatusChanged, "2026-11-23T15:10:00.000Z",
                                     {{"from", "open"}, {"to", "acknowledged"}}, "key:intake"),
                               *testing::ShippedCatalog())
                  .empty());
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestNoteAdded, "2026-11-23T15:20:00.000Z",
                                     {{"visibility", "internal"}, {"text", "x"}}),
                               *testing::ShippedCatalog())
                  .empty());
  auto first = FoldRequestEvent(f, Ev(types::kRequestNoteAdded, "2026-11-23T16:00:00.000Z",
                                      {{"visibility", "public"}, {"text", "crew on the way"}}),
                                *testing::ShippedCatalog());
  EXPECT_EQ(first, (std::vector<DayChange>{Change("DOT", "2026-11-23", [](auto& d) { d.first_response = Durations({kHour}); })}));
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestAssigned, "2026-11-23T17:00:00.000Z"), *testing::ShippedCatalog()).empty());
}

TEST(DepartmentFold, TransfersAwayDuplicatesAndDirtyTimes) {
  RequestFacts f;
  FoldRequestEvent(f, Submitted("2026-11-23T15:00:00.000Z", "DPS"), *testing::ShippedCatalog());
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestDuplicateMarked, "2026-11-23T15:01:00.000Z", {{"parent_id", "SR-0"}}),
                               *testing::ShippedCatalog())
                  .empty());
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestTransferredExternal, "2026-11-23T16:00:00.000Z", {{"agency", "STATE"}}),
                             *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DPS", "2026-11-23", [](auto& d) { d.transferred_out = 1; d.backlog_change = -1; })}));
  // Closed while away: a close event of a duplicate, no deadline, already out of the backlog;
  // its time is before the submission (a dirty import): no time to close.
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kRequestClosed, "2026-11-22T10:00:00.000Z"), *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DPS", "2026-11-22", [](auto& d) {
              d.closed = 1;
              d.closed_duplicate = 1;
              d.sla_without_deadline = 1;
            })}));
}

TEST(DepartmentFold, EventsOutsideARequestsLifeChangeNothing) {
  RequestFacts f;
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestClosed, "2026-11-23T15:00:00.000Z"), *testing::ShippedCatalog()).empty());
  EXPECT_EQ(f, RequestFacts{});
  FoldRequestEvent(f, Submitted("2026-11-23T15:00:00.000Z"), *testing::ShippedCatalog());
  RequestFacts after_submission = f;
  EXPECT_TRUE(FoldRequestEvent(f, Submitted("2026-11-24T15:00:00.000Z", "DSW"), *testing::ShippedCatalog()).empty());
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kRequestRouted, "2026-11-24T15:00:00.000Z", {{"to_department", "DOT"}}),
                               *testing::ShippedCatalog())
                  .empty());
  for (Json score : {Json(0), Json(6), Json("5"), Json(4.5)})
    EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kSurveyAnswered, "2026-11-24T15:00:00.000Z", {{"score", score}}), *testing::ShippedCatalog())
                    .empty())
        << score;
  EXPECT_TRUE(FoldRequestEvent(f, Ev(types::kResidentErased, "2026-11-24T15:00:00.000Z"), *testing::ShippedCatalog()).empty());
  EXPECT_EQ(f, after_submission);
  // A breach counts on the day it is recorded, for the department holding the request.
  EXPECT_EQ(FoldRequestEvent(f, Ev(types::kSlaBreached, "2026-11-24T15:00:00.000Z"), *testing::ShippedCatalog()),
            (std::vector<DayChange>{Change("DOT", "2026-11-24", [](auto& d) { d.breached = 1; })}));
}

TEST(DepartmentFold, TheBacklogChangesOfALifeSumToWhereTheRequestIsHeld) {
  RequestFacts f;
  std::map<std::string, int64_t> held;
  auto fold = [&](const events::Event& e) {
    for (const auto& c : FoldRequestEvent(f, e, *testing::ShippedCatalog())) held[c.department] += c.delta.backlog_change;
  };
  fold(Submitted("2026-11-23T15:00:00.000Z", "DOT"));
  fold(Ev(types::kRequestRouted, "2026-11-23T16:00:00.000Z", {{"to_department", "DSW"}}));
  fold(Ev(types::kRequestClosed, "2026-11-23T17:00:00.000Z"));
  fold(Ev(types::kRequestRouted, "2026-11-23T18:00:00.000Z", {{"to_department", "DPS"}}));  // closed: moves, not held
  fold(Ev(types::kRequestReopened, "2026-11-24T17:00:00.000Z"));
  fold(Ev(types::kRequestResolved, "2026-11-24T18:00:00.000Z", {{"resolution_code", "fixed"}}));  // still held
  EXPECT_EQ(held, (std::map<std::string, int64_t>{{"DOT", 0}, {"DSW", 0}, {"DPS", 1}}));
}

TEST(DepartmentFold, RequestFactsReadBackOrAreRefused) {
  RequestFacts f{RequestFacts::Standing::kAway, "DOT", "key:intake", "pothole", "20850", 3,
                 At("0001-01-01T00:00:00.000Z"), At("9999-12-31T23:59:59.999Z"), true, true};
  for (const RequestFacts& facts : {RequestFacts{}, f}) {
    auto back = RequestFacts::Decode(facts.Encode());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, facts);
  }
  std::string good = f.Encode();
  for (size_t len = 0; len < good.size(); ++len) EXPECT_FALSE(RequestFacts::Decode(good.substr(0, len)).ok()) << len;
  std::string bad_standing = good, bad_flags = good;
  bad_standing[1] = 9;
  bad_flags[2] = 4;
  for (const auto& bad : {good + "x", bad_standing, bad_flags}) {
    auto decoded = RequestFacts::Decode(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, base::ErrorCode::kCorruption);
  }
}

}  // namespace
}  // namespace ledger::performance
