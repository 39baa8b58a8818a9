// Idempotency-Key (IETF httpapi draft), over a real socket on both logs: a
// retry never creates a second request, whatever happened to the first try.
#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

HttpReply PostWithKey(HttpClient& client, const std::string& target, const json& body,
                      const std::string& key) {
  return client.Send("POST", target, body.dump(), {{"Idempotency-Key", key}});
}

std::vector<std::string> EventIds(const HttpReply& reply) {
  std::vector<std::string> ids;
  const json answer = reply.Json();
  for (const auto& e : answer["events"]) ids.push_back(e["event"]["id"]);
  return ids;
}

json Contact() {
  return {{"channel", "phone"}, {"language", "en"}, {"outcome", "created_request"},
          {"request", PotholeRequest()}};
}

class Idempotency : public ::testing::TestWithParam<Backend> {};

TEST_P(Idempotency, ARepeatAnswersTheOriginalAndAppendsNothingOnEveryPost) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto first = PostWithKey(client, "/v1/requests", PotholeRequest(), "submit-1");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.headers.count("idempotent-replayed"), 0u);
  std::string id = first.Json()["request"]["id"];
  auto contact = PostWithKey(client, "/v1/contacts", Contact(), "\"contact-1\"");  // an sf-string
  ASSERT_EQ(contact.status, 201) << contact.body;
  auto command = PostWithKey(client, "/v1/requests/" + id + "/events",
                             {{"command", "add_note"}, {"text", "crew on site"}}, "note-1");
  ASSERT_EQ(command.status, 200) << command.body;
  const uint64_t end = EventsAppended(client);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "at once" : "after a restart");
    auto client = ledger.Client();
    auto again = PostWithKey(client, "/v1/requests", PotholeRequest(), "submit-1");
    EXPECT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.headers["idempotent-replayed"], "true");
    EXPECT_EQ(again.Json()["request"]["id"], id);
    EXPECT_EQ(EventIds(again), EventIds(first));
    EXPECT_EQ(again.Json()["position"], first.Json()["position"]);
    EXPECT_EQ(again.headers["location"], first.headers["location"]);
    auto contact_again = PostWithKey(client, "/v1/contacts", Contact(), "contact-1");
    EXPECT_EQ(contact_again.status, 201) << contact_again.body;
    EXPECT_EQ(contact_again.Json()["contact_id"], contact.Json()["contact_id"]);
    EXPECT_EQ(contact_again.Json()["request"]["id"], contact.Json()["request"]["id"]);
    EXPECT_EQ(EventIds(contact_again), EventIds(contact));
    auto command_again = PostWithKey(client, "/v1/requests/" + id + "/events",
                                     {{"command", "add_note"}, {"text", "crew on site"}}, "note-1");
    EXPECT_EQ(command_again.status, 200) << command_again.body;
    EXPECT_EQ(EventIds(command_again), EventIds(command));
    // On Kafka a restart adds transaction markers, never events: after it,
    // count what this run appended.
    if (round == 0) { EXPECT_EQ(EventsAppended(client), end) << "a repeat appended"; }
    if (round == 1) { EXPECT_NE(client.Get("/metrics").body.find("\nledger_events_appended_total 0\n"), std::string::npos); }
    EXPECT_EQ(client.Get("/v1/requests?limit=500").Json()["requests"].size(), 2u);
    ledger.Restart();
  }
  EXPECT_EQ(ledger.Client().Get("/v1/requests/" + id).Json()["version"], 2);
}

