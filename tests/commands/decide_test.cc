// The decisions behind each write, without log or server: which events a
// command produces against a given state, and which it refuses.
#include <gtest/gtest.h>

#include "commands/decide.h"
#include "events/event_types.h"

namespace ledger::commands {
namespace {

using base::ErrorCode;
using nlohmann::json;
namespace types = events::types;

const catalog::Catalog& County() {
  static auto catalog = catalog::Catalog::Load(std::string(LEDGER_SOURCE_DIR) + "/config/catalog.toml");
  return **catalog;
}

CommandContext Ctx() { return {events::ParseTime("2026-11-23T15:00:00Z").value(), "key:agent", "/test"}; }

projections::RequestView Request(std::string status = "open", std::string department = "DOT") {
  projections::RequestView v;
  v.state.id = "SR-TEST0000000001";
  v.state.service_code = "pothole";
  v.state.department = std::move(department);
  v.state.status = std::move(status);
  v.state.version = 3;
  return v;
}

json PotholeBody() {
  return {{"service_code", "pothole"},
          {"description", "pothole"},
          {"location", {{"address", "1 Main St"}}},
          {"resident", {{"name", "Pat"}, {"email", "pat@example.org"}}}};
}

TEST(DecideSubmit, TakesDepartmentAndDeadlineFromTheCatalogAndKeepsPersonalDataApart) {
  auto d = DecideSubmit(County(), PotholeBody(), Ctx());
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->records.size(), 1u);
  const auto& r = d->records[0];
  EXPECT_EQ(r.topic, "311.requests");
  EXPECT_EQ(r.expected_version, 0u);
  EXPECT_EQ(r.copy_topics, std::vector<std::string>{"311.dept.DOT"});
  EXPECT_EQ(r.event.type, types::kRequestSubmitted);
  EXPECT_EQ(r.event.subject, d->request_id);
  EXPECT_EQ(r.event.actor, "key:agent");
  EXPECT_EQ(r.event.data["department"], "DOT");
  // Monday 10:00 local + 72 business hours of 07:00-19:00: 9 + 12 + 12 (to Wednesday),
  // Thanksgiving and the day after skipped, 12 + 12 + 12 (to Wednesday), 3 more: Thursday 10:00.
  EXPECT_EQ(r.event.data["sla_deadline"], "2026-12-03T15:00:00.000Z");
  EXPECT_EQ(r.event.data["personal"]["email"], "pat@example.org");
  json without = r.event.data;
  without.erase("personal");
  EXPECT_EQ(without.dump().find("pat@example.org"), std::string::npos);
}

TEST(DecideContact, CreatedRequestAppendsContactAndRequestTogetherLinkedBothWays) {
  json body = {{"channel", "phone"}, {"language", "es"}, {"outcome", "created_request"},
               {"request", PotholeBody()}};
  auto d = DecideContact(County(), body, std::nullopt, Ctx());
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->records.size(), 2u);
  EXPECT_EQ(d->records[0].topic, "311.contacts");
  EXPECT_EQ(d->records[0].event.data["request_id"], d->request_id);
  EXPECT_EQ(d->records[1].event.data["contact_id"], d->contact_id);
  EXPECT_EQ(d->records[1].event.channel, "phone");  // inherited from the contact
}

TEST(DecideContact, AbandonedCallMustSayAbandoned) {
  json body = {{"channel", "phone"}, {"language", "en"}, {"outcome", "information"}, {"abandoned", true}};
  auto d = DecideContact(County(), body, std::nullopt, Ctx());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  body["outcome"] = "abandoned";
  EXPECT_TRUE(DecideContact(County(), body, std::nullopt, Ctx()).ok());
}

TEST(DecideRequestCommand, RouteCopiesToOldAndNewDepartmentTopics) {
  auto d = DecideRequestCommand(County(), Request(), {{"command", "route"}, {"to_department", "DSW"},
                                                      {"reason", "debris"}}, {}, Ctx());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->records[0].expected_version, 3u);
  EXPECT_EQ(d->records[0].copy_topics, (std::vector<std::string>{"311.dept.DOT", "311.dept.DSW"}));
  EXPECT_EQ(d->records[0].event.data["from_department"], "DOT");
}

struct Refusal {
  std::string status;
  json body;
  ErrorCode code;
};

TEST(DecideRequestCommand, RefusesTransitionsThatMakeNoSense) {
  std::vector<Refusal> cases = {
      {"closed", {{"command", "close"}}, ErrorCode::kConflict},
      {"closed", {{"command", "assign"}, {"assignee", "x"}}, ErrorCode::kConflict},
      {"resolved", {{"command", "resolve"}, {"resolution_code", "x"}}, ErrorCode::kConflict},
      {"resolved", {{"command", "change_status"}, {"status", "in_progress"}}, ErrorCode::kConflict},
      {"open", {{"command", "reopen"}, {"reason", "x"}}, ErrorCode::kConflict},
      {"open", {{"command", "change_status"}, {"status", "open"}}, ErrorCode::kConflict},
      {"open", {{"command", "route"}, {"to_department", "DOT"}, {"reason", "x"}}, ErrorCode::kConflict},
      {"open", {{"command", "assign"}, {"assignee", "x"}, {"expected_version", 2}}, ErrorCode::kConflict},
      {"open", {{"command", "transfer_external"}, {"agency", "DSW"}, {"reason", "x"}},
       ErrorCode::kInvalidArgument},
      {"open", {{"command", "change_status"}, {"status", "closed"}}, ErrorCode::kInvalidArgument},
      {"open", {{"command", "add_note"}}, ErrorCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto d = DecideRequestCommand(County(), Request(c.status), c.body, {}, Ctx());
    ASSERT_FALSE(d.ok()) << c.status << " " << c.body.dump();
    EXPECT_EQ(d.error().code, c.code) << c.body.dump() << ": " << d.error().message;
  }
}

TEST(DecideRequestCommand, ClosedRequestStillTakesNotesSurveysAndReopening) {
  for (json body : {json{{"command", "add_note"}, {"text", "resident called back"}},
                    json{{"command", "record_survey"}, {"score", 5}},
                    json{{"command", "reopen"}, {"reason", "not fixed"}}}) {
    auto d = DecideRequestCommand(County(), Request("closed"), body, {}, Ctx());
    EXPECT_TRUE(d.ok()) << body.dump() << ": " << d.error().message;
  }
}

TEST(DecideRequestCommand, TransferToOutsideAgencyRecordsTheAgency) {
  auto d = DecideRequestCommand(County(), Request(), {{"command", "transfer_external"}, {"agency", "SHA"},
                                                      {"reason", "state route"}}, {}, Ctx());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->records[0].event.type, types::kRequestTransferredExternal);
  EXPECT_EQ(d->records[0].event.data["agency"], "SHA");
}

