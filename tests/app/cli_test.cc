// The `ledger` command as an operator uses it: help and version, the
// errors of a broken catalog or settings file, serve, tail, replay and
// verify on a real data directory.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "projections/state_store.h"
#include "log/embedded/embedded_log.h"
#include "tests/support/shipped_catalog.h"
#include "tests/support/ledger_process.h"

namespace ledger::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kVersionLine = std::string("ledger ") + LEDGER_VERSION;

ProcessResult Ledger(std::vector<std::string> args) {
  args.insert(args.begin(), LEDGER_BINARY);
  return RunProcess(std::move(args));
}

// The events the fixture writes, in log order of 311.requests.
struct Written {
  std::string dot_request;  // a pothole: Department of Transportation
  std::string dsw_request;  // a litter can: Solid Waste
  std::vector<std::string> event_ids;
};

class LedgerCli : public ::testing::Test {
 protected:
  LedgerCli()
      : data_dir_(dir_.path() + "/data"), settings_(WriteSettingsFile(dir_.path(), data_dir_)) {}

  // `ledger <command> -c <settings> <args...>`
  ProcessResult Run(const std::string& command, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {command, "-c", settings_});
    return Ledger(std::move(args));
  }

  std::unique_ptr<ServedLedger> Serve() {
    return std::make_unique<ServedLedger>(LEDGER_BINARY, settings_);
  }

  // POSTs and returns the acknowledged 311.requests event ids.
  std::vector<std::string> Post(HttpClient& client, const std::string& target, const json& body) {
    auto reply = client.Post(target, body);
    EXPECT_TRUE(reply.status == 200 || reply.status == 201) << reply.status << " " << reply.body;
    std::vector<std::string> ids;
    for (auto& stored : reply.Json().value("events", json::array()))
      if (stored["position"]["topic"] == "311.requests") ids.push_back(stored["event"]["id"]);
    if (reply.Json().contains("request")) last_request_ = reply.Json()["request"]["id"];
    return ids;
  }

  // Four events: a DOT and a DSW request submitted, the DOT one assigned,
  // a note on the DSW one.
  Written WriteFourEvents(HttpClient& client) {
    Written w;
    auto append = [&](std::vector<std::string> ids) {
      w.event_ids.insert(w.event_ids.end(), ids.begin(), ids.end());
    };
    append(Post(client, "/v1/requests", PotholeRequest()));
    w.dot_request = last_request_;
    json litter = PotholeRequest();
    litter["service_code"] = "litter-can";
    litter["description"] = "The litter can at the bus stop is overflowing";
    append(Post(client, "/v1/requests", litter));
    w.dsw_request = last_request_;
    append(Post(client, "/v1/requests/" + w.dot_request + "/events",
                {{"command", "assign"}, {"assignee", "crew-7"}}));
    append(Post(client, "/v1/requests/" + w.dsw_request + "/events",
                {{"command", "add_note"}, {"text", "second report from the driver"}}));
    EXPECT_EQ(w.event_ids.size(), 4u);
    return w;
  }

  // What GET /v1/requests/{id} shows, without the clock-dependent flag.
  static json StateOf(HttpClient& client, const std::string& id) {
    auto reply = client.Get("/v1/requests/" + id);
    EXPECT_EQ(reply.status, 200) << reply.body;
    json state = reply.Json();
    if (state.is_object()) state.erase("overdue");
    return state;
  }

  TempDir dir_;
  std::string data_dir_;
  std::string settings_;
  std::string last_request_;
};

::testing::AssertionResult Contains(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' is not in:\n" << text;
}

std::vector<std::string> Ids(const std::vector<json>& lines) {
  std::vector<std::string> ids;
  for (auto& l : lines) ids.push_back(l.is_object() ? l.value("id", "") : "<not JSON>");
  return ids;
}

