// A clean restart of the real `ledger serve` (SIGTERM, then start again on
// the same data directory and, on Kafka, the same topics) resumes exactly
// at the positions stored with the projections: nothing is projected again,
// nothing is lost, and commands carry on from where the requests were.

#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "events/event.h"
#include "tests/system/audit.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

// What a client can see of a request.
struct Seen {
  uint64_t version = 0;
  size_t history = 0;
  json contacts;
};

Seen Look(HttpClient& client, const std::string& id) {
  auto state = client.Get("/v1/requests/" + id);
  auto history = client.Get("/v1/requests/" + id + "/history");
  EXPECT_EQ(state.status, 200) << state.body;
  EXPECT_EQ(history.status, 200) << history.body;
  if (state.status != 200 || history.status != 200) return {};
  return {state.Json()["version"], history.Json()["events"].size(), state.Json()["contacts"]};
}

// From /metrics: the projection lag, the events projected since start, and
// the end offset of each partition of the projected topics.
struct LogGauges {
  int64_t lag = -1;
  int64_t projected = -1;
  std::map<events::TopicPartition, uint64_t> ends;
  uint64_t events() const {
    uint64_t n = 0;
    for (const auto& [tp, end] : ends) n += end;
    return n;
  }
};

LogGauges ReadGauges(HttpClient& client) {
  auto metrics = client.Get("/metrics");
  EXPECT_EQ(metrics.status, 200) << metrics.body;
  LogGauges gauges;
  static const std::regex kEnd(
      R"re(^ledger_log_end_offset\{topic="([^"]+)",partition="(\d+)"\} (\d+)$)re");
  std::istringstream lines(metrics.body);
  std::smatch m;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("ledger_projection_lag_events ", 0) == 0)
      gauges.lag = std::stoll(line.substr(line.find(' ') + 1));
    if (line.rfind("ledger_projection_events_total ", 0) == 0)
      gauges.projected = std::stoll(line.substr(line.find(' ') + 1));
    if (std::regex_match(line, m, kEnd) && (m[1] == kRequests || m[1] == kContacts))
      gauges.ends[{m[1], std::stoi(m[2])}] = std::stoull(m[3]);
  }
  return gauges;
}

// Requests with a few events and contacts each; returns their ids.
std::vector<std::string> IngestSome(HttpClient& client) {
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    auto created = i % 3 == 0 ? client.Post("/v1/contacts", {{"channel", "phone"},
                                                             {"language", "en"},
                                                             {"outcome", "created_request"},
                                                             {"request", PotholeRequest()}})
                              : client.Post("/v1/requests", PotholeRequest());
    EXPECT_EQ(created.status, 201) << created.body;
    if (created.status != 201) continue;
    std::string id = created.Json()["request"]["id"];
    ids.push_back(id);
    std::string events = "/v1/requests/" + id + "/events";
    json assign = {{"command", "assign"}, {"assignee", "crew-" + std::to_string(i)}};
    EXPECT_EQ(client.Post(events, assign).status, 200);
    for (int n = 0; n < i % 4; ++n) {
      json note = {{"command", "add_note"}, {"text", "note " + std::to_string(n)}};
      EXPECT_EQ(client.Post(events, note).status, 200);
    }
    if (i % 2 == 0) {
      auto linked = client.Post("/v1/contacts", {{"channel", "web"}, {"language", "es"},
                                                 {"outcome", "linked_to_request"}, {"request_id", id}});
      EXPECT_EQ(linked.status, 201) << linked.body;
    }
  }
  return ids;
}

class LedgerRestart : public ::testing::TestWithParam<Backend> {};

TEST_P(LedgerRestart, CleanRestartResumesAtStoredPositionsAndCommandsCarryOn) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.Sub("data"), GetParam());
  LedgerCommand ledger(WriteSettingsFile(dir.path(), settings), settings);
  std::vector<std::string> ids;
  std::map<std::string, Seen> before;
  LogGauges gauges_before;
  {
    ServedLedger first(LEDGER_BINARY, ledger.settings_path());
    auto client = first.Client();
    ids = IngestSome(client);
    for (const auto& id : ids) before[id] = Look(client, id);
    gauges_before = ReadGauges(client);
    ProcessResult stopped = first.Terminate();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  }
  ASSERT_EQ(ids.size(), 12u);
  EXPECT_EQ(gauges_before.lag, 0);
  EXPECT_GE(gauges_before.projected, 12);  // the counter counts
  ASSERT_GT(gauges_before.events(), 12u);

  ServedLedger second(LEDGER_BINARY, ledger.settings_path());
  auto client = second.Client();
  LogGauges gauges_after = ReadGauges(client);
  // The start found the stored positions at the log's end: nothing projected again.
  EXPECT_EQ(gauges_after.projected, 0);
  EXPECT_EQ(gauges_after.lag, 0);
  // A Kafka log learns of the markers that end its last transactions only
  // when it asks the broker (at start): there the ends may grow by those.
  if (ledger.dense_offsets()) {
    EXPECT_EQ(gauges_after.ends, gauges_before.ends) << "the log moved across the restart";
  }
  for (const auto& id : ids) {
    Seen now = Look(client, id);
    EXPECT_EQ(now.version, before[id].version) << id;
    EXPECT_EQ(now.history, before[id].history) << id;
    EXPECT_EQ(now.contacts, before[id].contacts) << id;
  }

  // Each stream carries on from its stored head; a new request starts at 1.
  for (const auto& id : ids) {
    auto noted = client.Post("/v1/requests/" + id + "/events",
                             {{"command", "add_note"}, {"text", "after the restart"},
                              {"expected_version", before[id].version}});
    ASSERT_EQ(noted.status, 200) << noted.body;
    EXPECT_EQ(noted.Json()["request"]["version"], before[id].version + 1);
    json history = client.Get("/v1/requests/" + id + "/history").Json()["events"];
    ASSERT_EQ(history.size(), before[id].history + 1);
    auto last = events::FromJson(history.back());
    auto previous = events::FromJson(history[history.size() - 2]);
    ASSERT_TRUE(last.ok() && previous.ok());
    EXPECT_TRUE(events::VerifyLink(*last, previous->hash)) << id << ": the chain broke at the restart";
  }
  auto linked = client.Post("/v1/contacts", {{"channel", "email"}, {"language", "en"},
                                             {"outcome", "linked_to_request"}, {"request_id", ids[0]}});
  ASSERT_EQ(linked.status, 201) << linked.body;
  EXPECT_EQ(client.Get("/v1/requests/" + ids[0]).Json()["contact_count"],
            before[ids[0]].contacts.size() + 1);
  auto fresh = client.Post("/v1/requests", PotholeRequest());
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  EXPECT_EQ(fresh.Json()["request"]["version"], 1);
  // On Kafka each transaction adds a marker to the ends too.
  if (ledger.dense_offsets()) {
    EXPECT_EQ(ReadGauges(client).events(), gauges_after.events() + ids.size() + 2);
  } else {
    EXPECT_GE(ReadGauges(client).events(), gauges_after.events() + ids.size() + 2);
  }
  // Every contact here is linked to a request. (On Kafka the end offsets
  // also count transaction markers, so they are not an event count.)
  uint64_t logged = 1;  // the fresh request
  for (const auto& id : ids) {
    Seen now = Look(client, id);
    logged += now.history + now.contacts.size();
  }
  ProcessResult stopped = second.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(ExpectRebuildEqualsLiveState(ledger), logged);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerRestart,
                         ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
