// Times at the edges of what the ledger stores, over a real socket: each
// accepted one reads back as the same instant, before and after a restart;
// the log stays readable (the projections kept up, start-up succeeds).
#include <gtest/gtest.h>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

std::vector<std::string> HistoryTimes(HttpClient& client, const std::string& id) {
  auto reply = client.Get("/v1/requests/" + id + "/history");
  EXPECT_EQ(reply.status, 200) << reply.body;
  std::vector<std::string> times;
  const json history = reply.Json();
  for (const auto& e : history["events"]) times.push_back(e["time"]);
  return times;
}

class StoredTimes : public ::testing::TestWithParam<Backend> {};

TEST_P(StoredTimes, EdgeTimesReadBackAsTheSameInstantAcrossARestart) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  json first = PotholeRequest();
  first["occurred_at"] = "0001-01-01T00:00:00Z";
  auto created = client.Post("/v1/requests", first);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.Json()["request"]["id"];

  const std::pair<std::string, std::string> notes[] = {
      {"0000-12-31T23:00:00-01:00", "0001-01-01T00:00:00.000Z"},  // year 0 local, year 1 UTC
      {"1900-01-01T00:00:00-05:00", "1900-01-01T05:00:00.000Z"},
      {"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"},
      {"2026-11-24T08:08:00.123+18:00", "2026-11-23T14:08:00.123Z"},
      {"2026-11-22T20:08:00.123456-18:00", "2026-11-23T14:08:00.123Z"},
  };
  std::vector<std::string> expected = {"0001-01-01T00:00:00.000Z"};
  for (const auto& [sent, stored] : notes) {
    auto reply = client.Post("/v1/requests/" + id + "/events",
                             {{"command", "add_note"}, {"text", "at " + sent}, {"occurred_at", sent}});
    ASSERT_EQ(reply.status, 200) << sent << ": " << reply.body;
    EXPECT_EQ(reply.Json()["events"][0]["event"]["time"], stored) << sent;
    expected.push_back(stored);
  }
  EXPECT_EQ(HistoryTimes(client, id), expected);

  ledger.Restart();
  auto after = ledger.Client();
  EXPECT_EQ(HistoryTimes(after, id), expected) << "the same instants after a restart";
  EXPECT_EQ(after.Get("/healthz").status, 200);
  auto read = after.Get("/v1/requests/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.Json()["version"], expected.size());
}

TEST_P(StoredTimes, RefusedTimesChangeNothingAndTheLedgerKeepsServing) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto created = client.Post("/v1/requests", PotholeRequest());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.Json()["request"]["id"];
  for (std::string time : {"0000-01-01T00:00:00+00:01", "0000-12-31T23:59:59.999Z",
                           "9999-12-31T23:59:59.999-00:01", "2016-12-31T23:59:60Z",
                           "2026-01-01T00:00:00-18:01"}) {
    auto reply = client.Post("/v1/requests/" + id + "/events",
                             {{"command", "add_note"}, {"text", "x"}, {"occurred_at", time}});
    EXPECT_EQ(reply.status, 400) << time << ": " << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "invalid_argument") << reply.body;
  }
  // The request takes the next command at once: nothing waits on a stuck projection.
  auto next = client.Post("/v1/requests/" + id + "/events", {{"command", "add_note"}, {"text", "ok"}});
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(next.Json()["request"]["version"], 2);
  ledger.Restart();
  EXPECT_EQ(ledger.Client().Get("/v1/requests/" + id).Json()["version"], 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoredTimes, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
