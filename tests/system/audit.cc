#include "tests/system/audit.h"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "events/event.h"

namespace ledger::testing {

using nlohmann::json;

LedgerCommand::LedgerCommand(std::string settings_path, const app::Settings& settings)
    : settings_path_(std::move(settings_path)) {
  if (settings.log_backend == "kafka") log_flags_ = {"--log", "kafka", "--brokers", settings.kafka.brokers};
}

ProcessResult LedgerCommand::Run(const std::string& subcommand, std::vector<std::string> args) const {
  std::vector<std::string> argv = {LEDGER_BINARY, subcommand, "-c", settings_path_};
  argv.insert(argv.end(), log_flags_.begin(), log_flags_.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(std::move(argv));
}

bool WaitUntilProjected(ServedLedger& server) {
  auto client = server.Client();
  for (int i = 0; i < 600; ++i) {
    auto health = client.Get("/healthz").Json();
    if (health.is_object() && health["projections"]["lag_events"] == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

namespace {

// `topic` as `ledger tail` prints it, read beside the running server and
// sorted by partition; within a partition tail prints in offset order.
void TailInto(const LedgerCommand& ledger, const std::string& topic, LogContents& log) {
  auto tail = ledger.Run("tail", {"--topic", topic});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  for (auto& line : JsonLines(tail.out)) {
    ASSERT_TRUE(line.is_object()) << topic << ": a line of `ledger tail` is not JSON";
    events::TopicPartition where{line["position"]["topic"], line["position"]["partition"]};
    ASSERT_EQ(where.topic, topic);
    log[where].push_back(std::move(line));
  }
}

// A request as the API shows it agrees with its stream in the log.
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
  EXPECT_EQ(unique, logged_contacts) << "the contacts the request links differ from those the "
                                        "log links to it";
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

}  // namespace

void ExpectLogHoldsAcknowledged(const LogContents& log, const std::vector<AckedEvent>& acked,
                                bool dense) {
  std::set<std::string> ids;
  std::map<events::TopicPartition, std::map<uint64_t, const json*>> at;
  for (const auto& [tp, events] : log)
    for (size_t i = 0; i < events.size(); ++i) {
      std::string where = tp.topic + "[" + std::to_string(tp.partition) + "]";
      uint64_t offset = events[i]["position"]["offset"];
      if (dense) { EXPECT_EQ(offset, i) << where << ": offsets are not dense"; }
      if (i > 0) {
        EXPECT_GT(offset, events[i - 1]["position"]["offset"].get<uint64_t>())
          << where << ": offsets do not increase";
      }
      at[tp][offset] = &events[i];
      EXPECT_TRUE(ids.insert(events[i]["id"].get<std::string>()).second)
          << "event " << events[i]["id"] << " is in the log twice";
    }
  for (const auto& a : acked) {
    std::string where =
        a.where.topic + "[" + std::to_string(a.where.partition) + "]@" + std::to_string(a.offset);
    auto found = at[a.where].find(a.offset);
    ASSERT_TRUE(found != at[a.where].end()) << "acknowledged event " << a.id << " at " << where << " is lost";
    const json& logged = *found->second;
    EXPECT_EQ(logged["id"], a.id) << "acknowledged position " << where << " holds another event";
    EXPECT_EQ(logged["subject"], a.subject);
    if (a.where.topic == kRequests) {
      EXPECT_EQ(logged["sequence"], a.sequence);
    }
  }
}

void ExpectApiMatchesLog(HttpClient& client, const LogContents& log, const Acknowledgements& acks) {
  // A request's events share a partition (key = request id): log order
  // within it is stream order.
  std::map<std::string, std::vector<json>> streams;
  std::map<std::string, std::set<std::string>> logged_contacts;
  for (const auto& [tp, events] : log)
    for (const auto& e : events) {
      if (tp.topic == kRequests) streams[e["subject"]].push_back(e);
      if (tp.topic == kContacts && e["data"].contains("request_id"))
        logged_contacts[e["data"]["request_id"]].insert(e["subject"]);
    }
  std::set<std::string> logged_requests;
  for (const auto& [id, stream] : streams) logged_requests.insert(id);
  auto acked_contacts = acks.contacts_of();
  std::set<std::string> acked_contact_ids;
  for (const auto& [id, contacts] : acked_contacts) acked_contact_ids.insert(contacts.begin(), contacts.end());
  // A phone call that creates a request is two records on two topics:
  // either both are in the log or neither is.
  for (const auto& [id, contacts] : logged_contacts) {
    if (logged_requests.count(id)) continue;
    for (const auto& c : contacts)
      ADD_FAILURE() << (acked_contact_ids.count(c) ? "acknowledged " : "") << "contact " << c
                    << " in the log links " << id << ", which is not in the log";
  }
  for (const auto& [id, stream] : streams) {
    auto contact = stream.front()["data"].find("contact_id");
    if (contact != stream.front()["data"].end()) {
      EXPECT_TRUE(logged_contacts[id].count(*contact))
          << id << " was created by contact " << *contact << ", which is not in the log";
    }
  }
  std::set<std::string> listed = ListedRequests(client);
  for (const auto& id : logged_requests)
    EXPECT_TRUE(listed.count(id)) << id << " is in the log but not listed";
  for (const auto& id : listed)
    EXPECT_TRUE(logged_requests.count(id)) << id << " is listed but not in the log";
  for (const auto& [id, stream] : streams)
    ExpectRequestMatchesLog(client, id, stream, logged_contacts[id], acked_contacts[id]);
}

LogContents ExpectLedgerHoldsAcknowledged(ServedLedger& server, const LedgerCommand& ledger,
                                          const Acknowledgements& acks) {
  LogContents log;
  EXPECT_TRUE(WaitUntilProjected(server)) << "the projections never caught up with the log";
  TailInto(ledger, kRequests, log);
  TailInto(ledger, kContacts, log);
  if (::testing::Test::HasFatalFailure()) return log;
  ExpectLogHoldsAcknowledged(log, acks.events(), ledger.dense_offsets());
  auto client = server.Client();
  ExpectApiMatchesLog(client, log, acks);
  return log;
}

uint64_t ExpectRebuildEqualsLiveState(const LedgerCommand& ledger) {
  auto verify = ledger.Run("verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("OK"), std::string::npos) << verify.out;
  std::string live = WordAfter(verify.out, "live");
  EXPECT_EQ(live.size(), 64u) << verify.out;
  EXPECT_EQ(WordAfter(verify.out, "rebuilt"), live);
  auto replay = ledger.Run("replay");
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_EQ(WordAfter(replay.out, "checksum"), live) << replay.out;
  // "rebuilt  <checksum> (<n> events)"
  auto open = verify.out.find('(', verify.out.find("rebuilt"));
  return open == std::string::npos ? 0 : std::strtoull(verify.out.c_str() + open + 1, nullptr, 10);
}

}  // namespace ledger::testing
