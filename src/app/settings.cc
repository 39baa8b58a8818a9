#include "src/app/settings.h"

#include <algorithm>
#include <set>
#include <string_view>

#include <toml++/toml.h>

namespace ledger::app {
namespace {

using base::ErrorCode;
using base::MakeError;

// Reads optional keys of one table, keeping the first error. A key the
// table holds that no call asked for is an error too (CheckUnknown): a
// mistyped setting must not be silently ignored.
class TableReader {
 public:
  TableReader(const toml::table& root, std::string origin, const char* table)
      : origin_(std::move(origin)), prefix_(table) {
    if (auto* t = root[table].as_table()) table_ = t;
  }

  template <typename T>
  void Integer(const char* key, T& out, int64_t min, int64_t max) {
    const toml::node* n = Node(key);
    if (!n) return;
    auto v = n->value<int64_t>();
    if (!v || *v < min || *v > max)
      return Fail(*n, key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    out = static_cast<T>(*v);
  }

  enum class Empty { kRefused, kAllowed };
  void String(const char* key, std::string& out, Empty empty = Empty::kRefused) {
    const toml::node* n = Node(key);
    if (!n) return;
    auto v = n->value<std::string>();
    if (!v) return Fail(*n, key, "must be a string");
    if (v->empty() && empty == Empty::kRefused) return Fail(*n, key, "must be a non-empty string");
    out = *v;
  }

  // After every read: each key of the table that was not read is unknown.
  void CheckUnknown() {
    if (!table_) return;
    for (auto&& [key, node] : *table_)
      if (!read_.count(std::string(key.str()))) Fail(node, key.str(), "unknown setting");
  }

  std::optional<base::Error> error;

 private:
  const toml::node* Node(const char* key) {
    read_.insert(key);
    return table_ ? table_->get(key) : nullptr;
  }
  void Fail(const toml::node& n, std::string_view key, const std::string& why) {
    if (!error)
      error = base::Error{ErrorCode::kInvalidArgument,
                            origin_ + ":" + std::to_string(n.source().begin.line) + ": " + prefix_ +
                                "." + std::string(key) + ": " + why};
  }
  std::string origin_;
  std::string prefix_;
  const toml::table* table_ = nullptr;
  std::set<std::string> read_;
};

// The top-level tables a settings file may have.
constexpr std::string_view kTables[] = {"server", "storage", "log", "kafka", "projections",
                                        "catalog", "commands", "api_keys"};

base::Status CheckTopLevel(const toml::table& root, const std::string& path) {
  for (auto&& [key, node] : root) {
    bool known = std::find(std::begin(kTables), std::end(kTables), key.str()) != std::end(kTables);
    bool shaped = key.str() == "api_keys" ? node.is_array() : node.is_table();
    if (known && shaped) continue;
    return MakeError(ErrorCode::kInvalidArgument,
                     path + ":" + std::to_string(node.source().begin.line) + ": " + std::string(key.str()) +
                         (known ? (key.str() == "api_keys" ? ": must be an array of tables ([[api_keys]])"
                                                           : ": must be a table")
                                : ": unknown setting"));
  }
  return {};
}

base::Status CheckBackend(const std::string& backend) {
  if (backend == "embedded" || backend == "kafka") return {};
  return MakeError(ErrorCode::kInvalidArgument,
                   "log.backend: '" + backend + "' is not a log backend (use \"embedded\" or \"kafka\")");
}

}  // namespace

base::Result<Settings> LoadSettings(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0)
      return MakeError(ErrorCode::kIo, "cannot read settings file " + path + ": " + std::string(e.description()));
    return MakeError(ErrorCode::kInvalidArgument, path + ":" + std::to_string(e.source().begin.line) +
                                                      ": " + std::string(e.description()));
  }
  if (auto shaped = CheckTopLevel(root, path); !shaped) return shaped.error();
  Settings s;
  int64_t read_timeout = s.server.read_timeout.count(), handler_timeout = s.server.handler_timeout.count();
  TableReader server(root, path, "server");
  server.String("host", s.server.host);
  server.Integer("port", s.server.port, 0, 65535);
  server.Integer("threads", s.server.threads, 1, 64);
  server.Integer("max_connections", s.server.max_connections, 1, 1'000'000);
  server.Integer("body_limit_bytes", s.server.body_limit_bytes, 1024, 64 << 20);
  server.Integer("header_limit_bytes", s.server.header_limit_bytes, 1024, 1 << 20);
  server.Integer("read_timeout_seconds", read_timeout, 1, 3600);
  server.Integer("handler_timeout_seconds", handler_timeout, 1, 3600);
  server.Integer("max_json_depth", s.max_json_depth, 2, 256);
  TableReader storage(root, path, "storage");
  storage.String("data_dir", s.data_dir);
  TableReader log(root, path, "log");
  log.String("backend", s.log_backend);
  log.Integer("max_group_events", s.max_group_events, 1, 1 << 20);
  TableReader kafka(root, path, "kafka");
  kafka.String("brokers", s.kafka.brokers);
  kafka.Integer("requests_partitions", s.kafka.requests_partitions, 6, 10'000);
  kafka.Integer("contacts_partitions", s.kafka.contacts_partitions, 1, 10'000);
  kafka.Integer("department_partitions", s.kafka.department_partitions, 1, 10'000);
  kafka.Integer("replication_factor", s.kafka.replication_factor, 1, 32);
  kafka.Integer("produce_timeout_ms", s.kafka.produce_timeout_ms, 100, 600'000);
  kafka.Integer("broker_timeout_ms", s.kafka.broker_timeout_ms, 100, 600'000);
  kafka.String("topic_prefix", s.kafka.topic_prefix, TableReader::Empty::kAllowed);
  TableReader projections(root, path, "projections");
  projections.Integer("batch_events", s.projection_batch_events, 1, 1 << 20);
  TableReader catalog(root, path, "catalog");
  catalog.String("path", s.catalog_path);
  TableReader commands(root, path, "commands");
  commands.Integer("idempotency_window_seconds", s.idempotency_window_seconds, 1, 30 * 24 * 3600);
  commands.Integer("max_waiting", s.max_waiting_commands, 1, 1'000'000);
  for (TableReader* r : {&server, &storage, &log, &kafka, &projections, &catalog, &commands}) {
    r->CheckUnknown();
    if (r->error) return *r->error;
  }
  s.server.read_timeout = std::chrono::seconds(read_timeout);
  s.server.handler_timeout = std::chrono::seconds(handler_timeout);
  if (auto valid = CheckBackend(s.log_backend); !valid) return MakeError(valid.error().code, path + ": " + valid.error().message);
  if (auto* keys = root["api_keys"].as_array()) {
    for (auto& node : *keys) {
      auto* t = node.as_table();
      http::ApiKey key;
      if (t) {
        for (auto&& [name, value] : *t)
          if (name.str() != "key" && name.str() != "name" && name.str() != "role")
            return MakeError(ErrorCode::kInvalidArgument,
                             path + ":" + std::to_string(value.source().begin.line) + ": api_keys." +
                                 std::string(name.str()) + ": unknown setting");
        key.key = (*t)["key"].value_or(std::string());
        key.name = (*t)["name"].value_or(std::string());
        key.role = (*t)["role"].value_or(std::string());
      }
      if (key.key.size() < 16 || key.name.empty() || key.role.empty())
        return MakeError(ErrorCode::kInvalidArgument,
                         path + ":" + std::to_string(node.source().begin.line) +
                             ": api_keys: each key needs key (16+ characters), name and role");
      s.api_keys.push_back(std::move(key));
    }
  }
  return s;
}

}  // namespace ledger::app
