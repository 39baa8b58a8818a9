// Start-up as an operator meets it when the log holds records the
// projections cannot apply: written by a bug, an older version, a second
// writer, or a damaged disk. They are quarantined, named, and skipped;
// everything behind them is projected and served.
#include <gtest/gtest.h>


#include <filesystem>
#include <regex>

#include "log/embedded/log_format.h"
#include "tests/projections/store_helpers.h"
#include "tests/support/raw_rocksdb.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

// Writes `bytes` as the record at `offset` of `topic`, straight into the
// embedded log's RocksDB, past every check of the ledger's.
void PutLogRecord(const std::string& log_dir, const std::string& topic, uint64_t offset,
                  const std::string& bytes) {
  PutInColumn(log_dir, log::kEventsFamily, log::EventKey(topic, offset), bytes);
}

// An event of request `id` sealed onto `prevhash` at `sequence`, as a buggy
// or second writer would store it.
std::string StraightEvent(const std::string& id, uint64_t sequence, const std::string& prevhash) {
  events::Event e;
  e.id = events::NewEventId(events::NowMs());
  e.source = "/test/straight-into-the-log";
  e.type = "gov311.request.note_added.v1";
  e.time_ms = events::NowMs();
  e.subject = id;
  e.data = {{"visibility", "internal"}, {"text", "written past the ledger"}};
  e.sequence = sequence;
  e.actor = "key:intruder";
  auto bytes = events::SealAndEncode(e, prevhash);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : "";
}

uint64_t QuarantineMetric(HttpClient& client) {
  std::smatch m;
  std::string metrics = client.Get("/metrics").body;
  if (!std::regex_search(metrics, m, std::regex(R"(\nledger_projection_quarantined_events (\d+)\n)")))
    return 999;
  return std::stoull(m[1]);
}

TEST(LedgerStart, RecordsTheFoldCannotApplyAreQuarantinedNamedAndSkipped) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.path() + "/data");
  std::string id;
  json first;
  {
    LedgerUnderTest ledger(settings);
    auto client = ledger.Client();
    id = client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
    ASSERT_EQ(client.Post("/v1/requests/" + id + "/events", {{"command", "add_note"}, {"text", "a"}}).status, 200);
    first = client.Get("/v1/requests/" + id + "/history").Json()["events"][0];
  }
  // Behind the two good events (offsets 0, 1): damaged bytes; a second
  // version 2 of the request (a fork); an event of a request never
  // submitted; a version 3 that names the wrong prevhash.
  PutLogRecord(settings.log_dir(), "311.requests", 2, "{not an event");
  PutLogRecord(settings.log_dir(), "311.requests", 3, StraightEvent(id, 2, first["hash"]));
  PutLogRecord(settings.log_dir(), "311.requests", 4, StraightEvent("SR-NEVER0000000", 1, ""));
  PutLogRecord(settings.log_dir(), "311.requests", 5, StraightEvent(id, 3, std::string(64, 'f')));

  const std::vector<std::pair<uint64_t, std::string>> expected = {
      {2, "the record is not an event"},
      {3, "sequence 2 does not follow version 2"},
      {4, "was never submitted"},
      {5, "prevhash does not match the hash of version 2"}};
  auto expect_listed = [&](const json& listed) {
    ASSERT_EQ(listed.size(), expected.size()) << listed.dump();
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(listed[i]["offset"], expected[i].first) << listed[i].dump();
      EXPECT_NE(listed[i]["reason"].get<std::string>().find(expected[i].second), std::string::npos)
          << listed[i].dump();
    }
  };
  {
    LedgerUnderTest ledger(settings);  // starts: nothing blocks behind the bad records
    auto client = ledger.Client();
    auto health = client.Get("/healthz");
    EXPECT_EQ(health.status, 503) << health.body;
    EXPECT_EQ(health.Json()["status"], "degraded");
    EXPECT_EQ(health.Json()["projections"]["quarantined"]["count"], 4);
    expect_listed(health.Json()["projections"]["quarantined"]["first"]);
    EXPECT_EQ(QuarantineMetric(client), 4u);
    // The request is as the good events left it, and takes the next command.
    EXPECT_EQ(client.Get("/v1/requests/" + id).Json()["version"], 2);
    auto next = client.Post("/v1/requests/" + id + "/events", {{"command", "add_note"}, {"text", "b"}});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.Json()["request"]["version"], 3);
    EXPECT_EQ(next.Json()["position"]["offset"], 6);
    EXPECT_EQ(client.Get("/v1/requests/SR-NEVER0000000").status, 404);
  }
  auto verified = app::Verify(settings);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_TRUE(verified->match) << "a rebuild quarantines exactly what the live fold did";
  EXPECT_EQ(verified->quarantine.count, 4u);
  auto replayed = app::Replay(settings);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  ASSERT_EQ(replayed->quarantine.first.size(), 4u);
  json listed = json::array();
  for (const auto& q : replayed->quarantine.first) listed.push_back(projections::QuarantinedEventJson(q));
  expect_listed(listed);
  LedgerUnderTest ledger(settings);
  auto client = ledger.Client();
  EXPECT_EQ(client.Get("/v1/requests/" + id).Json()["version"], 3);
  EXPECT_EQ(QuarantineMetric(client), 4u);
}

