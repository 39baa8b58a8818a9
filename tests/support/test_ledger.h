#pragma once
// Test fixtures shared by the HTTP, app and system tests: temporary
// directories, settings for a ledger on a free loopback port with the
// shipped catalog, and an in-process ledger behind a real socket.

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "src/app/ledger.h"
#include "src/app/settings.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace ledger::testing {

inline constexpr const char* kTestKey = "test-key-0123456789abcdef";
inline constexpr const char* kSourceDir = LEDGER_SOURCE_DIR;


// The log backends every HTTP test runs against.
enum class Backend { kEmbedded, kKafka };
std::string BackendName(Backend backend);  // "Embedded", "Kafka": test name suffixes
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }

// The test broker: $LEDGER_TEST_BROKERS, else 127.0.0.1:9092 (scripts/test
// starts it with scripts/kafka).
std::string TestBrokers();

// A Kafka topic prefix no other ledger uses, "test-<pid>-<what>-...". Every
// topic under a prefix handed out here is deleted when the test program
// ends (a broker that is away by then leaves them, with a warning).
std::string TestTopicPrefix(const std::string& what = "ledger");

// Settings: data in `data_dir`, port 0, shipped catalog, one admin key
// kTestKey; on Kafka, topics under a prefix no other ledger uses.
app::Settings TestSettings(const std::string& data_dir, Backend backend = Backend::kEmbedded);

// A ledger serving on loopback with its own data directory (and on Kafka
// its own topics).
class LedgerUnderTest {
 public:
  explicit LedgerUnderTest(Backend backend = Backend::kEmbedded);
  explicit LedgerUnderTest(const app::Settings& settings);
  // On a data directory of its own, with TestSettings(backend) as `adjust` leaves them.
  LedgerUnderTest(Backend backend, const std::function<void(app::Settings&)>& adjust);
  ~LedgerUnderTest();
  uint16_t port() const;
  HttpClient Client(const std::string& key = kTestKey) const;
  void Stop();
  void Restart();  // stop (if running) and start on the same data directory and port
  const app::Settings& settings() const { return settings_; }

 private:
  std::unique_ptr<TempDir> dir_;
  app::Settings settings_;
  std::unique_ptr<app::Ledger> ledger_;
};

// A valid POST /v1/requests body for a phoned-in pothole.
nlohmann::json PotholeRequest();

// Events the log has acknowledged since the ledger started
// (ledger_events_appended_total in /metrics): what a refused command must
// leave unchanged. The same on both logs: Kafka's end offsets would count
// transaction markers, which appear some time after their events.
uint64_t EventsAppended(HttpClient& client);

}  // namespace ledger::testing
