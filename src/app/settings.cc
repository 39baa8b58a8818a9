#include "src/app/settings.h"

#include "toml_reader/toml_reader.h"

namespace ledger::app {
namespace {

using toml_reader::Section;

// Reads the settings tables: a key that is absent keeps its default.
class SettingsReader : public toml_reader::Reader {
 public:
  using Reader::Reader;

  // The table `name` of the document, or an empty one.
  Section TableOrEmpty(const Section& top, const char* name) {
    static const toml::table kEmpty;
    const toml::table* table = Table(top, name, false);
    return {table ? *table : kEmpty, name};
  }
  template <typename T>
  void SetInteger(const Section& s, const char* key, T& out, int64_t min, int64_t max) {
    if (auto v = Integer(s, key, min, max, false)) out = static_cast<T>(*v);
  }
  enum class Empty { kRefused, kAllowed };
  void SetString(const Section& s, const char* key, std::string& out, Empty empty = Empty::kRefused) {
    if (Field(s, key, false)) out = String(s, key, empty == Empty::kRefused);
  }
};

}  // namespace

base::Result<Settings> LoadSettings(const std::string& path) {
  auto root = toml_reader::ParseFile(path);
  if (!root) return root.error();
  SettingsReader r(path);
  const Section top{*root, "settings"};
  r.RejectUnknownFields(top, {"server", "storage", "log", "kafka", "projections", "catalog", "commands",
                              "performance", "sla", "api_keys"});
  Settings s;
  int64_t read_timeout = s.server.read_timeout.count(), handler_timeout = s.server.handler_timeout.count();
  const Section server = r.TableOrEmpty(top, "server");
  r.RejectUnknownFields(server, {"host", "port", "threads", "max_connections", "body_limit_bytes",
                                 "header_limit_bytes", "read_timeout_seconds", "handler_timeout_seconds",
                                 "max_json_depth"});
  r.SetString(server, "host", s.server.host);
  r.SetInteger(server, "port", s.server.port, 0, 65535);
  r.SetInteger(server, "threads", s.server.threads, 1, 64);
  r.SetInteger(server, "max_connections", s.server.max_connections, 1, 1'000'000);
  r.SetInteger(server, "body_limit_bytes", s.server.body_limit_bytes, 1024, 64 << 20);
  r.SetInteger(server, "header_limit_bytes", s.server.header_limit_bytes, 1024, 1 << 20);
  r.SetInteger(server, "read_timeout_seconds", read_timeout, 1, 3600);
  r.SetInteger(server, "handler_timeout_seconds", handler_timeout, 1, 3600);
  r.SetInteger(server, "max_json_depth", s.max_json_depth, 2, 256);
  const Section storage = r.TableOrEmpty(top, "storage");
  r.RejectUnknownFields(storage, {"data_dir"});
  r.SetString(storage, "data_dir", s.data_dir);
  const Section log = r.TableOrEmpty(top, "log");
  r.RejectUnknownFields(log, {"backend", "max_group_events"});
  r.SetString(log, "backend", s.log_backend);
  if (r.ok() && s.log_backend != "embedded" && s.log_backend != "kafka")
    r.Fail(log, "backend", toml_reader::Quoted(s.log_backend) + " is not a log backend (use \"embedded\" or \"kafka\")");
  r.SetInteger(log, "max_group_events", s.max_group_events, 1, 1 << 20);
  const Section kafka = r.TableOrEmpty(top, "kafka");
  r.RejectUnknownFields(kafka, {"brokers", "requests_partitions", "contacts_partitions", "department_partitions",
                                "replication_factor", "produce_timeout_ms", "broker_timeout_ms", "topic_prefix"});
  r.SetString(kafka, "brokers", s.kafka.brokers);
  r.SetInteger(kafka, "requests_partitions", s.kafka.requests_partitions, 6, 10'000);
  r.SetInteger(kafka, "contacts_partitions", s.kafka.contacts_partitions, 1, 10'000);
  r.SetInteger(kafka, "department_partitions", s.kafka.department_partitions, 1, 10'000);
  r.SetInteger(kafka, "replication_factor", s.kafka.replication_factor, 1, 32);
  r.SetInteger(kafka, "produce_timeout_ms", s.kafka.produce_timeout_ms, 100, 600'000);
  r.SetInteger(kafka, "broker_timeout_ms", s.kafka.broker_timeout_ms, 100, 600'000);
  r.SetString(kafka, "topic_prefix", s.kafka.topic_prefix, SettingsReader::Empty::kAllowed);
  const Section projections = r.TableOrEmpty(top, "projections");
  r.RejectUnknownFields(projections, {"batch_events"});
  r.SetInteger(projections, "batch_events", s.projection_batch_events, 1, 1 << 20);
  const Section catalog = r.TableOrEmpty(top, "catalog");
  r.RejectUnknownFields(catalog, {"path"});
  r.SetString(catalog, "path", s.catalog_path);
  const Section commands = r.TableOrEmpty(top, "commands");
  r.RejectUnknownFields(commands, {"idempotency_window_seconds", "max_waiting"});
  r.SetInteger(commands, "idempotency_window_seconds", s.idempotency_window_seconds, 1, 30 * 24 * 3600);
  r.SetInteger(commands, "max_waiting", s.max_waiting_commands, 1, 1'000'000);
  const Section performance = r.TableOrEmpty(top, "performance");
  r.RejectUnknownFields(performance, {"min_sample", "publish", "fiscal_year_start"});
  s.publish_performance = r.Bool(performance, "publish", s.publish_performance);
  r.SetInteger(performance, "min_sample", s.min_sample, 1, 1'000'000);
  std::string fiscal_year_start;
  r.SetString(performance, "fiscal_year_start", fiscal_year_start);
  if (r.ok() && !fiscal_year_start.empty()) {
    auto start = performance::ParseFiscalYearStart(fiscal_year_start);
    if (start.ok()) s.fiscal_year_start = *start;
    else r.Fail(performance, "fiscal_year_start", start.error().message);
  }
  const Section sla = r.TableOrEmpty(top, "sla");
  r.RejectUnknownFields(sla, {"check_interval_ms"});
  r.SetInteger(sla, "check_interval_ms", s.sla_check_interval_ms, 0, 3'600'000);
  int ordinal = 0;
  for (const toml::table* table : r.Tables(top, "api_keys", false)) {
    const Section k{*table, "api_keys #" + std::to_string(++ordinal)};
    r.RejectUnknownFields(k, {"key", "name", "role"});
    http::ApiKey key;
    key.key = r.String(k, "key", true);
    if (r.ok() && key.key.size() < 16) r.Fail(k, "key", "must have 16 characters or more");
    key.name = r.String(k, "name", true);
    key.role = r.String(k, "role", true);
    s.api_keys.push_back(std::move(key));
  }
  if (!r.ok()) return r.error();
  s.server.read_timeout = std::chrono::seconds(read_timeout);
  s.server.handler_timeout = std::chrono::seconds(handler_timeout);
  return s;
}

}  // namespace ledger::app
