// The audit trail's "who": every event's actor is the identity the API key
// proved, whatever the client sends; a name the client gives goes in
// `onbehalfof` beside it.
#include <gtest/gtest.h>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

class Actor : public ::testing::TestWithParam<Backend> {};

TEST_P(Actor, IsTheKeysIdentityAndAClientNameGoesBesideIt) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  json body = PotholeRequest();
  body["on_behalf_of"] = "maria";
  auto created = client.Send("POST", "/v1/requests", body.dump(),
                             {{"Content-Type", "application/json"}, {"X-Ledger-Key-Name", "mayor"}});
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.Json()["request"]["id"];
  auto note = client.Send("POST", "/v1/requests/" + id + "/events",
                          R"({"command":"add_note","text":"crew on site"})",
                          {{"Content-Type", "application/json"}, {"x-ledger-key-name", "mayor"}});
  ASSERT_EQ(note.status, 200) << note.body;
  auto contact = client.Post("/v1/contacts", {{"channel", "walk_in"},
                                              {"language", "en"},
                                              {"outcome", "information"},
                                              {"on_behalf_of", "desk-3: sam"}});
  ASSERT_EQ(contact.status, 201) << contact.body;
  EXPECT_EQ(contact.Json()["events"][0]["event"]["actor"], "key:tester");
  EXPECT_EQ(contact.Json()["events"][0]["event"]["onbehalfof"], "desk-3: sam");

  ledger.Restart();  // as stored, not as answered
  auto history = ledger.Client().Get("/v1/requests/" + id + "/history").Json()["events"];
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["actor"], "key:tester");
  EXPECT_EQ(history[0]["onbehalfof"], "maria");
  EXPECT_EQ(history[1]["actor"], "key:tester") << "a client-sent key-name header has no effect";
  EXPECT_FALSE(history[1].contains("onbehalfof"));
}

TEST_P(Actor, ABodyThatNamesTheActorIsRefusedAndChangesNothing) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  json body = PotholeRequest();
  body["actor"] = "mayor";
  auto refused = client.Post("/v1/requests", body);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("field 'actor'"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("on_behalf_of"), std::string::npos) << refused.body;

  std::string id = client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
  auto command = client.Post("/v1/requests/" + id + "/events",
                             {{"command", "close"}, {"actor", "mayor"}});
  EXPECT_EQ(command.status, 400) << command.body;
  json contact = {{"channel", "phone"}, {"language", "en"}, {"outcome", "created_request"},
                  {"request", PotholeRequest()}};
  contact["request"]["actor"] = "mayor";
  EXPECT_EQ(client.Post("/v1/contacts", contact).status, 400);
  EXPECT_EQ(client.Get("/v1/requests/" + id).Json()["version"], 1) << "nothing appended";
}

INSTANTIATE_TEST_SUITE_P(Backends, Actor, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