ParentChain ParentWithAncestors(std::vector<std::string> ancestors) {
  ParentChain chain{Request(), std::move(ancestors)};
  chain.parent->state.id = "SR-PARENT";
  return chain;
}

TEST(DecideRequestCommand, MarkDuplicateRefusesALinkThatClosesACycleOfAnyLength) {
  const json body = {{"command", "mark_duplicate"}, {"parent_id", "SR-PARENT"}};
  auto linked =
      DecideRequestCommand(County(), Request(), body, ParentWithAncestors({"SR-A", "SR-B"}), Ctx());
  ASSERT_TRUE(linked.ok()) << linked.error().message;
  EXPECT_EQ(linked->records[0].event.type, types::kRequestDuplicateMarked);
  EXPECT_EQ(linked->records[0].event.data["parent_id"], "SR-PARENT");
  struct Case {
    std::vector<std::string> ancestors;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {{"SR-TEST0000000001"},
            "field 'parent_id': SR-PARENT is a duplicate of SR-TEST0000000001; "
            "that would form a cycle"},
           {{"SR-A", "SR-B", "SR-TEST0000000001"},
            "field 'parent_id': SR-PARENT is (through SR-A, SR-B) a duplicate of "
            "SR-TEST0000000001; that would form a cycle"}}) {
    auto d =
        DecideRequestCommand(County(), Request(), body, ParentWithAncestors(c.ancestors), Ctx());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(d.error().message, c.message);
  }
}

TEST(DecideRequestCommand, MarkDuplicateRefusesAChainLongerThanTheBound) {
  const json body = {{"command", "mark_duplicate"}, {"parent_id", "SR-PARENT"}};
  std::vector<std::string> ancestors(kMaxDuplicateChain, "SR-LOOP");
  EXPECT_TRUE(
      DecideRequestCommand(County(), Request(), body, ParentWithAncestors(ancestors), Ctx()).ok());
  ancestors.push_back("SR-LOOP");
  auto d = DecideRequestCommand(County(), Request(), body, ParentWithAncestors(ancestors), Ctx());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(d.error().message.find("more than 10000"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace ledger::commands

namespace ledger::commands {
namespace {

// The SLA timer's decision: one sla.breached per deadline that passed while
// the request was open, timed at the deadline, with an id of its own.
TEST(DecideBreach, RecordsAPassedDeadlineOfAnOpenRequestOnce) {
  CommandContext ctx = Ctx();
  int64_t deadline = ctx.now_ms - 60'000;
  auto v = Request("in_progress");
  v.state.deadline_ms = deadline;
  auto d = DecideBreach(v, deadline, ctx);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->records.size(), 1u);
  const auto& r = d->records[0];
  EXPECT_EQ(r.event.type, types::kSlaBreached);
  EXPECT_EQ(r.event.time_ms, deadline);
  EXPECT_EQ(r.event.data["deadline"], events::FormatTime(deadline));
  EXPECT_EQ(r.event.data["department"], "DOT");
  EXPECT_EQ(r.expected_version, 3u);
  EXPECT_EQ(r.copy_topics, std::vector<std::string>{"311.dept.DOT"});
  auto again = DecideBreach(v, deadline, ctx);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records[0].event.id, r.event.id) << "the id derives from request and deadline";
  v.state.deadline_ms = deadline - 1;
  auto other = DecideBreach(v, deadline - 1, ctx);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->records[0].event.id, r.event.id);
}

TEST(DecideBreach, RefusesWhatIsNotABreach) {
  CommandContext ctx = Ctx();
  int64_t deadline = ctx.now_ms - 60'000;
  auto refused = [&](projections::RequestView v, int64_t asked) {
    auto d = DecideBreach(v, asked, ctx);
    return !d.ok() && d.error().code == ErrorCode::kConflict;
  };
  auto open = Request();
  open.state.deadline_ms = deadline;
  for (const char* status : {"resolved", "closed", "transferred"}) {
    auto v = open;
    v.state.status = status;
    EXPECT_TRUE(refused(v, deadline)) << status;
  }
  EXPECT_TRUE(refused(open, deadline + 1)) << "not the deadline in force";
  EXPECT_TRUE(refused(open, 0));
  auto future = open;
  future.state.deadline_ms = ctx.now_ms;
  EXPECT_TRUE(refused(future, ctx.now_ms)) << "a deadline passes after its instant";
  auto recorded = open;
  recorded.state.breached_deadlines_ms = {deadline};
  EXPECT_TRUE(refused(recorded, deadline));
  auto none = Request();
  EXPECT_TRUE(refused(none, 0)) << "no deadline";
}

}  // namespace
}  // namespace ledger::commands
