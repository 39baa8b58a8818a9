// Department topics on Kafka as a department's developer reads them with
// `ledger tail`: after the ledger is killed (SIGKILL) again and again during
// ingest that submits, routes, assigns and annotates requests, every event of
// 311.requests is in the topic of each department that owned the request at
// the time (both departments for a routing), exactly once, byte for byte,
// and nothing else is there.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/support/ledger_process.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

std::string KafkaSettingsFile(const TempDir& dir) {
  return WriteSettingsFile(dir.path(), TestSettings(dir.path() + "/data", Backend::kKafka));
}

// Every event of `topic` (all partitions) as `ledger tail` prints it,
// without the position.
std::vector<json> Tail(const std::string& settings, const std::string& topic) {
  auto result = RunProcess({LEDGER_BINARY, "tail", "-c", settings, "--topic", topic});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto events = JsonLines(result.out);
  for (auto& e : events) e.erase("position");
  return events;
}

// Submits requests and moves them around until `stop`; failures (the
// ledger is being killed) are expected and ignored.
void Ingest(uint16_t port, const std::vector<std::string>& departments, unsigned seed,
            const std::atomic<bool>& stop) {
  std::mt19937 rng(seed);
  try {
    HttpClient client("127.0.0.1", port, kTestKey);
    while (!stop) {
      auto submitted = client.Post("/v1/requests", PotholeRequest());
      if (submitted.status != 201) continue;
      std::string id = submitted.Json()["request"]["id"];
      for (int step = 0; step < 3 && !stop; ++step) {
        json command;
        switch (rng() % 3) {
          case 0:
            command = {{"command", "route"},
                       {"to_department", departments[rng() % departments.size()]},
                       {"reason", "belongs elsewhere"}};
            break;
          case 1: command = {{"command", "assign"}, {"assignee", "crew-" + std::to_string(rng() % 9)}}; break;
          default: command = {{"command", "add_note"}, {"visibility", "internal"}, {"text", "checked"}};
        }
        client.Post("/v1/requests/" + id + "/events", command);
      }
    }
  } catch (const std::exception&) {
    // The connection died with the ledger.
  }
}

TEST(DepartmentTopics, AfterRepeatedKillsEveryEventIsInItsDepartmentsTopicsExactlyOnce) {
  TempDir dir;
  std::string settings = KafkaSettingsFile(dir);
  std::vector<std::string> departments;
  std::mt19937 rng(20261123);
  for (int round = 0; round < 4; ++round) {
    ServedLedger ledger(LEDGER_BINARY, settings);
    if (departments.empty()) {
      json catalog = ledger.Client().Get("/v1/catalog").Json();
      for (auto& d : catalog["departments"])
        if (!d.value("external", false)) departments.push_back(d["code"]);
      ASSERT_GE(departments.size(), 3u);
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (unsigned t = 0; t < 3; ++t)
      clients.emplace_back(Ingest, ledger.port(), departments, rng(), std::cref(stop));
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + rng() % 1200));
    ledger.Kill();
    stop = true;
    for (auto& c : clients) c.join();
  }
  ServedLedger ledger(LEDGER_BINARY, settings);  // routes what the kills left

  // What each department topic must hold, from 311.requests in stream order.
  std::map<std::string, std::vector<json>> streams;
  for (auto& e : Tail(settings, "311.requests")) streams[e["subject"]].push_back(e);
  std::map<std::string, std::map<std::string, json>> expected;  // topic -> id -> event
  size_t total = 0;
  for (auto& [subject, events] : streams) {
    std::sort(events.begin(), events.end(),
              [](const json& a, const json& b) { return a["sequence"] < b["sequence"]; });
    std::string owner;
    for (const auto& e : events) {
      if (e["type"] == "gov311.request.submitted.v1") owner = e["data"]["department"];
      ASSERT_FALSE(owner.empty()) << e.dump();
      expected["311.dept." + owner][e["id"]] = e;
      ++total;
      if (e["type"] == "gov311.request.routed.v1") {
        owner = e["data"]["to_department"];
        expected["311.dept." + owner][e["id"]] = e;
      }
    }
  }
  ASSERT_GT(total, 20u) << "too little ingest to prove anything";

  for (const auto& code : departments) {
    std::string topic = "311.dept." + code;
    const auto& want = expected[topic];
    std::vector<json> got;
    // The router commits every 100 ms; give it time to finish the backlog.
    for (int tries = 0; tries < 120; ++tries) {
      got = Tail(settings, topic);
      if (got.size() >= want.size()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::set<std::string> seen;
    for (const auto& e : got) {
      EXPECT_TRUE(seen.insert(e["id"]).second) << topic << " holds " << e["id"] << " twice";
      auto it = want.find(e["id"]);
      if (it == want.end()) {
        ADD_FAILURE() << topic << " holds " << e.dump() << ", which is not its department's";
        continue;
      }
      EXPECT_EQ(e, it->second) << topic;
    }
    EXPECT_EQ(seen.size(), want.size()) << topic << " misses events";
  }
}

}  // namespace
}  // namespace ledger::testing
