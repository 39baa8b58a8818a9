#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "events/event_types.h"
#include "events/schema.h"

namespace ledger::events {
namespace {

// One valid `data` per type, and one typical mistake with the message a
// caller sees for it.
struct SchemaCase {
  std::string_view type;
  Json valid;
  Json invalid;
  std::string message;
};

Json Contact() {
  return {{"channel", "phone"},         {"language", "es"},     {"agent", "ana"},
          {"wait_seconds", 42},         {"handle_seconds", 180.5}, {"abandoned", false},
          {"outcome", "created_request"}, {"request_id", "SR-0A1B2C3D4E5F6"},
          {"summary", "pothole on Main St"},
          {"personal", {{"name", "Zoë Ortiz"}, {"phone", "+1 240 555 0100"}}}};
}

Json Submitted() {
  return {{"service_code", "POTHOLE"},
          {"service_name", "Pothole repair"},
          {"department", "DOT"},
          {"description", "deep pothole in the right lane"},
          {"location",
           {{"address", "1 Main St"}, {"zip", "20850"}, {"lat", 39.08}, {"lon", -77.15}}},
          {"attributes", {{"size", "large"}, {"lanes_blocked", 1}}},
          {"customer_kind", "resident"},
          {"priority", "normal"},
          {"sla_deadline", "2026-11-26T14:08:00.000Z"},
          {"contact_id", "CT-0A1B2C3D4E5F6"},
          {"personal", {{"email", "zoe@example.org"}, {"address", "9 Elm Ct"}}}};
}

Json With(Json data, const std::string& field, Json value) {
  data[field] = std::move(value);
  return data;
}

Json Without(Json data, const std::string& field) {
  data.erase(field);
  return data;
}

std::vector<SchemaCase> Cases() {
  Json lat91 = Submitted();
  lat91["location"]["lat"] = 91;
  return {
      {types::kContactReceived, Contact(), With(Contact(), "channel", "fax"),
       "data/channel: must be one of phone, email, letter, walk_in, web, mobile, tty, internal"},
      {types::kRequestSubmitted, Submitted(), lat91, "data/location/lat: must be at most 90"},
      {types::kRequestRouted,
       {{"from_department", "DOT"}, {"to_department", "DEP"}, {"reason", "water main"}},
       {{"from_department", "DOT"}, {"reason", "water main"}},
       "data: missing required field 'to_department'"},
      {types::kRequestRouted,
       {{"from_department", "DOT"}, {"to_department", "DOT"}, {"reason", "a sinkhole"}, {"from_service", "pothole"},
        {"to_service", "sinkhole"}, {"service_name", "Sinkhole"}, {"sla_deadline", "2026-11-24T14:00:00.000Z"}},
       {{"from_department", "DOT"}, {"to_department", "DOT"}, {"reason", "a sinkhole"}, {"from_service", "pothole"},
        {"to_service", "sinkhole"}, {"service_name", "Sinkhole"}},
       "data: missing required field 'sla_deadline'"},
      {types::kRequestAssigned, {{"department", "DOT"}, {"assignee", "crew-4"}},
       {{"department", "DOT"}, {"assignee", 4}}, "data/assignee: must be a string"},
      {types::kRequestStatusChanged, {{"from", "open"}, {"to", "in_progress"}},
       {{"from", "open"}, {"to", "resolved"}},
       "data/to: must be one of open, acknowledged, in_progress, on_hold"},
      {types::kRequestNoteAdded, {{"visibility", "public"}, {"text", std::string(4000, 'x')}},
       {{"visibility", "public"}, {"text", std::string(4001, 'x')}},
       "data/text: must be at most 4000 characters long"},
      {types::kRequestDuplicateMarked, {{"parent_id", "SR-0A1B2C3D4E5F6"}},
       {{"parent_id", ""}}, "data/parent_id: must not be empty"},
      {types::kRequestTransferredExternal,
       {{"agency", "MDSHA"}, {"reason", "state road"}, {"external_reference", "T-77"}},
       {{"agency", "MDSHA"}, {"reason", "state road"}, {"external_ref", "T-77"}},
       "data/external_ref: unknown field"},
      {types::kRequestResolved, {{"resolution_code", "repaired"}, {"resolution", "patched"}},
       {{"resolution", "patched"}}, "data: missing required field 'resolution_code'"},
      {types::kRequestClosed, Json::object(), {{"reason", 5}}, "data/reason: must be a string"},
      {types::kRequestReopened, {{"reason", "came back"}}, Json::object(),
       "data: missing required field 'reason'"},
      {types::kSurveyAnswered, {{"score", 4}, {"comment", "fast"}}, {{"score", 4.5}},
       "data/score: must be an integer"},
      {types::kSlaBreached,
       {{"deadline", "2026-11-26T14:08:00Z"}, {"department", "DOT"}, {"service_code", "POTHOLE"}},
       {{"deadline", "next Tuesday"}, {"department", "DOT"}, {"service_code", "POTHOLE"}},
       "data/deadline: must be an RFC 3339 date-time such as 2026-11-23T14:08:00Z"},
      {types::kPerformanceDayChanged,
       {{"department", "DOT"}, {"day", "2026-11-23"}, {"figures", {{"opened", 3}}}},
       {{"department", "DOT"}, {"day", "2026-11-23"}, {"figures", 3}},
       "data/figures: must be an object"},
      {types::kResidentErased, {{"resident_key", "rk-81"}, {"reason", "resident asked"}},
       {{"resident_key", "rk-81"}, {"reason", "resident asked"}, {"name", "Zoë Ortiz"}},
       "data/name: unknown field"},
  };
}

std::string MessageOf(std::string_view type, const Json& data) {
  base::Status s = ValidateData(type, data);
  return s.ok() ? "accepted" : s.error().message;
}

TEST(EventSchema, EveryTypeHasASchemaDescribingIt) {
  for (std::string_view type : types::kAll) {
    const Json* schema = SchemaFor(type);
    ASSERT_NE(schema, nullptr) << type;
    std::string id = schema->value("$id", "");
    EXPECT_TRUE(id.ends_with(std::string(type).append(".json"))) << id;
    EXPECT_FALSE(schema->value("title", "").empty()) << type;
    EXPECT_FALSE(schema->value("description", "").empty()) << type;
    EXPECT_EQ(schema->value("additionalProperties", true), false) << type;
  }
}

TEST(EventSchema, EverySchemaFileIsAKnownType) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LEDGER_SCHEMA_DIR)) {
    if (entry.path().extension() != ".json") continue;
    std::string type = entry.path().stem().string();
    EXPECT_TRUE(types::IsKnown(type)) << entry.path();
    EXPECT_NE(SchemaFor(type), nullptr) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, static_cast<int>(types::kAll.size()));
}