TEST(LedgerCommand, HelpDescribesEveryCommandAndItsOptions) {
  std::map<std::vector<std::string>, std::vector<std::string>> expected = {
      {{"--help"}, {"serve", "replay", "verify", "tail", "--version"}},
      {{"serve", "--help"},
       {"--config", "--data-dir", "--host", "--port", "--threads", "--catalog"}},
      {{"replay", "--help"}, {"--config", "--data-dir", "position 0"}},
      {{"verify", "--help"}, {"--config", "--data-dir", "exit 0", "3"}},
      {{"tail", "--help"}, {"--topic", "--from", "--follow", "--limit", "311.dept.DOT"}},
  };
  for (auto& [args, words] : expected) {
    auto help = Ledger(args);
    EXPECT_EQ(help.exit_code, 0) << args[0] << ": " << help.err;
    for (auto& w : words) EXPECT_TRUE(Contains(help.out, w)) << args[0];
  }
}

TEST(LedgerCommand, VersionIsPrintedByTheAppAndEveryCommand) {
  EXPECT_EQ(kVersionLine, "ledger 0.1.0");
  for (std::vector<std::string> args : {std::vector<std::string>{"--version"},
                                        {"serve", "--version"}, {"replay", "--version"},
                                        {"verify", "--version"}, {"tail", "--version"}}) {
    auto version = Ledger(args);
    EXPECT_EQ(version.exit_code, 0) << args[0] << ": " << version.err;
    EXPECT_NE(version.out.find(kVersionLine), std::string::npos) << args[0] << ": " << version.out;
  }
}

TEST(LedgerCommand, WithoutACommandItFailsAndSaysOneIsRequired) {
  auto bare = Ledger({});
  EXPECT_NE(bare.exit_code, 0);
  EXPECT_TRUE(Contains(bare.out + bare.err, "subcommand"));
}

TEST_F(LedgerCli, ServePrintsTheUrlAndHowToAuthenticate) {
  auto server = Serve();
  std::string banner = server->process().Stdout();
  EXPECT_TRUE(Contains(banner, "http://127.0.0.1:" + std::to_string(server->port())));
  EXPECT_TRUE(Contains(banner, std::string("Authorization: Bearer ") + kTestKey));
  EXPECT_EQ(server->Client().Get("/v1/catalog").status, 200);
  EXPECT_EQ(server->Client("").Get("/v1/catalog").status, 401);
  auto stopped = server->Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

TEST_F(LedgerCli, ServeRefusesABrokenCatalogNamingLineAndField) {
  std::ifstream in(std::string(kSourceDir) + "/config/catalog.toml");
  std::ostringstream broken;
  int line_number = 0, broken_line = 0;
  bool in_pothole = false;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line == "code = \"pothole\"") in_pothole = true;
    if (in_pothole && !broken_line && line.rfind("department = ", 0) == 0) {
      line = "department = \"NOPE\"";
      broken_line = line_number;
    }
    broken << line << '\n';
  }
  ASSERT_GT(broken_line, 0) << "the shipped catalog has no pothole service";
  std::string path = dir_.path() + "/broken-catalog.toml";
  std::ofstream(path) << broken.str();

  auto serve = Run("serve", {"--catalog", path});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_EQ(serve.out.find("serving on"), std::string::npos) << serve.out;
  EXPECT_TRUE(Contains(serve.err, "broken-catalog.toml:" + std::to_string(broken_line) + ":"));
  EXPECT_TRUE(Contains(serve.err, "department"));
  EXPECT_TRUE(Contains(serve.err, "NOPE"));
}

