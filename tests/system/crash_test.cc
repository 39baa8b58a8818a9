// The durability promise, proved on the real `ledger` binary: the server
// is killed with SIGKILL at random moments while clients ingest, round
// after round on the same data directory. Afterwards no acknowledged event
// is lost, none is applied twice, and the live state equals a rebuild.
//
// LEDGER_CRASH_SEED=<n> repeats a run (the seed is printed).

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "events/event.h"
#include "tests/support/ledger_process.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

constexpr int kRounds = 24;
constexpr int kClients = 4;
constexpr int kMinKillDelayMs = 50;
constexpr int kMaxKillDelayMs = 400;
constexpr const char* kRequests = "311.requests";
constexpr const char* kContacts = "311.contacts";

struct AckedEvent {
  std::string topic;
  uint64_t offset = 0;
  std::string id;
  std::string subject;
  uint64_t sequence = 0;
};

// Everything a client was told is stored, over all rounds.
class Acknowledgements {
 public:
  // Records the events of a 200/201 command answer.
  void Record(const json& answer) {
    std::lock_guard lock(mu_);
    for (const auto& stored : answer.value("events", json::array())) {
      const json& e = stored["event"];
      AckedEvent acked{stored["position"]["topic"], stored["position"]["offset"], e["id"],
                       e["subject"], e.value("sequence", uint64_t{0})};
      if (acked.topic == kContacts && e["data"].contains("request_id"))
        contacts_of_[e["data"]["request_id"].get<std::string>()].insert(acked.subject);
      events_.push_back(std::move(acked));
    }
  }
  const std::vector<AckedEvent>& events() const { return events_; }
  const std::map<std::string, std::set<std::string>>& contacts_of() const { return contacts_of_; }

 private:
  std::mutex mu_;
  std::vector<AckedEvent> events_;
  std::map<std::string, std::set<std::string>> contacts_of_;  // request id -> acked contact ids
};

// How the answers of one round were spread.
struct RoundCounts {
  std::atomic<int> acked{0};
  std::atomic<int> no_answer{0};   // the server was gone
  std::atomic<int> conflicts{0};   // 409: e.g. the status already was the target
  std::atomic<int> not_yet{0};     // 404 on an acked request: projection still catching up
  std::atomic<int> in_flight{0};   // requests on the wire right now
  std::mutex mu;
  std::vector<std::string> unexpected;  // any other answer
};

// One client: submits requests, commands its own requests and records
// contacts about them, until told to stop.
class IntakeClient {
 public:
  explicit IntakeClient(int number) : number_(number) {}

  void Run(uint16_t port, uint64_t seed, Acknowledgements& acks, RoundCounts& counts,
           const std::atomic<bool>& stop) {
    std::mt19937_64 rng(seed);
    HttpClient client("127.0.0.1", port, kTestKey);
    while (!stop) {
      std::string target;
      json body = NextCommand(rng, target);
      ++counts.in_flight;
      HttpReply reply = client.Post(target, body);
      --counts.in_flight;
      if (reply.status == 200 || reply.status == 201) {
        json answer = reply.Json();
        acks.Record(answer);
        bool created = target == "/v1/requests" || body.contains("request");
        if (created) own_.push_back(answer["request"]["id"]);
        ++counts.acked;
      } else if (reply.status == 0) {
        ++counts.no_answer;
      } else if (reply.status == 409) {
        ++counts.conflicts;
      } else if (reply.status == 404 && reply.body.find("does not exist") != std::string::npos) {
        ++counts.not_yet;
      } else {
        std::lock_guard lock(counts.mu);
        counts.unexpected.push_back(std::to_string(reply.status) + " " + target + " " + reply.body);
      }
    }
  }

 private:
  json NextCommand(std::mt19937_64& rng, std::string& target) {
    int dice = std::uniform_int_distribution<int>(0, 99)(rng);
    ++made_;
    if (own_.empty() || dice < 12) {
      target = "/v1/requests";
      return PotholeRequest();
    }
    if (dice < 20) {
      target = "/v1/contacts";
      return {{"channel", "phone"}, {"language", "en"}, {"agent", "ana"},
              {"outcome", "created_request"}, {"request", PotholeRequest()}};
    }
    const std::string& id = own_[std::uniform_int_distribution<size_t>(0, own_.size() - 1)(rng)];
    if (dice < 40) {
      target = "/v1/contacts";
      return {{"channel", "web"}, {"language", "es"}, {"outcome", "linked_to_request"},
              {"request_id", id}};
    }
    target = "/v1/requests/" + id + "/events";
    std::string tag = std::to_string(number_) + "-" + std::to_string(made_);
    if (dice < 70) return {{"command", "add_note"}, {"text", "called back " + tag}};
    if (dice < 85) return {{"command", "assign"}, {"assignee", "crew-" + tag}};
    static const char* kStatuses[] = {"open", "acknowledged", "in_progress", "on_hold"};
    return {{"command", "change_status"},
            {"status", kStatuses[std::uniform_int_distribution<int>(0, 3)(rng)]}};
  }

