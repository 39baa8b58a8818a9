#pragma once
// Settings of a ledger instance: read from a TOML file (config/ledger.toml)
// and then overridden from the command line.

#include <string>
#include <vector>

#include "base/result.h"
#include "src/http/api.h"
#include "src/http/server.h"

namespace ledger::app {

// The Kafka backend ([kafka] in the settings file).
struct KafkaSettings {
  std::string brokers = "127.0.0.1:9092";
  int requests_partitions = 6;    // 311.requests, keyed by request id
  int contacts_partitions = 3;    // 311.contacts, keyed by contact id
  int department_partitions = 1;  // each 311.dept.<code>: one keeps a department's order total
  int replication_factor = 1;
  int produce_timeout_ms = 10'000;  // a transaction not committed by then fails (503 within twice this)
  int broker_timeout_ms = 15'000;   // start-up waits this long for a broker
  std::string topic_prefix;  // before every topic name: several ledgers on one cluster
};

struct Settings {
  http::ServerOptions server;
  int max_json_depth = 32;
  std::string data_dir = "data";
  std::string log_backend = "embedded";  // or "kafka"
  KafkaSettings kafka;
  size_t max_group_events = 4096;
  size_t projection_batch_events = 2048;
  std::string catalog_path = "config/catalog.toml";
  std::vector<http::ApiKey> api_keys;
  // How long an Idempotency-Key is remembered after its command was accepted.
  int64_t idempotency_window_seconds = 24 * 3600;
  // Commands taken and not yet answered (most wait for the log); more get 503.
  int max_waiting_commands = 4096;
  // How often the SLA timer looks for deadlines that passed (and once at
  // start); 0 turns it off (with publish_performance false: a copy that
  // records nothing).
  int64_t sla_check_interval_ms = 1000;
  // Publish changed department-days on 311.performance (off for a copy
  // that must record nothing).
  bool publish_performance = true;
  // Performance figures drawn from fewer samples are flagged low_sample.
  uint64_t min_sample = 30;
  // The first day of the center's fiscal year (reports by fiscal year).
  performance::FiscalYearStart fiscal_year_start;

  std::string log_dir() const { return data_dir + "/log"; }
  std::string state_dir() const { return data_dir + "/state"; }
};

// Reads `path`. kIo if unreadable, kInvalidArgument naming line, table and
// key of an unknown key or a bad value
// ("ledger.toml:4: server: field 'port': must be between 0 and 65535, got 70000").
base::Result<Settings> LoadSettings(const std::string& path);

}  // namespace ledger::app