TEST_F(LedgerCli, ServeRefusesABadSettingNamingLineAndKey) {
  std::string path = dir_.path() + "/bad.toml";
  std::ofstream(path) << "[server]\nhost = \"127.0.0.1\"\nport = 70000\n";
  auto serve = Ledger({"serve", "-c", path});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_TRUE(Contains(serve.err, "bad.toml:3: server: field 'port': must be between 0 and 65535, got 70000"))
      << serve.err;

  auto missing = Ledger({"serve", "-c", dir_.path() + "/absent.toml"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(Contains(missing.err, "absent.toml"));
}

// A mistyped key is refused with file, line and key, in every table, at
// the top level and in an API key; the documented default of topic_prefix
// ("") is accepted.
TEST_F(LedgerCli, ServeRefusesUnknownSettingsNamingLineAndKeyAndAcceptsTheDocumentedDefaults) {
  struct Case {
    std::string text;
    std::string says;
  };
  std::vector<Case> cases = {
      {"[server]\nhost = \"127.0.0.1\"\nprot = 9000\n", "typo.toml:3: server: field 'prot': unknown field"},
      {"[kafka]\n\nbroker = \"127.0.0.1:9092\"\n", "typo.toml:3: kafka: field 'broker': unknown field"},
      {"[commands]\nidempotency_window = 60\n", "typo.toml:2: commands: field 'idempotency_window': unknown field"},
      {"[sever]\nport = 9000\n", "typo.toml:1: settings: field 'sever': unknown field"},
      {"port = 9000\n", "typo.toml:1: settings: field 'port': unknown field"},
      {"server = 5\n", "typo.toml:1: settings: field 'server': must be a table, got integer"},
      {"[[api_keys]]\nkey = \"0123456789abcdef0\"\nname = \"desk\"\nrole = \"intake\"\nrol = \"admin\"\n",
       "typo.toml:5: api_keys #1: field 'rol': unknown field"},
      {"[log]\nbackend = \"kafak\"\n", "typo.toml:2: log: field 'backend': 'kafak' is not a log backend"},
      {"[[api_keys]]\nkey = \"short\"\nname = \"desk\"\nrole = \"intake\"\n",
       "typo.toml:2: api_keys #1: field 'key': must have 16 characters or more"},
      {"[performance]\nfiscal_year_start = \"02-29\"\n",
       "typo.toml:2: performance: field 'fiscal_year_start': must be MM-DD, a day every year has"},
  };
  for (const auto& c : cases) {
    std::string path = dir_.path() + "/typo.toml";
    std::ofstream(path) << c.text;
    auto serve = Ledger({"serve", "-c", path});
    EXPECT_NE(serve.exit_code, 0) << c.text;
    EXPECT_TRUE(Contains(serve.err, c.says)) << c.text << "\nsaid: " << serve.err;
  }

  std::string path = dir_.path() + "/defaults.toml";
  std::ofstream(path) << "[server]\nhost = \"127.0.0.1\"\nport = 0\n[storage]\ndata_dir = \"" << data_dir_
                      << "\"\n[kafka]\ntopic_prefix = \"\"\n[catalog]\npath = \"" << kSourceDir
                      << "/config/catalog.toml\"\n[[api_keys]]\nkey = \"" << kTestKey
                      << "\"\nname = \"tester\"\nrole = \"admin\"\n";
  ServedLedger served(LEDGER_BINARY, path);
  EXPECT_EQ(served.Client().Get("/healthz").status, 200);
}

TEST_F(LedgerCli, TailPrintsOneJsonLinePerEventBesideARunningServerAndAfterStop) {
  auto server = Serve();
  auto client = server->Client();
  Written w = WriteFourEvents(client);

  auto running = Run("tail", {"--topic", "311.requests"});
  ASSERT_EQ(running.exit_code, 0) << running.err;
  auto lines = JsonLines(running.out);
  ASSERT_EQ(Ids(lines), w.event_ids) << running.out;
  std::vector<std::string> subjects = {w.dot_request, w.dsw_request, w.dot_request, w.dsw_request};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["subject"], subjects[i]);
    EXPECT_EQ(lines[i]["position"]["topic"], "311.requests");
    EXPECT_EQ(lines[i]["position"]["offset"], i);
    EXPECT_EQ(lines[i]["type"].get<std::string>().rfind("gov311.request.", 0), 0u) << lines[i];
  }
  EXPECT_EQ(lines[2]["type"], "gov311.request.assigned.v1");

  auto from = JsonLines(Run("tail", {"--topic", "311.requests", "--from", "2"}).out);
  EXPECT_EQ(Ids(from), (std::vector<std::string>{w.event_ids[2], w.event_ids[3]}));
  auto limited = JsonLines(Run("tail", {"--topic", "311.requests", "--limit", "1"}).out);
  EXPECT_EQ(Ids(limited), (std::vector<std::string>{w.event_ids[0]}));
  auto window = JsonLines(Run("tail", {"--topic", "311.requests", "--from", "1", "-n", "2"}).out);
  EXPECT_EQ(Ids(window), (std::vector<std::string>{w.event_ids[1], w.event_ids[2]}));

  EXPECT_EQ(server->Terminate().exit_code, 0);
  auto stopped = Run("tail", {"--topic", "311.requests"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(stopped.out, running.out);
}

TEST_F(LedgerCli, TailOfADepartmentTopicShowsTheCopiesOfItsRequests) {
  auto server = Serve();
  auto client = server->Client();
  Written w = WriteFourEvents(client);
  EXPECT_EQ(server->Terminate().exit_code, 0);

  auto dot = Run("tail", {"--topic", "311.dept.DOT"});
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  auto lines = JsonLines(dot.out);
  ASSERT_EQ(Ids(lines), (std::vector<std::string>{w.event_ids[0], w.event_ids[2]})) << dot.out;
  auto requests = JsonLines(Run("tail", {"--topic", "311.requests"}).out);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["subject"], w.dot_request);
    EXPECT_EQ(lines[i]["position"]["topic"], "311.dept.DOT");
    EXPECT_EQ(lines[i]["position"]["offset"], i);
    json copy = lines[i], original = requests[i * 2];
    copy.erase("position");
    original.erase("position");
    EXPECT_EQ(copy, original) << "a department copy differs from the event";
  }
  auto dsw = JsonLines(Run("tail", {"--topic", "311.dept.DSW"}).out);
  EXPECT_EQ(Ids(dsw), (std::vector<std::string>{w.event_ids[1], w.event_ids[3]}));
}