TEST(EventSchema, UnknownTypeIsRejected) {
  base::Status s = ValidateData("gov311.request.exploded.v1", Json::object());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message, "unknown event type 'gov311.request.exploded.v1'");
  EXPECT_EQ(SchemaFor("gov311.request.exploded.v1"), nullptr);
}

TEST(EventSchema, CasesCoverEveryType) {
  std::set<std::string_view> covered;
  for (const auto& c : Cases()) covered.insert(c.type);
  EXPECT_EQ(covered, std::set<std::string_view>(types::kAll.begin(), types::kAll.end()));
}

TEST(EventSchema, ValidExampleOfEveryTypePasses) {
  for (const auto& c : Cases()) EXPECT_EQ(MessageOf(c.type, c.valid), "accepted") << c.type;
}

TEST(EventSchema, TypicalMistakeIsRejectedNamingTheField) {
  for (const auto& c : Cases()) {
    base::Status s = ValidateData(c.type, c.invalid);
    ASSERT_FALSE(s.ok()) << c.type;
    EXPECT_EQ(s.error().code, base::ErrorCode::kInvalidArgument) << c.type;
    EXPECT_EQ(s.error().message, c.message) << c.type;
  }
}

TEST(EventSchema, DataMustBeAnObject) {
  EXPECT_EQ(MessageOf(types::kRequestReopened, Json::array()), "data: must be an object");
  EXPECT_EQ(MessageOf(types::kRequestReopened, "reason"), "data: must be an object");
}

TEST(EventSchema, SurveyScoreIsOneToFive) {
  Json survey = {{"score", 0}};
  EXPECT_EQ(MessageOf(types::kSurveyAnswered, survey), "data/score: must be at least 1");
  survey["score"] = 6;
  EXPECT_EQ(MessageOf(types::kSurveyAnswered, survey), "data/score: must be at most 5");
  for (int score : {1, 5}) {
    survey["score"] = score;
    EXPECT_EQ(MessageOf(types::kSurveyAnswered, survey), "accepted") << score;
  }
  survey["score"] = 5.0;  // a whole number is an integer in JSON Schema
  EXPECT_EQ(MessageOf(types::kSurveyAnswered, survey), "accepted");
}

TEST(EventSchema, ContactThatCreatedOrLinkedARequestNamesIt) {
  for (std::string outcome : {"created_request", "linked_to_request"}) {
    Json contact = Without(With(Contact(), "outcome", outcome), "request_id");
    EXPECT_EQ(MessageOf(types::kContactReceived, contact),
              "data: missing required field 'request_id'")
        << outcome;
  }
  Json information = Without(With(Contact(), "outcome", "information"), "request_id");
  EXPECT_EQ(MessageOf(types::kContactReceived, information), "accepted");
}

TEST(EventSchema, ContactDurationsAreNotNegative) {
  EXPECT_EQ(MessageOf(types::kContactReceived, With(Contact(), "wait_seconds", -1)),
            "data/wait_seconds: must be at least 0");
  EXPECT_EQ(MessageOf(types::kContactReceived, With(Contact(), "handle_seconds", 0)), "accepted");
}

TEST(EventSchema, LocationStaysOnTheGlobe) {
  Json request = Submitted();
  request["location"] = {{"lat", -90}, {"lon", 180}};
  EXPECT_EQ(MessageOf(types::kRequestSubmitted, request), "accepted");
  request["location"]["lon"] = -180.5;
  EXPECT_EQ(MessageOf(types::kRequestSubmitted, request),
            "data/location/lon: must be at least -180");
  request["location"] = {{"lat", "39.08"}};
  EXPECT_EQ(MessageOf(types::kRequestSubmitted, request), "data/location/lat: must be a number");
}

TEST(EventSchema, PersonalDataHasOnlyTheKnownFields) {
  Json request = Submitted();
  request["personal"]["ssn"] = "000-00-0000";
  EXPECT_EQ(MessageOf(types::kRequestSubmitted, request), "data/personal/ssn: unknown field");
}

TEST(EventSchema, UnknownFieldPathEscapesSlashes) {
  Json reopened = {{"reason", "came back"}, {"a/b", 1}};
  EXPECT_EQ(MessageOf(types::kRequestReopened, reopened), "data/a~1b: unknown field");
}

TEST(EventSchema, SubmittedRequestNeedsAnSlaDeadline) {
  EXPECT_EQ(MessageOf(types::kRequestSubmitted, Without(Submitted(), "sla_deadline")),
            "data: missing required field 'sla_deadline'");
  EXPECT_EQ(MessageOf(types::kRequestSubmitted, With(Submitted(), "priority", "asap")),
            "data/priority: must be one of low, normal, high, urgent");
}

}  // namespace
}  // namespace ledger::events