  int number_;
  uint64_t made_ = 0;
  std::vector<std::string> own_;  // requests this client created (acknowledged)
};

uint64_t SeedFromEnvironmentOrRandom() {
  if (const char* s = std::getenv("LEDGER_CRASH_SEED")) return std::strtoull(s, nullptr, 10);
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

// Polls /healthz until every logged event is projected.
bool WaitUntilProjected(ServedLedger& server) {
  auto client = server.Client();
  for (int i = 0; i < 600; ++i) {
    auto health = client.Get("/healthz").Json();
    if (health.is_object() && health["projections"]["lag_events"] == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A topic as `ledger tail` prints it, read beside the running server.
std::vector<json> TailTopic(const std::string& settings, const std::string& topic) {
  auto tail = RunProcess({LEDGER_BINARY, "tail", "-c", settings, "--topic", topic});
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  return JsonLines(tail.out);
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_ = WriteSettingsFile(dir_.path(), dir_.path() + "/data");
    seed_ = SeedFromEnvironmentOrRandom();
    std::cout << "crash test seed: " << seed_ << " (LEDGER_CRASH_SEED=" << seed_
              << " repeats it)\n";
    RecordProperty("seed", std::to_string(seed_));
  }

  // One round: serve, ingest from every client, SIGKILL after a random delay.
  void KillDuringIngest(int round, std::mt19937_64& rng, std::vector<IntakeClient>& clients) {
    ServedLedger server(LEDGER_BINARY, settings_);
    RoundCounts counts;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& c : clients) {
      uint64_t seed = rng();
      threads.emplace_back([&, seed] { c.Run(server.port(), seed, acks_, counts, stop); });
    }
    int delay = std::uniform_int_distribution<int>(kMinKillDelayMs, kMaxKillDelayMs)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    int on_the_wire = counts.in_flight.load();
    ProcessResult killed = server.Kill();
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(killed.signal, SIGKILL) << "round " << round << ": the server ended on its own: "
                                      << killed.err;
    {
      std::lock_guard lock(counts.mu);
      for (auto& u : counts.unexpected) ADD_FAILURE() << "round " << round << ": " << u;
    }
    cut_off_ += on_the_wire;
    not_yet_ += counts.not_yet;
    std::cout << "round " << round << ": killed after " << delay << " ms, " << counts.acked
              << " acknowledged, " << on_the_wire << " on the wire, " << counts.conflicts
              << " conflicts, " << counts.not_yet << " not yet projected\n";
  }

  TempDir dir_;
  std::string settings_;
  uint64_t seed_ = 0;
  Acknowledgements acks_;
  int cut_off_ = 0;
  int not_yet_ = 0;
};

// Every acknowledged event sits in the log at its acknowledged position,
// and no event id is in the log twice.
void ExpectLogHoldsAcknowledged(const std::map<std::string, std::vector<json>>& log,
                                const std::vector<AckedEvent>& acked) {
  std::set<std::string> ids;
  for (const auto& [topic, events] : log)
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_TRUE(events[i].is_object()) << topic << ": line " << i << " is not JSON";
      EXPECT_EQ(events[i]["position"]["offset"], i) << topic << ": offsets are not dense";
      EXPECT_TRUE(ids.insert(events[i]["id"].get<std::string>()).second)
          << "event " << events[i]["id"] << " is in the log twice";
    }
  for (const auto& a : acked) {
    const auto& events = log.at(a.topic);
    ASSERT_LT(a.offset, events.size()) << "acknowledged event " << a.id << " at " << a.topic << "/"
                                       << a.offset << " is lost";
    EXPECT_EQ(events[a.offset]["id"], a.id)
        << "acknowledged position " << a.topic << "/" << a.offset << " holds another event";
    EXPECT_EQ(events[a.offset]["subject"], a.subject);
    if (a.topic == kRequests) {
      EXPECT_EQ(events[a.offset]["sequence"], a.sequence);
    }
  }
}

// A request as the API shows it agrees with its stream in the log: the
// same events once each, sequences 1..N, a verifying hash chain, version N,
// and exactly the contacts the log links to it.
void ExpectRequestMatchesLog(HttpClient& client, const std::string& id,
                             const std::vector<json>& stream,
                             const std::set<std::string>& logged_contacts,
                             const std::set<std::string>& acked_contacts) {
  SCOPED_TRACE("request " + id);
  auto history = client.Get("/v1/requests/" + id + "/history");
  ASSERT_EQ(history.status, 200) << history.body;
  json events = history.Json()["events"];
  ASSERT_EQ(events.size(), stream.size()) << "history and log disagree on the number of events";
  std::string prev;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["id"], stream[i]["id"]) << "at sequence " << i + 1;
    EXPECT_EQ(events[i]["sequence"], i + 1);
    auto event = events::FromJson(events[i]);
    ASSERT_TRUE(event.ok()) << event.error().message;
    EXPECT_TRUE(events::VerifyLink(*event, prev)) << "hash chain broken at sequence " << i + 1;
    prev = event->hash;
  }
  auto state = client.Get("/v1/requests/" + id);
  ASSERT_EQ(state.status, 200) << state.body;
  json view = state.Json();
  EXPECT_EQ(view["version"], stream.size());
  std::vector<std::string> contacts = view["contacts"];
  std::set<std::string> unique(contacts.begin(), contacts.end());
  EXPECT_EQ(unique.size(), contacts.size()) << "a contact is linked twice";
  EXPECT_EQ(unique, logged_contacts);
  EXPECT_EQ(view["contact_count"], logged_contacts.size());
  for (const auto& c : acked_contacts)
    EXPECT_TRUE(unique.count(c)) << "acknowledged contact " << c << " is lost";
}

