// SIGTERM during ingest, as an operator stops the real binary: the server
// stops taking requests but answers every command it took, so each request
// that is stored was answered 201 (and nothing answered 201 is missing).
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "tests/support/ledger_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

size_t StoredRequests(HttpClient& client) {
  size_t count = 0;
  std::string cursor;
  do {
    auto page = client.Get("/v1/requests?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor)).Json();
    count += page["requests"].size();
    cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  return count;
}

class Shutdown : public ::testing::TestWithParam<Backend> {};

TEST_P(Shutdown, SigtermAnswersEveryCommandItTook) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.Sub("data"), GetParam());
  std::string settings_path = WriteSettingsFile(dir.path(), settings);
  constexpr int kRounds = 3;
  constexpr int kClients = 8;
  size_t answered = 0;
  for (int round = 0; round < kRounds; ++round) {
    ServedLedger server(LEDGER_BINARY, settings_path);
    std::atomic<size_t> created{0};
    std::atomic<int> started{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
      clients.emplace_back([&] {
        auto client = server.Client();
        ++started;
        for (;;) {
          auto reply = client.Post("/v1/requests", PotholeRequest());
          if (reply.status != 201) {
            // Refused while stopping, or the connection closed: never stored.
            EXPECT_TRUE(reply.status == 0 || reply.status == 503) << reply.status << " " << reply.body;
            return;
          }
          ++created;
        }
      });
    while (started < kClients || created < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server.process().Signal(SIGTERM);
    for (auto& t : clients) t.join();
    ProcessResult stopped = server.process().Wait(std::chrono::seconds(60));
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    answered += created;
  }
  ServedLedger after(LEDGER_BINARY, settings_path);
  auto client = after.Client();
  EXPECT_EQ(StoredRequests(client), answered)
      << "stored requests whose 201 the stop dropped (or answers of requests not stored)";
}

INSTANTIATE_TEST_SUITE_P(Backends, Shutdown, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
