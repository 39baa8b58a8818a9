// Duplicate links over a real socket: a request is never, directly or
// through others, a duplicate of itself, whether the marks come one at a
// time or from several clients at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <memory>
#include <set>
#include <thread>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

std::string Submit(HttpClient& client) {
  auto r = client.Post("/v1/requests", PotholeRequest());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json()["request"]["id"].get<std::string>();
}

HttpReply MarkDuplicate(HttpClient& client, const std::string& id, const std::string& parent) {
  return client.Post("/v1/requests/" + id + "/events",
                     {{"command", "mark_duplicate"}, {"parent_id", parent}});
}

// The parent_id of a request as GET shows it ("" if none).
std::string ParentOf(HttpClient& client, const std::string& id) {
  auto r = client.Get("/v1/requests/" + id);
  EXPECT_EQ(r.status, 200) << r.body;
  json parent = r.Json()["parent_id"];
  return parent.is_string() ? parent.get<std::string>() : "";
}

// Follows parent_id from `id` as GET shows it; "" if the chain ends, else
// the chain up to the first request seen twice.
std::string CycleFrom(HttpClient& client, const std::string& id) {
  std::set<std::string> seen;
  std::string chain;
  for (std::string at = id; !at.empty(); at = ParentOf(client, at)) {
    chain += (chain.empty() ? "" : " -> ") + at;
    if (!seen.insert(at).second) return chain;
  }
  return "";
}

// The request's version and the number of events in its history.
std::pair<int, size_t> VersionAndHistory(HttpClient& client, const std::string& id) {
  return {client.Get("/v1/requests/" + id).Json()["version"].get<int>(),
          client.Get("/v1/requests/" + id + "/history").Json()["events"].size()};
}

void ExpectCycleRefused(const HttpReply& reply, const std::string& message) {
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(reply.Json()["error"]["code"], "invalid_argument") << reply.body;
  EXPECT_EQ(reply.Json()["error"]["message"], message) << reply.body;
}

// Sends every (request, parent) mark at once, each from its own thread and
// connection; the statuses in the order of `marks`.
std::vector<int> MarkAtOnce(std::vector<std::unique_ptr<HttpClient>>& clients,
                            const std::vector<std::pair<std::string, std::string>>& marks) {
  std::vector<int> statuses(marks.size());
  std::latch start(marks.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < marks.size(); ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto reply = MarkDuplicate(*clients[i], marks[i].first, marks[i].second);
      if (reply.status != 200) {
        EXPECT_EQ(reply.Json()["error"]["code"], "invalid_argument") << reply.body;
      }
      statuses[i] = reply.status;
    });
  for (auto& t : threads) t.join();
  return statuses;
}

std::vector<std::unique_ptr<HttpClient>> Clients(const LedgerUnderTest& ledger, size_t n) {
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (size_t i = 0; i < n; ++i)
    clients.push_back(std::make_unique<HttpClient>("127.0.0.1", ledger.port(), kTestKey));
  return clients;
}

class DuplicateLinks : public ::testing::TestWithParam<Backend> {};

TEST_P(DuplicateLinks, ThreeRequestCycleIsRefusedAndAppendsNothing) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string a = Submit(client), b = Submit(client), c = Submit(client);
  ASSERT_EQ(MarkDuplicate(client, a, b).status, 200);
  ASSERT_EQ(MarkDuplicate(client, b, c).status, 200);
  auto before = VersionAndHistory(client, c);
  ExpectCycleRefused(MarkDuplicate(client, c, a),
                     "field 'parent_id': " + a + " is (through " + b + ") a duplicate of " + c +
                         "; that would form a cycle");
  EXPECT_EQ(VersionAndHistory(client, c), before);
  EXPECT_EQ(ParentOf(client, c), "");
  EXPECT_EQ(CycleFrom(client, a), "");
}

TEST_P(DuplicateLinks, FiveRequestCycleIsRefusedAndTheChainStillGrowsAtItsRoot) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Submit(client));
  for (int i = 0; i + 1 < 5; ++i) ASSERT_EQ(MarkDuplicate(client, ids[i], ids[i + 1]).status, 200);
  auto before = VersionAndHistory(client, ids[4]);
  ExpectCycleRefused(MarkDuplicate(client, ids[4], ids[0]),
                     "field 'parent_id': " + ids[0] + " is (through " + ids[1] + ", " + ids[2] +
                         ", " + ids[3] + ") a duplicate of " + ids[4] +
                         "; that would form a cycle");
  ExpectCycleRefused(MarkDuplicate(client, ids[4], ids[2]),
                     "field 'parent_id': " + ids[2] + " is (through " + ids[3] +
                         ") a duplicate of " + ids[4] + "; that would form a cycle");
  ExpectCycleRefused(MarkDuplicate(client, ids[4], ids[3]),
                     "field 'parent_id': " + ids[3] + " is a duplicate of " + ids[4] +
                         "; that would form a cycle");
  EXPECT_EQ(VersionAndHistory(client, ids[4]), before);
  // The root may still become a duplicate of a request outside the chain.
  std::string outside = Submit(client);
  ASSERT_EQ(MarkDuplicate(client, ids[4], outside).status, 200);
  EXPECT_EQ(CycleFrom(client, ids[0]), "");
}

TEST_P(DuplicateLinks, OppositeMarksSentAtOnceNeverBothSucceed) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto racers = Clients(ledger, 2);
  constexpr int kRounds = 50;
  int both_succeeded = 0;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int round = 0; round < kRounds; ++round) {
    std::string a = Submit(client), b = Submit(client);
    pairs.emplace_back(a, b);
    auto statuses = MarkAtOnce(racers, {{a, b}, {b, a}});
    if (statuses[0] == 200 && statuses[1] == 200) ++both_succeeded;
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1)
        << "round " << round << ": " << statuses[0] << " " << statuses[1];
  }
  EXPECT_EQ(both_succeeded, 0) << "rounds of " << kRounds << " where both marks succeeded";
  for (const auto& [a, b] : pairs) {
    EXPECT_EQ(CycleFrom(client, a), "");
    EXPECT_EQ(CycleFrom(client, b), "");
  }
}

TEST_P(DuplicateLinks, ThreeWayRaceLeavesAChainNotACycle) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto racers = Clients(ledger, 3);
  constexpr int kRounds = 30;
  int all_succeeded = 0;
  std::vector<std::string> ids;
  for (int round = 0; round < kRounds; ++round) {
    std::string a = Submit(client), b = Submit(client), c = Submit(client);
    ids.insert(ids.end(), {a, b, c});
    auto statuses = MarkAtOnce(racers, {{a, b}, {b, c}, {c, a}});
    if (std::count(statuses.begin(), statuses.end(), 200) == 3) ++all_succeeded;
    // Any two of the marks make a chain; the third would close it.
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 2)
        << "round " << round << ": " << statuses[0] << " " << statuses[1] << " " << statuses[2];
  }
  EXPECT_EQ(all_succeeded, 0) << "rounds of " << kRounds << " where all three marks succeeded";
  for (const auto& id : ids) EXPECT_EQ(CycleFrom(client, id), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, DuplicateLinks,
                         ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