// Every request id GET /v1/requests lists, following the cursor.
std::set<std::string> ListedRequests(HttpClient& client) {
  std::set<std::string> ids;
  std::string cursor;
  do {
    auto page = client.Get("/v1/requests?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_EQ(page.status, 200) << page.body;
    if (page.status != 200) break;
    json body = page.Json();
    for (const auto& r : body["requests"])
      EXPECT_TRUE(ids.insert(r["id"]).second) << r["id"] << " listed twice";
    cursor = body["next_cursor"].is_string() ? body["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  return ids;
}

TEST_F(CrashTest, KillsDuringConcurrentIngestLoseNothingAcknowledgedAndApplyNothingTwice) {
  std::mt19937_64 rng(seed_);
  std::vector<IntakeClient> clients;
  for (int i = 0; i < kClients; ++i) clients.emplace_back(i);
  for (int round = 1; round <= kRounds; ++round) {
    KillDuringIngest(round, rng, clients);
    if (HasFatalFailure()) return;
  }
  ASSERT_GT(acks_.events().size(), static_cast<size_t>(kRounds))
      << "the clients got almost nothing stored";
  EXPECT_GT(cut_off_, 0) << "no kill caught a request on the wire";
  std::cout << acks_.events().size() << " events acknowledged, " << cut_off_
            << " requests cut off by kills, " << not_yet_
            << " commands answered 404 while a restarted server was still projecting\n";

  ServedLedger server(LEDGER_BINARY, settings_);
  ASSERT_TRUE(WaitUntilProjected(server));
  std::map<std::string, std::vector<json>> log = {{kRequests, TailTopic(settings_, kRequests)},
                                                  {kContacts, TailTopic(settings_, kContacts)}};
  ExpectLogHoldsAcknowledged(log, acks_.events());

  std::map<std::string, std::vector<json>> streams;  // request id -> its events in log order
  for (const auto& e : log[kRequests]) streams[e["subject"]].push_back(e);
  std::map<std::string, std::set<std::string>> logged_contacts;
  for (const auto& e : log[kContacts])
    if (e["data"].contains("request_id"))
      logged_contacts[e["data"]["request_id"]].insert(e["subject"]);
  auto client = server.Client();
  std::set<std::string> logged_requests;
  for (const auto& [id, stream] : streams) logged_requests.insert(id);
  std::set<std::string> listed = ListedRequests(client);
  for (const auto& id : logged_requests)
    EXPECT_TRUE(listed.count(id)) << id << " is in the log but not listed";
  for (const auto& id : listed)
    EXPECT_TRUE(logged_requests.count(id)) << id << " is listed but not in the log";
  for (const auto& [id, stream] : streams) {
    auto acked = acks_.contacts_of().find(id);
    std::set<std::string> acked_contacts;
    if (acked != acks_.contacts_of().end()) acked_contacts = acked->second;
    ExpectRequestMatchesLog(client, id, stream, logged_contacts[id], acked_contacts);
  }
  ProcessResult stopped = server.Terminate();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;

  auto verify = RunProcess({LEDGER_BINARY, "verify", "-c", settings_});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("OK"), std::string::npos) << verify.out;
  std::string live = WordAfter(verify.out, "live");
  EXPECT_EQ(live.size(), 64u) << verify.out;
  EXPECT_EQ(WordAfter(verify.out, "rebuilt"), live);
  auto replay = RunProcess({LEDGER_BINARY, "replay", "-c", settings_});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_EQ(WordAfter(replay.out, "checksum"), live) << replay.out;
}

}  // namespace
}  // namespace ledger::testing