// An older copy of the log restored under newer projections: the start
// refuses, naming the partition and `ledger replay`; after the replay the
// ledger serves what the log holds, and writes go on from there.
TEST(LedgerStart, ProjectionsAheadOfTheLogStopTheStartNamingLedgerReplay) {
  namespace fs = std::filesystem;
  TempDir dir;
  app::Settings settings = TestSettings(dir.path() + "/data");
  std::string kept, lost;
  {
    LedgerUnderTest ledger(settings);
    kept = ledger.Client().Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
    ledger.Stop();
    fs::copy(settings.log_dir(), dir.path() + "/older-log", fs::copy_options::recursive);
    ledger.Restart();
    lost = ledger.Client().Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
    ASSERT_FALSE(lost.empty());
  }
  fs::remove_all(settings.log_dir());
  fs::rename(dir.path() + "/older-log", settings.log_dir());

  auto refused = app::Ledger::Start(settings);
  ASSERT_FALSE(refused.ok()) << "started on a log older than its projections";
  EXPECT_NE(refused.error().message.find("311.requests/"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("older than the projections"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("ledger replay"), std::string::npos) << refused.error().message;

  auto replayed = app::Replay(settings);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  LedgerUnderTest ledger(settings);
  auto client = ledger.Client();
  EXPECT_EQ(client.Get("/v1/requests/" + kept).status, 200);
  EXPECT_EQ(client.Get("/v1/requests/" + lost).status, 404);
  EXPECT_EQ(client.Post("/v1/requests", PotholeRequest()).status, 201);
}


// A state directory an older ledger wrote (schema version 1) stops the
// start naming `ledger replay`, and that replay rebuilds it, on both logs.
TEST(LedgerStart, AnOlderStateSchemaStopsTheStartAndLedgerReplayRebuildsIt) {
  for (Backend backend : {Backend::kEmbedded, Backend::kKafka}) {
    SCOPED_TRACE(BackendName(backend));
    TempDir dir;
    app::Settings settings = TestSettings(dir.path() + "/data", backend);
    std::string id;
    {
      LedgerUnderTest ledger(settings);
      id = ledger.Client().Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
    }
    projections::fixtures::PutStateMeta(settings.state_dir(), projections::layout::kSchemaVersionKey, "1");
    auto refused = app::Ledger::Start(settings);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("ledger replay"), std::string::npos) << refused.error().message;
    auto replayed = app::Replay(settings);
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    LedgerUnderTest ledger(settings);
    EXPECT_EQ(ledger.Client().Get("/v1/requests/" + id).status, 200);
  }
}

// RocksDB writes no LOG file of its own beside either store's data: on a
// full disk a failed write to it aborted the process. Its warnings go to
// the ledger's log instead.
TEST(LedgerStart, NeitherStoreKeepsARocksDbLogFileOfItsOwn) {
  namespace fs = std::filesystem;
  TempDir dir;
  app::Settings settings = TestSettings(dir.path() + "/data");
  {
    LedgerUnderTest ledger(settings);
    ASSERT_EQ(ledger.Client().Post("/v1/requests", PotholeRequest()).status, 201);
    ledger.Restart();
  }
  ASSERT_TRUE(app::Replay(settings).ok());
  for (const auto& store : {settings.log_dir(), settings.state_dir()}) {
    ASSERT_TRUE(fs::exists(store)) << store;
    for (const auto& entry : fs::directory_iterator(store))
      EXPECT_EQ(entry.path().filename().string().rfind("LOG", 0), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace ledger::testing