TEST_P(Idempotency, TheSameKeyWithAnotherBodyIs422AndMalformedKeysAre400) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  ASSERT_EQ(PostWithKey(client, "/v1/requests", PotholeRequest(), "k-1").status, 201);
  const uint64_t end = EventsAppended(client);
  json other = PotholeRequest();
  other["description"] = "another pothole";
  auto reused = PostWithKey(client, "/v1/requests", other, "k-1");
  EXPECT_EQ(reused.status, 422) << reused.body;
  EXPECT_EQ(reused.Json()["error"]["code"], "idempotency_key_reused") << reused.body;
  auto elsewhere = PostWithKey(client, "/v1/contacts", Contact(), "k-1");
  EXPECT_EQ(elsewhere.status, 422) << "the same key on another endpoint: " << elsewhere.body;
  for (std::string bad : {std::string(), std::string(256, 'k'), std::string("tab\tinside"),
                          std::string("\"unterminated"), std::string("caf\xc3\xa9")}) {
    auto refused = PostWithKey(client, "/v1/requests", PotholeRequest(), bad);
    EXPECT_EQ(refused.status, 400) << "key '" << bad << "': " << refused.body;
    EXPECT_NE(refused.body.find("Idempotency-Key"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(PostWithKey(client, "/v1/requests", PotholeRequest(), std::string(255, 'k')).status, 201)
      << "255 characters are allowed";
  EXPECT_EQ(EventsAppended(client), end + 1);
}

TEST_P(Idempotency, ConcurrentRepeatsCreateExactlyOneRequest) {
  LedgerUnderTest ledger(GetParam());
  constexpr int kRounds = 20;
  constexpr int kClients = 6;
  int violations = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::string key = "race-" + std::to_string(round);
    std::latch start(kClients);
    std::vector<HttpReply> replies(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i)
      threads.emplace_back([&, i] {
        auto client = ledger.Client();
        start.arrive_and_wait();
        replies[i] = PostWithKey(client, "/v1/requests", PotholeRequest(), key);
      });
    for (auto& t : threads) t.join();
    std::set<std::string> ids;
    int created = 0;
    for (const auto& r : replies) {
      if (r.status == 201) {
        ids.insert(r.Json()["request"]["id"].get<std::string>());
        created += r.headers.count("idempotent-replayed") ? 0 : 1;
      } else if (r.status != 409) {
        ADD_FAILURE() << "status " << r.status << ": " << r.body;
      }
    }
    if (ids.size() != 1 || created != 1) ++violations;
    // Once the first is answered, every repeat is a replay of it.
    auto client = ledger.Client();
    auto after = PostWithKey(client, "/v1/requests", PotholeRequest(), key);
    EXPECT_EQ(after.status, 201);
    if (!ids.empty()) { EXPECT_EQ(after.Json()["request"]["id"], *ids.begin()); }
  }
  EXPECT_EQ(violations, 0) << "rounds with other than exactly one new request";
  auto client = ledger.Client();
  auto listed = client.Get("/v1/requests?limit=500").Json()["requests"];
  EXPECT_EQ(listed.size(), size_t(kRounds)) << "one request per key";
}

TEST_P(Idempotency, KeysOutliveAReplayAndExpireAfterTheWindow) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.path() + "/data", GetParam());
  // Long enough for a replay and a start on Kafka to fit inside it.
  settings.idempotency_window_seconds = 8;
  std::chrono::steady_clock::time_point answered;  // the key was accepted before it
  std::string id;
  {
    LedgerUnderTest ledger(settings);
    auto client = ledger.Client();
    id = PostWithKey(client, "/v1/requests", PotholeRequest(), "replayed").Json()["request"]["id"];
    answered = std::chrono::steady_clock::now();
  }
  auto replayed = app::Replay(settings);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  LedgerUnderTest ledger(settings);
  auto client = ledger.Client();
  auto again = PostWithKey(client, "/v1/requests", PotholeRequest(), "replayed");
  EXPECT_EQ(again.Json()["request"]["id"], id) << "the key is rebuilt from the log";
  std::this_thread::sleep_until(answered + std::chrono::milliseconds(8200));
  auto later = PostWithKey(client, "/v1/requests", PotholeRequest(), "replayed");
  ASSERT_EQ(later.status, 201) << later.body;
  EXPECT_NE(later.Json()["request"]["id"], id) << "past the window the key is new again";
}

INSTANTIATE_TEST_SUITE_P(Backends, Idempotency, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
