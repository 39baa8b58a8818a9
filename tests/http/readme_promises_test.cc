// Promises the README makes about the HTTP API that no other test keeps,
// each checked as a client meets it, on both logs: the X-API-Key header,
// every contact channel and outcome, the created_from/created_to range of
// the list, and a transfer to an outside agency.
#include <set>

#include <gtest/gtest.h>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

class ReadmePromises : public ::testing::TestWithParam<Backend> {
 protected:
  ReadmePromises() : ledger_(GetParam()), client_(ledger_.Client()) {}

  std::string Submit(const json& body = PotholeRequest()) {
    HttpReply r = client_.Post("/v1/requests", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json()["request"].value("id", "");
  }

  LedgerUnderTest ledger_;
  HttpClient client_;
};

TEST_P(ReadmePromises, TheXApiKeyHeaderAuthenticatesLikeBearer) {
  HttpReply read = client_.Send("GET", "/v1/catalog", "", {{"X-API-Key", kTestKey}}, /*with_key=*/false);
  EXPECT_EQ(read.status, 200) << read.body;
  HttpReply wrote = client_.Send("POST", "/v1/requests", PotholeRequest().dump(),
                                 {{"X-API-Key", kTestKey}, {"Content-Type", "application/json"}}, false);
  ASSERT_EQ(wrote.status, 201) << wrote.body;
  EXPECT_EQ(wrote.Json()["events"][0]["event"]["actor"], "key:tester");
}

// A request body that names no channel, so it takes its contact's.
json RequestWithoutChannel() {
  json body = PotholeRequest();
  body.erase("channel");
  return body;
}

TEST_P(ReadmePromises, EveryChannelAndOutcomeOfAContactIsRecorded) {
  std::string request_id = Submit();
  const std::vector<std::string> channels = {"phone", "email", "letter", "walk_in", "web", "mobile", "tty", "internal"};
  for (const auto& channel : channels) {
    SCOPED_TRACE(channel);
    std::vector<json> contacts = {
        {{"outcome", "information"}, {"summary", "asked about opening hours"}},
        {{"outcome", "referred"}, {"referred_to", "State Highway Administration"}},
        {{"outcome", "transferred_agency"}, {"summary", "state road"}},
        {{"outcome", "abandoned"}, {"abandoned", true}, {"wait_seconds", 300}},
        {{"outcome", "linked_to_request"}, {"request_id", request_id}},
        {{"outcome", "created_request"}, {"request", RequestWithoutChannel()}},
    };
    for (auto& contact : contacts) {
      contact["channel"] = channel;
      contact["language"] = "en";
      HttpReply r = client_.Post("/v1/contacts", contact);
      ASSERT_EQ(r.status, 201) << contact.dump() << " -> " << r.body;
      json recorded = r.Json()["events"][0]["event"];
      EXPECT_EQ(recorded["data"]["channel"], channel);
      EXPECT_EQ(recorded["data"]["outcome"], contact["outcome"]);
      EXPECT_EQ(recorded["data"]["abandoned"], contact["outcome"] == "abandoned");
      if (contact["outcome"] == "created_request")
        EXPECT_EQ(r.Json()["request"]["channel"], channel) << "the request takes the contact's channel";
      else if (contact["outcome"] == "linked_to_request")
        EXPECT_EQ(r.Json()["request"]["id"], request_id) << "the answer shows the linked request";
      else
        EXPECT_FALSE(r.Json().contains("request")) << r.body;
    }
  }
  EXPECT_EQ(client_.Get("/v1/requests/" + request_id).Json()["contact_count"], channels.size());
  // An abandoned contact has outcome abandoned, and only it.
  HttpReply mixed = client_.Post("/v1/contacts", {{"channel", "phone"}, {"outcome", "information"}, {"abandoned", true}});
  EXPECT_EQ(mixed.status, 400) << mixed.body;
}

std::set<std::string> Listed(HttpClient& client, const std::string& query) {
  HttpReply r = client.Get("/v1/requests?" + query);
  EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
  json page = r.Json();
  std::set<std::string> ids;
  for (const auto& request : page["requests"]) ids.insert(request["id"].get<std::string>());
  EXPECT_TRUE(page["next_cursor"].is_null()) << "one page holds them all";
  return ids;
}

TEST_P(ReadmePromises, CreatedFromIsInclusiveAndCreatedToExclusive) {
  int64_t now = events::NowMs();
  int64_t day = 86'400'000;
  std::vector<int64_t> created = {now - 3 * day, now - 2 * day, now - day};
  std::vector<std::string> ids;
  for (int64_t at : created) {
    json body = PotholeRequest();
    body["occurred_at"] = events::FormatTime(at);
    ids.push_back(Submit(body));
  }
  auto t = [](int64_t ms) { return events::FormatTime(ms); };
  EXPECT_EQ(Listed(client_, "created_from=" + t(created[1]) + "&created_to=" + t(created[2])),
            (std::set<std::string>{ids[1]}));
  EXPECT_EQ(Listed(client_, "created_to=" + t(created[1])), (std::set<std::string>{ids[0]}));
  EXPECT_EQ(Listed(client_, "created_to=" + t(created[1] + 1)), (std::set<std::string>{ids[0], ids[1]}));
  EXPECT_EQ(Listed(client_, "created_from=" + t(created[2])), (std::set<std::string>{ids[2]}));
  EXPECT_EQ(Listed(client_, "created_from=" + t(created[0]) + "&created_to=" + t(created[0])), std::set<std::string>{});
  EXPECT_EQ(Listed(client_, "department=DOT&created_from=" + t(created[0] + 1) + "&created_to=" + t(now)),
            (std::set<std::string>{ids[1], ids[2]}));
}

// Importers bring requests from 1900; the list keeps them in time order
// with the rest (before, times before 1970 sorted after every later one).
TEST_P(ReadmePromises, RequestsFromBefore1970ListInTimeOrderAndCountAsOverdue) {
  json old_body = PotholeRequest();
  old_body["occurred_at"] = "1900-03-01T09:00:00Z";
  std::string from_1900 = Submit(old_body);
  std::string from_now = Submit();
  HttpReply all = client_.Get("/v1/requests?department=DOT");
  ASSERT_EQ(all.status, 200) << all.body;
  json page = all.Json();
  ASSERT_EQ(page["requests"].size(), 2u) << all.body;
  EXPECT_EQ(page["requests"][0]["id"], from_1900) << "oldest first";
  EXPECT_EQ(page["requests"][1]["id"], from_now);
  EXPECT_EQ(Listed(client_, "created_from=1899-12-31T00:00:00Z&created_to=1901-01-01T00:00:00Z"),
            (std::set<std::string>{from_1900}));
  EXPECT_EQ(Listed(client_, "created_from=1950-01-01T00:00:00Z"), (std::set<std::string>{from_now}));
  EXPECT_EQ(Listed(client_, "overdue=true"), (std::set<std::string>{from_1900}));
}

TEST_P(ReadmePromises, ATransferToAnOutsideAgencyIsStoredAndShownOnTheRequest) {
  std::string id = Submit();
  HttpReply moved = client_.Post("/v1/requests/" + id + "/events",
                                 {{"command", "transfer_external"}, {"agency", "SHA"}, {"reason", "state route"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.Json()["events"][0]["event"]["type"], "gov311.request.transferred_external.v1");
  EXPECT_EQ(moved.Json()["events"][0]["event"]["data"]["agency"], "SHA");
  json state = client_.Get("/v1/requests/" + id).Json();
  EXPECT_EQ(state["version"], 2);
  EXPECT_EQ(state["status"], "transferred");
  EXPECT_EQ(state["external_agency"], "SHA");
  json history = client_.Get("/v1/requests/" + id + "/history").Json();
  ASSERT_EQ(history["events"].size(), 2u);
  EXPECT_EQ(history["events"][1]["data"]["agency"], "SHA");
  // An agency that is not an outside one is refused, and nothing is appended.
  uint64_t before = EventsAppended(client_);
  HttpReply inside = client_.Post("/v1/requests/" + id + "/events",
                                  {{"command", "transfer_external"}, {"agency", "DSW"}, {"reason", "x"}});
  EXPECT_EQ(inside.status, 400) << inside.body;
  EXPECT_EQ(EventsAppended(client_), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadmePromises, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
