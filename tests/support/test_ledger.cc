#include "tests/support/test_ledger.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <regex>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "log/kafka/internal/kafka_client.h"

namespace ledger::testing {

std::string BackendName(Backend backend) {
  return backend == Backend::kKafka ? "Kafka" : "Embedded";
}

std::string TestBrokers() {
  const char* env = std::getenv("LEDGER_TEST_BROKERS");
  return env && *env ? env : "127.0.0.1:9092";
}

namespace {

std::string ProcessTopicPrefix() { return "test-" + std::to_string(getpid()) + "-"; }

std::atomic<bool> topics_handed_out{false};

// Deletes the topics under this process's prefix once every test has run.
class TopicSweeper : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!topics_handed_out) return;
    auto client = log::NewKafkaClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", TestBrokers()}}, {});
    base::Result<size_t> deleted =
        client ? log::DeleteTopicsNamed(client->get(), ProcessTopicPrefix(), std::chrono::seconds(15))
               : base::Result<size_t>(client.error());
    if (!deleted)
      std::cerr << "warning: topics named " << ProcessTopicPrefix()
                << "* are left on the broker: " << deleted.error().message << "\n";
  }
};

[[maybe_unused]] ::testing::Environment* const kTopicSweeper =
    ::testing::AddGlobalTestEnvironment(new TopicSweeper);

}  // namespace

std::string TestTopicPrefix(const std::string& what) {
  static std::atomic<int> handed_out{0};
  std::random_device random;
  topics_handed_out = true;
  return ProcessTopicPrefix() + what + "-" + std::to_string(++handed_out) + "-" +
         std::to_string(random() % 1'000'000) + ".";
}

app::Settings TestSettings(const std::string& data_dir, Backend backend) {
  app::Settings s;
  if (backend == Backend::kKafka) {
    s.log_backend = "kafka";
    s.kafka.brokers = TestBrokers();
    s.kafka.topic_prefix = TestTopicPrefix();
  }
  s.server.host = "127.0.0.1";
  s.server.port = 0;
  s.server.threads = 2;
  s.data_dir = data_dir;
  s.catalog_path = std::string(kSourceDir) + "/config/catalog.toml";
  s.api_keys = {{kTestKey, "tester", "admin"}};
  return s;
}

LedgerUnderTest::LedgerUnderTest(Backend backend) : dir_(std::make_unique<TempDir>()) {
  settings_ = TestSettings(dir_->path() + "/data", backend);
  Restart();
}

LedgerUnderTest::LedgerUnderTest(const app::Settings& settings) : settings_(settings) { Restart(); }

LedgerUnderTest::LedgerUnderTest(Backend backend, const std::function<void(app::Settings&)>& adjust)
    : dir_(std::make_unique<TempDir>()) {
  settings_ = TestSettings(dir_->path() + "/data", backend);
  adjust(settings_);
  Restart();
}

LedgerUnderTest::~LedgerUnderTest() { ledger_.reset(); }

void LedgerUnderTest::Stop() {
  if (ledger_) settings_.server.port = ledger_->port();
  ledger_.reset();
}

void LedgerUnderTest::Restart() {
  Stop();
  uint16_t port = settings_.server.port;
  app::Settings s = settings_;
  s.server.port = port;
  auto started = app::Ledger::Start(s);
  if (!started.ok()) throw std::runtime_error("ledger did not start: " + started.error().message);
  ledger_ = std::move(*started);
}

uint16_t LedgerUnderTest::port() const { return ledger_->port(); }

HttpClient LedgerUnderTest::Client(const std::string& key) const {
  return HttpClient("127.0.0.1", port(), key);
}

nlohmann::json PotholeRequest() {
  return {{"service_code", "pothole"},
          {"description", "Deep pothole in the right lane, about two feet wide"},
          {"location", {{"address", "1200 River Road"}, {"lat", 39.0840}, {"lon", -77.1528}}},
          {"channel", "phone"},
          {"resident", {{"name", "Pat Doe"}, {"phone", "+1 301 555 0100"}}}};
}

uint64_t EventsAppended(HttpClient& client) {
  const std::string metrics = client.Get("/metrics").body;
  static const std::regex line(R"re(\nledger_events_appended_total (\d+)\n)re");
  std::smatch m;
  if (!std::regex_search(metrics, m, line))
    throw std::runtime_error("no ledger_events_appended_total in /metrics");
  return std::stoull(m[1]);
}

}  // namespace ledger::testing