TEST_F(LedgerCli, TailFollowPrintsNewEventsUntilInterrupted) {
  auto server = Serve();
  auto client = server->Client();
  Written w = WriteFourEvents(client);
  Subprocess follow(
      {LEDGER_BINARY, "tail", "-c", settings_, "--topic", "311.requests", "--follow"});
  ASSERT_TRUE(follow.WaitForStdout(w.event_ids[3], std::chrono::seconds(30))) << follow.Stdout();
  auto later = Post(client, "/v1/requests/" + w.dot_request + "/events",
                    {{"command", "add_note"}, {"text", "crew on site"}});
  ASSERT_EQ(later.size(), 1u);
  ASSERT_TRUE(follow.WaitForStdout(later[0], std::chrono::seconds(30))) << follow.Stdout();
  follow.Signal(SIGINT);
  auto ended = follow.Wait();
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_EQ(JsonLines(ended.out).size(), 5u) << ended.out;
}

TEST_F(LedgerCli, ReplayIsRefusedWhileTheServerRuns) {
  auto server = Serve();
  auto client = server->Client();
  WriteFourEvents(client);
  auto replay = Run("replay");
  EXPECT_NE(replay.exit_code, 0) << replay.out;
  EXPECT_TRUE(Contains(replay.err, "in use"));
  EXPECT_EQ(replay.out.find("checksum"), std::string::npos) << replay.out;
  // The refused replay disturbed nothing.
  EXPECT_EQ(client.Get("/v1/requests/" + last_request_).status, 200);
}

