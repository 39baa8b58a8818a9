// Expected versions under contention, over HTTP on both logs: many clients
// send a command to the same request at the same moment, each with the
// version they all read. Exactly one wins each round; every other gets
// 409; the history holds exactly the winners, in order, and nothing else.
#include <barrier>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

class ConflictingCommands : public ::testing::TestWithParam<Backend> {};

TEST_P(ConflictingCommands, OneCommandWinsEachVersionTheRestGet409AndNothingIsLost) {
  constexpr int kClients = 8;
  constexpr int kRounds = 25;
  LedgerUnderTest ledger(GetParam());
  HttpClient reader = ledger.Client();
  HttpReply submitted = reader.Post("/v1/requests", PotholeRequest());
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  std::string id = submitted.Json()["request"]["id"];
  std::string events_url = "/v1/requests/" + id + "/events";

  int64_t version = 1;
  std::vector<int> status(kClients);
  std::vector<std::string> winners;  // the assignee that won each round
  std::barrier sync(kClients + 1);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      HttpClient client = ledger.Client();
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();  // the round's version is read
        json command = {{"command", "assign"},
                        {"assignee", "crew-" + std::to_string(round) + "-" + std::to_string(c)},
                        {"expected_version", version}};
        status[c] = client.Post(events_url, command).status;
        sync.arrive_and_wait();  // every answer is in
      }
    });
  int violations = 0;
  for (int round = 0; round < kRounds; ++round) {
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    int won = 0, conflicts = 0;
    for (int c = 0; c < kClients; ++c) {
      if (status[c] == 200) {
        ++won;
        winners.push_back("crew-" + std::to_string(round) + "-" + std::to_string(c));
      }
      conflicts += status[c] == 409;
    }
    if (won != 1 || conflicts != kClients - 1) {
      ++violations;
      ADD_FAILURE() << "round " << round << ": " << won << " won, " << conflicts << " got 409";
    }
    json state = reader.Get("/v1/requests/" + id).Json();
    version = state["version"].get<int64_t>();
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(violations, 0);

  json history = reader.Get("/v1/requests/" + id + "/history").Json();
  ASSERT_EQ(history["events"].size(), winners.size() + 1) << "the history is not exactly the winners";
  for (size_t i = 0; i < winners.size(); ++i) {
    EXPECT_EQ(history["events"][i + 1]["sequence"], i + 2);
    EXPECT_EQ(history["events"][i + 1]["data"]["assignee"], winners[i]) << "round " << i;
  }
  EXPECT_EQ(reader.Get("/v1/requests/" + id).Json()["assignee"], winners.back());
}

INSTANTIATE_TEST_SUITE_P(Backends, ConflictingCommands, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
