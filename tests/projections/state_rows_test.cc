// The rows a rebuild writes by hand must be the bytes nlohmann writes: the
// state checksum covers them, and a replay must reproduce earlier states.
#include <gtest/gtest.h>

#include "projections/state_layout.h"
#include "tests/projections/test_log.h"

namespace ledger::projections {
namespace {

using fixtures::kDay;
using fixtures::kT0;
using layout::ContactRow;
using layout::RequestRow;
namespace types = events::types;

RequestState EveryFieldSet() {
  RequestState s;
  s.id = "SR-0000000000001";
  s.service_code = "pothole";
  s.service_name = "Pothole \"deep\" \\ repair";
  s.department = "DOT";
  s.status = "in_progress";
  s.assignee = "crew\t7\nnight";
  s.priority = "high";
  s.customer_kind = "business";
  s.channel = "phone";
  s.description =
      "tab\there, bell\x07, del\x7f, caf\xc3\xa9, \xe6\x9d\xb1, \xf0\x9f\x9a\xa7";
  s.location = {{"address", "100 Main St"}, {"lat", 39.0997265}, {"lon", -77.2}, {"zip", 20850}};
  s.attributes = {{"depth_cm", 12.5}, {"lanes", Json::array({1, 2})}, {"night", true},
                  {"note", nullptr}, {"count", -3}};
  s.personal = {{"name", "Zoë Résident"}, {"phone", "555-0100"}};
  s.created_ms = kT0;
  s.updated_ms = kT0 + 5;
  s.deadline_ms = kT0 + kDay;
  s.first_response_ms = kT0 + 1;
  s.resolved_ms = kT0 + 2;
  s.closed_ms = kT0 + 3;
  s.resolution_code = "filled";
  s.external_agency = "State DOT";
  s.parent = "SR-0000000000000";
  s.reopened_count = 2;
  s.notes = 11;
  s.survey_score = 4;
  s.version = 18446744073709551615u;
  s.last_hash = "ab12";
  return s;
}

TEST(RequestRow, IsTheCompactDumpOfToJson) {
  RequestState full = EveryFieldSet();
  EXPECT_EQ(RequestRow(full), full.ToJson().dump());

  RequestState empty;  // nulls, empty objects, zero counts, no survey score
  EXPECT_EQ(RequestRow(empty), empty.ToJson().dump());

  RequestState before_epoch = full;
  before_epoch.created_ms = -86'400'001;
  before_epoch.survey_score.reset();
  before_epoch.status.clear();
  before_epoch.location = Json::object();
  EXPECT_EQ(RequestRow(before_epoch), before_epoch.ToJson().dump());
}

TEST(RequestRow, FoldedStatesReadBackAsTheSameRow) {
  fixtures::TestLog log;
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("tree", "DPW", kT0 + kDay),
              kT0, "web");
  log.Request("SR-1", types::kRequestAssigned, {{"assignee", "crew \"A\""}}, kT0 + 1);
  log.Request("SR-1", types::kRequestClosed, {{"resolution_code", "done"}}, kT0 + 2);
  RequestState s;
  for (const auto& stored : log.Requests()) {
    ApplyToRequest(s, stored.event);
    std::string row = RequestRow(s);
    EXPECT_EQ(row, s.ToJson().dump());
    EXPECT_EQ(RequestRow(RequestState::FromJson(Json::parse(row))), row);
  }
}

// What ContactRow documents, built with nlohmann.
std::string ExpectedContactRow(const events::Event& e) {
  Json summary = e.data.is_object() ? e.data : Json::object();
  summary.erase("personal");
  if (!summary.contains("channel") && !e.channel.empty()) summary["channel"] = e.channel;
  summary["time"] = events::FormatTime(e.time_ms);
  return summary.dump();
}

events::Event Contact(Json data, std::string channel) {
  events::Event e;
  e.type = std::string(types::kContactReceived);
  e.subject = "CT-1";
  e.time_ms = kT0 + 123;
  e.data = std::move(data);
  e.channel = std::move(channel);
  return e;
}

TEST(ContactRow, IsTheDataWithoutPersonalPlusChannelAndTime) {
  Json typical = fixtures::ContactData("SR-1");
  Json without_channel = typical;
  without_channel.erase("channel");
  Json around_the_added_keys = {{"a", 1},          {"channel_note", "x"}, {"ch", "y"},
                                {"time", "stale"}, {"tim", 2.5},          {"timer", false},
                                {"zz", Json::array({"q\"uote"})},         {"personal", {{"n", 1}}}};
  const std::pair<Json, std::string> cases[] = {
      {typical, "phone"},           // the data's channel wins
      {without_channel, "email"},   // the event's channel is added
      {without_channel, ""},        // no channel anywhere
      {around_the_added_keys, "web"},
      {Json::object(), "walk_in"},
      {Json::array({1, 2}), "letter"},  // not an object: only channel and time
  };
  for (const auto& [data, channel] : cases) {
    events::Event e = Contact(data, channel);
    std::string row = ContactRow(e);
    EXPECT_EQ(row, ExpectedContactRow(e)) << data.dump() << " / " << channel;
    EXPECT_EQ(row.find("personal"), std::string::npos);
  }
  EXPECT_EQ(ContactRow(Contact(Json::object(), "")), R"({"time":"2026-03-02T09:00:00.123Z"})");
}

}  // namespace
}  // namespace ledger::projections