TEST_F(LedgerCli, ReplayRebuildsTheStateAndTheServerServesTheSameRequests) {
  auto server = Serve();
  auto client = server->Client();
  Written w = WriteFourEvents(client);
  json dot = StateOf(client, w.dot_request), dsw = StateOf(client, w.dsw_request);
  auto history = client.Get("/v1/requests/" + w.dot_request + "/history").Json();
  EXPECT_EQ(server->Terminate().exit_code, 0);

  auto replay = Run("replay");
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_TRUE(Contains(replay.out, "replayed 4 events"));
  EXPECT_TRUE(Contains(replay.out, "events/s"));
  std::string checksum = WordAfter(replay.out, "checksum");
  EXPECT_EQ(checksum.size(), 64u) << replay.out;
  auto verify = Run("verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(WordAfter(verify.out, "live"), checksum);

  auto restarted = Serve();
  auto again = restarted->Client();
  EXPECT_EQ(StateOf(again, w.dot_request), dot);
  EXPECT_EQ(StateOf(again, w.dsw_request), dsw);
  EXPECT_EQ(again.Get("/v1/requests/" + w.dot_request + "/history").Json(), history);
}

TEST_F(LedgerCli, VerifyPassesOnAHealthyDirectoryAndBesideARunningServer) {
  auto server = Serve();
  auto client = server->Client();
  WriteFourEvents(client);
  auto beside = Run("verify");
  EXPECT_EQ(beside.exit_code, 0) << beside.out << beside.err;
  EXPECT_TRUE(Contains(beside.out, "OK"));
  EXPECT_EQ(server->Terminate().exit_code, 0);

  auto stopped = Run("verify");
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  EXPECT_TRUE(Contains(stopped.out, "OK: the live state equals a rebuild from the log"));
  EXPECT_TRUE(Contains(stopped.out, "(4 events)"));
  EXPECT_EQ(WordAfter(stopped.out, "live"), WordAfter(beside.out, "live"));
  EXPECT_EQ(WordAfter(stopped.out, "live"), WordAfter(stopped.out, "rebuilt"));
}

TEST_F(LedgerCli, VerifyAcceptsAStaleButConsistentStateAndTheServerCatchesUp) {
  auto server = Serve();
  auto client = server->Client();
  Written w = WriteFourEvents(client);
  EXPECT_EQ(server->Terminate().exit_code, 0);
  std::string early = dir_.path() + "/state-early";
  fs::copy(data_dir_ + "/state", early, fs::copy_options::recursive);
  auto early_verify = Run("verify");

  {
    auto writer = Serve();
    auto more = writer->Client();
    Post(more, "/v1/requests/" + w.dot_request + "/events",
         {{"command", "assign"}, {"assignee", "crew-9"}});
    EXPECT_EQ(writer->Terminate().exit_code, 0);
  }
  fs::remove_all(data_dir_ + "/state");
  fs::rename(early, data_dir_ + "/state");

  // The state lags the log, but equals a rebuild of the log up to where it is.
  auto verify = Run("verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "(4 events)"));
  EXPECT_EQ(WordAfter(verify.out, "live"), WordAfter(early_verify.out, "live"));

  auto caught_up = Serve();
  auto reader = caught_up->Client();
  json state;
  for (int i = 0; i < 200 && (state = StateOf(reader, w.dot_request)).value("version", 0) < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(state["version"], 3);
  EXPECT_EQ(state["assignee"], "crew-9");
}

// Builds a state directory from the log in which the assign event says
// "mallory": what a state that drifted from the log looks like.
void WriteTamperedState(const std::string& data_dir, const std::string& tampered_event_id) {
  auto events_log = log::OpenEmbeddedLog({.path = data_dir + "/log", .read_only = true});
  ASSERT_TRUE(events_log.ok()) << events_log.error().message;
  auto store = projections::StateStore::Open(data_dir + "/state.tampered",
                                             projections::OpenMode::kReadWrite, ledger::testing::ShippedCatalog());
  ASSERT_TRUE(store.ok()) << store.error().message;
  int changed = 0;
  for (std::string topic : {"311.requests", "311.contacts"}) {
    auto events = (*events_log)->Read({topic, 0}, 0, 100000);
    ASSERT_TRUE(events.ok()) << events.error().message;
    for (auto& e : events->events)
      if (e.event.id == tampered_event_id) {
        e.event.data["assignee"] = "mallory";
        ++changed;
      }
    auto applied = (*store)->ApplyBatch(events->events);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }
  ASSERT_EQ(changed, 1);
  store->reset();
  fs::remove_all(data_dir + "/state");
  fs::rename(data_dir + "/state.tampered", data_dir + "/state");
}

TEST_F(LedgerCli, VerifyReportsMismatchForATamperedStateAndReplayRepairsIt) {
  auto server = Serve();
  auto client = server->Client();
  Written w = WriteFourEvents(client);
  EXPECT_EQ(server->Terminate().exit_code, 0);
  std::string healthy = WordAfter(Run("verify").out, "live");
  ASSERT_EQ(healthy.size(), 64u);

  WriteTamperedState(data_dir_, w.event_ids[2]);
  if (HasFatalFailure()) return;
  auto verify = Run("verify");
  EXPECT_EQ(verify.exit_code, 3) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "MISMATCH"));
  EXPECT_NE(WordAfter(verify.out, "live"), healthy);
  EXPECT_EQ(WordAfter(verify.out, "rebuilt"), healthy);

  auto replay = Run("replay");
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(WordAfter(replay.out, "checksum"), healthy);
  auto repaired = Run("verify");
  EXPECT_EQ(repaired.exit_code, 0) << repaired.out;
  auto restarted = Serve();
  auto reader = restarted->Client();
  EXPECT_EQ(StateOf(reader, w.dot_request)["assignee"], "crew-7");
}

}  // namespace
}  // namespace ledger::testing
