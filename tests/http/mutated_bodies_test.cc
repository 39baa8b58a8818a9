// Generated bad input against every POST, over a real socket: thousands of
// valid bodies with one part spoiled (wrong types, huge and tiny numbers,
// odd strings, deep nesting, edge times, cut or spliced text). After each
// the server still answers with a JSON status that is not 5xx, a refusal
// appends nothing, and at the end a restart and `ledger verify` agree.
#include <gtest/gtest.h>

#include <random>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

// The values a spoiled field takes, as JSON text (some are not JSON values
// nlohmann could write: 1e400, a lone surrogate).
std::vector<std::string> OddValues() {
  std::vector<std::string> v = {
      "42", "-1", "0", "1e308", "-1e308", "1e-320", "1e400", "-1e400", "18446744073709551616",
      "-9223372036854775809", "3.5", "true", "null", "[]", "{}", "\"\"", "\"\\u0000\"",
      "\"\\ud800\"", "\"SR-0\\u0000x\"", "\"a/b\"", "\"%2F%00\"", "\"0000-01-01T00:00:00Z\"",
      "\"0000-01-01T00:00:00+00:01\"", "\"9999-12-31T23:59:59.999Z\"", "\"10000-01-01T00:00:00Z\"",
      "\"2026-02-29T00:00:00Z\"", "\"2016-12-31T23:59:60Z\"", "\"1900-01-01T00:00:00-18:00\"",
      "\"" + std::string(5000, 'x') + "\"", "\"" + std::string(200000, 'y') + "\"",
      std::string(40, '[') + std::string(40, ']'), std::string(31, '[') + std::string(31, ']'),
      "{\"a\":" + std::string(33, '[') + std::string(33, ']') + "}", "[1,\"two\",null,{}]"};
  return v;
}

struct Seed {
  std::string target;
  json body;
};

class MutatedBodies : public ::testing::TestWithParam<Backend> {};

TEST_P(MutatedBodies, NoBodyEndsTheServerOrStoresWhatItRefused) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"]);
  auto on = [&](int i) { return "/v1/requests/" + ids[i] + "/events"; };
  const std::vector<Seed> seeds = {
      {"/v1/requests", PotholeRequest()},
      {"/v1/contacts", {{"channel", "phone"}, {"language", "en"}, {"outcome", "created_request"},
                        {"wait_seconds", 38}, {"request", PotholeRequest()}}},
      {"/v1/contacts", {{"channel", "email"}, {"language", "es"}, {"outcome", "linked_to_request"},
                        {"request_id", ids[0]}}},
      {on(0), {{"command", "route"}, {"to_department", "DSW"}, {"reason", "debris"}}},
      {on(0), {{"command", "assign"}, {"assignee", "crew-4"}, {"expected_version", 1}}},
      {on(0), {{"command", "change_status"}, {"status", "in_progress"}}},
      {on(0), {{"command", "add_note"}, {"text", "on site"}, {"visibility", "public"},
               {"occurred_at", "2026-01-05T10:00:00-05:00"}}},
      {on(1), {{"command", "mark_duplicate"}, {"parent_id", ids[2]}}},
      {on(1), {{"command", "transfer_external"}, {"agency", "SHA"}, {"reason", "state road"}}},
      {on(2), {{"command", "resolve"}, {"resolution_code", "repaired"}}},
      {on(2), {{"command", "close"}, {"resolution_code", "repaired"}}},
      {on(2), {{"command", "reopen"}, {"reason", "still there"}}},
      {on(2), {{"command", "record_survey"}, {"score", 4}, {"comment", "quick"}}},
  };
  const auto odd = OddValues();
  std::mt19937_64 rng(20261202);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int answered = 0;
  for (int round = 0; round < 2500; ++round) {
    const Seed& seed = seeds[pick(seeds.size())];
    json body = seed.body;
    // Choose a field, at the top or one level down, to spoil.
    json* holder = &body;
    if (body.contains("request") && pick(2) == 0) holder = &body["request"];
    if (holder->contains("location") && pick(3) == 0) holder = &(*holder)["location"];
    std::vector<std::string> keys;
    for (auto& [k, v] : holder->items()) keys.push_back(k);
    std::string key = keys[pick(keys.size())];
    std::string text;
    switch (pick(5)) {
      case 0:  // a value JSON can hold, in place of the field's
      case 1: {
        const std::string marker = "\"@@spoiled@@\"";
        (*holder)[key] = "@@spoiled@@";
        text = body.dump();
        text.replace(text.find(marker), marker.size(), odd[pick(odd.size())]);
        break;
      }
      case 2:
        holder->erase(key);
        text = body.dump();
        break;
      case 3:
        (*holder)["unexpected_" + std::to_string(pick(3))] = 1;
        text = body.dump();
        break;
      default: {  // cut short, or a byte spliced in
        text = body.dump();
        size_t at = pick(text.size());
        if (pick(2) == 0)
          text.resize(at);
        else
          text.insert(at, 1, static_cast<char>(pick(256)));
      }
    }
    SCOPED_TRACE(seed.target + " " + text.substr(0, 300));
    const uint64_t before = EventsAppended(client);
    auto reply = client.Send("POST", seed.target, text);
    ASSERT_NE(reply.status, 0) << "no answer: the server is gone";
    ASSERT_LT(reply.status, 500) << reply.body;
    ++answered;
    if (reply.status >= 400) {
      auto error = reply.Json();
      ASSERT_TRUE(error.is_object() && error.contains("error")) << reply.body;
      ASSERT_EQ(EventsAppended(client), before) << "a refusal appended";
    }
  }
  EXPECT_EQ(answered, 2500);
  auto health = client.Get("/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  ledger.Restart();
  EXPECT_EQ(ledger.Client().Get("/healthz").status, 200);
  ledger.Stop();
  auto verified = app::Verify(ledger.settings());
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_TRUE(verified->match);
  EXPECT_EQ(verified->quarantine.count, 0u) << "everything accepted reads back and applies";
}

INSTANTIATE_TEST_SUITE_P(Backends, MutatedBodies, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
