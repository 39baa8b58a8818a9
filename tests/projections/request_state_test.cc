#include "projections/request_state.h"

#include <gtest/gtest.h>

#include "tests/projections/test_log.h"

namespace ledger::projections {
namespace {

using fixtures::kDay;
using fixtures::kMinute;
using fixtures::kT0;
using fixtures::TestLog;
namespace types = events::types;

// Folds the request's events of `log` from index `from` on into `state`.
void FoldFrom(TestLog& log, size_t from, RequestState& state) {
  const auto& events = log.Requests();
  for (size_t i = from; i < events.size(); ++i) ApplyToRequest(state, events[i].event);
}

TEST(RequestFold, PotholeWalksThroughItsWholeLife) {
  TestLog log;
  RequestState s;
  const std::string id = "SR-POTHOLE";
  log.Request(id, types::kRequestSubmitted,
              fixtures::SubmittedData("pothole", "DOT", kT0 + 3 * kDay), kT0, "phone");
  FoldFrom(log, 0, s);
  EXPECT_EQ(s.id, id);
  EXPECT_EQ(s.status, "open");
  EXPECT_EQ(s.department, "DOT");
  EXPECT_EQ(s.service_code, "pothole");
  EXPECT_EQ(s.service_name, "pothole service");
  EXPECT_EQ(s.channel, "phone");
  EXPECT_EQ(s.priority, "normal");
  EXPECT_EQ(s.customer_kind, "resident");
  EXPECT_EQ(s.location["address"], "100 Main St");
  EXPECT_EQ(s.personal["name"], "Ana Resident");
  EXPECT_EQ(s.created_ms, kT0);
  EXPECT_EQ(s.updated_ms, kT0);
  EXPECT_EQ(s.deadline_ms, kT0 + 3 * kDay);
  EXPECT_EQ(s.first_response_ms, 0);
  EXPECT_EQ(s.version, 1u);
  EXPECT_EQ(s.last_hash, log.Requests().back().event.hash);

  log.Request(id, types::kRequestAssigned, {{"department", "DOT"}, {"assignee", "crew-7"}},
              kT0 + 20 * kMinute);
  FoldFrom(log, 1, s);
  EXPECT_EQ(s.assignee, "crew-7");
  EXPECT_EQ(s.first_response_ms, kT0 + 20 * kMinute);

  log.Request(id, types::kRequestRouted,
              {{"from_department", "DOT"}, {"to_department", "DPW"}, {"reason", "state road"}},
              kT0 + 30 * kMinute);
  FoldFrom(log, 2, s);
  EXPECT_EQ(s.department, "DPW");
  EXPECT_EQ(s.assignee, "") << "routing to another department clears the assignee";
  EXPECT_EQ(s.status, "open");

  log.Request(id, types::kRequestAssigned, {{"department", "DPW"}, {"assignee", "roads-2"}},
              kT0 + 40 * kMinute);
  log.Request(id, types::kRequestStatusChanged, {{"from", "open"}, {"to", "in_progress"}},
              kT0 + 60 * kMinute);
  FoldFrom(log, 3, s);
  EXPECT_EQ(s.assignee, "roads-2");
  EXPECT_EQ(s.status, "in_progress");
  EXPECT_EQ(s.first_response_ms, kT0 + 20 * kMinute) << "only the first response counts";
  EXPECT_EQ(s.version, 5u);
  EXPECT_EQ(s.updated_ms, kT0 + 60 * kMinute);

  log.Request(id, types::kRequestResolved, {{"resolution_code", "repaired"}}, kT0 + kDay);
  FoldFrom(log, 5, s);
  EXPECT_EQ(s.status, "resolved");
  EXPECT_EQ(s.resolved_ms, kT0 + kDay);
  EXPECT_EQ(s.resolution_code, "repaired");
  EXPECT_FALSE(s.OverdueAt(kT0 + 10 * kDay)) << "a resolved request is not overdue";

  log.Request(id, types::kRequestClosed, {{"reason", "confirmed"}}, kT0 + kDay + 60 * kMinute);
  FoldFrom(log, 6, s);
  EXPECT_EQ(s.status, "closed");
  EXPECT_EQ(s.closed_ms, kT0 + kDay + 60 * kMinute);
  EXPECT_EQ(s.resolution_code, "repaired") << "closing without a code keeps the resolution's";

  log.Request(id, types::kRequestReopened, {{"reason", "hole is back"}}, kT0 + 2 * kDay);
  FoldFrom(log, 7, s);
  EXPECT_EQ(s.status, "open");
  EXPECT_EQ(s.reopened_count, 1);
  EXPECT_EQ(s.resolved_ms, 0);
  EXPECT_EQ(s.closed_ms, 0);
  EXPECT_EQ(s.resolution_code, "");
  EXPECT_EQ(s.department, "DPW");
  EXPECT_EQ(s.created_ms, kT0);
  EXPECT_EQ(s.updated_ms, kT0 + 2 * kDay);
  EXPECT_EQ(s.version, 8u);
  EXPECT_EQ(s.last_hash, log.Requests().back().event.hash);
  EXPECT_TRUE(s.OverdueAt(kT0 + 4 * kDay)) << "reopened past its deadline";
}

TEST(RequestFold, OnlyPublicNotesCountAsFirstResponse) {
  TestLog log;
  RequestState s;
  log.Request("SR-1", types::kRequestSubmitted,
              fixtures::SubmittedData("graffiti", "DPW", kT0 + kDay), kT0);
  log.Request("SR-1", types::kRequestNoteAdded, {{"visibility", "internal"}, {"text", "seen"}},
              kT0 + kMinute);
  FoldFrom(log, 0, s);
  EXPECT_EQ(s.first_response_ms, 0);
  EXPECT_EQ(s.notes, 1);
  log.Request("SR-1", types::kRequestNoteAdded, {{"visibility", "public"}, {"text", "on it"}},
              kT0 + 2 * kMinute);
  FoldFrom(log, 2, s);
  EXPECT_EQ(s.first_response_ms, kT0 + 2 * kMinute);
  EXPECT_EQ(s.notes, 2);
}

TEST(RequestFold, TransferDuplicateSurveyAndUnknownTypes) {
  TestLog log;
  RequestState s;
  log.Request("SR-2", types::kRequestSubmitted, fixtures::SubmittedData("tree", "DPW", kT0 + kDay),
              kT0);
  log.Request("SR-2", types::kRequestDuplicateMarked, {{"parent_id", "SR-1"}}, kT0 + 1);
  log.Request("SR-2", types::kRequestTransferredExternal,
              {{"agency", "STATE-DOT"}, {"reason", "state highway"}}, kT0 + 2);
  log.Request("SR-2", types::kSurveyAnswered, {{"score", 4}}, kT0 + 3);
  log.Request("SR-2", "gov311.request.escalated.v9", {{"level", 2}}, kT0 + 4);
  FoldFrom(log, 0, s);
  EXPECT_EQ(s.parent, "SR-1");
  EXPECT_EQ(s.status, "transferred");
  EXPECT_EQ(s.external_agency, "STATE-DOT");
  EXPECT_FALSE(s.OverdueAt(kT0 + 2 * kDay)) << "a transferred request is not open";
  ASSERT_TRUE(s.survey_score.has_value());
  EXPECT_EQ(*s.survey_score, 4);
  EXPECT_EQ(s.version, 5u) << "unknown types still advance the version";
  EXPECT_EQ(s.updated_ms, kT0 + 4);
}

// Reclassified to a service and back: the first deadline is in force
// again, its breach is recorded, so no second breach awaits it.
TEST(RequestFold, ABreachedDeadlineInForceAgainAwaitsNoSecondBreach) {
  TestLog log;
  RequestState s;
  const int64_t first = kT0 + kDay, second = kT0 + kMinute;
  log.Request("SR-4", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", first), kT0, "web");
  log.Request("SR-4", types::kSlaBreached, {{"deadline", events::FormatTime(first)}}, first);
  auto reclassify = [&](const char* from, const char* to, int64_t deadline, int64_t at) {
    log.Request("SR-4", types::kRequestRouted,
                {{"from_department", "DOT"}, {"to_department", "DOT"}, {"reason", "x"}, {"from_service", from},
                 {"to_service", to}, {"service_name", to}, {"sla_deadline", events::FormatTime(deadline)}},
                at);
  };
  reclassify("pothole", "traffic-signal", second, first + kMinute);
  FoldFrom(log, 0, s);
  EXPECT_TRUE(s.AwaitsBreach()) << "the new deadline";
  log.Request("SR-4", types::kSlaBreached, {{"deadline", events::FormatTime(second)}}, second);
  reclassify("traffic-signal", "pothole", first, first + 2 * kMinute);
  s = {};
  FoldFrom(log, 0, s);
  EXPECT_EQ(s.deadline_ms, first);
  EXPECT_FALSE(s.AwaitsBreach());
  EXPECT_EQ(s.breached_deadlines_ms, (std::vector<int64_t>{first, second}));
  EXPECT_EQ(s.LastBreachedDeadline(), second);
  RequestState back = RequestState::FromJson(s.ToJson());
  EXPECT_EQ(back.breached_deadlines_ms, s.breached_deadlines_ms);
  EXPECT_FALSE(back.AwaitsBreach());
}

TEST(RequestStateJson, RoundTripsEveryFieldAndEncodesDeterministically) {
  TestLog log;
  RequestState s;
  log.Request("SR-3", types::kRequestSubmitted, fixtures::SubmittedData("noise", "POL", kT0 + kDay),
              kT0, "web");
  log.Request("SR-3", types::kRequestAssigned, {{"department", "POL"}, {"assignee", "unit-4"}},
              kT0 + kMinute);
  log.Request("SR-3", types::kRequestResolved, {{"resolution_code", "warned"}}, kT0 + 2 * kMinute);
  log.Request("SR-3", types::kSurveyAnswered, {{"score", 5}}, kT0 + 3 * kMinute);
  FoldFrom(log, 0, s);

  Json json = s.ToJson();
  EXPECT_EQ(json["created_at"], "2026-03-02T09:00:00.000Z");
  EXPECT_EQ(json["status"], "resolved");
  EXPECT_TRUE(json["closed_at"].is_null()) << "zero times are null";
  EXPECT_TRUE(json["parent_id"].is_null()) << "empty strings are null";
  RequestState back = RequestState::FromJson(json);
  EXPECT_EQ(back.ToJson().dump(), json.dump());
  EXPECT_EQ(back.first_response_ms, kT0 + kMinute);
  EXPECT_EQ(back.resolved_ms, kT0 + 2 * kMinute);
  EXPECT_EQ(back.version, 4u);
  EXPECT_EQ(back.survey_score, 5);
  EXPECT_EQ(back.assignee, "unit-4");
  EXPECT_EQ(back.closed_ms, 0);

  RequestState fresh;
  EXPECT_TRUE(fresh.ToJson()["survey_score"].is_null());
  EXPECT_EQ(RequestState::FromJson(fresh.ToJson()).ToJson().dump(), fresh.ToJson().dump());
}

TEST(RequestStateJson, FromJsonToleratesMistypedFields) {
  Json bad = {{"id", 7}, {"created_at", "yesterday"}, {"reopened_count", "two"}, {"location", 3}};
  RequestState s = RequestState::FromJson(bad);
  EXPECT_EQ(s.id, "");
  EXPECT_EQ(s.created_ms, 0);
  EXPECT_EQ(s.reopened_count, 0);
  EXPECT_TRUE(s.location.is_object());
  EXPECT_EQ(RequestState::FromJson(Json::array()).id, "");
}

TEST(RequestStatus, RulesForKnownSettableAndOpen) {
  for (const char* status : kStatuses) EXPECT_TRUE(IsKnownStatus(status)) << status;
  EXPECT_FALSE(IsKnownStatus("done"));
  EXPECT_TRUE(IsSettableStatus("on_hold"));
  EXPECT_TRUE(IsSettableStatus("acknowledged"));
  EXPECT_FALSE(IsSettableStatus("resolved"));
  EXPECT_FALSE(IsSettableStatus("closed"));
  EXPECT_FALSE(IsSettableStatus("transferred"));
  EXPECT_TRUE(IsOpenStatus("in_progress"));
  EXPECT_TRUE(IsOpenStatus("on_hold"));
  EXPECT_FALSE(IsOpenStatus("resolved"));
  EXPECT_FALSE(IsOpenStatus("closed"));
  EXPECT_FALSE(IsOpenStatus("transferred"));
}

TEST(RequestState, OverdueOnlyWhenOpenWithAPassedDeadline) {
  RequestState s;
  s.status = "open";
  EXPECT_FALSE(s.OverdueAt(kT0)) << "no deadline, never overdue";
  s.deadline_ms = kT0;
  EXPECT_FALSE(s.OverdueAt(kT0)) << "due exactly now is not yet overdue";
  EXPECT_TRUE(s.OverdueAt(kT0 + 1));
  s.status = "closed";
  EXPECT_FALSE(s.OverdueAt(kT0 + 1));
}

}  // namespace
}  // namespace ledger::projections
