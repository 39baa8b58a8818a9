#pragma once
// The real `ledger` binary as a user runs it: a settings file in a temp
// directory and `ledger serve` as a child process on a free port.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {

// Writes `dir`/ledger.toml in the shape of config/ledger.toml from
// `settings`: [server] host, port and threads, [storage], [log] backend,
// [kafka] (every field) on the Kafka backend, [catalog], [[api_keys]].
// Returns the file's path; throws std::runtime_error if it cannot write.
std::string WriteSettingsFile(const std::string& dir, const app::Settings& settings);

// The same for TestSettings(data_dir): loopback, port 0, data in
// `data_dir`, the shipped catalog (absolute path), one admin key kTestKey.
std::string WriteSettingsFile(const std::string& dir, const std::string& data_dir);

// The JSON value of each non-empty line of `text` (`ledger tail` output);
// a line that is not JSON becomes null.
std::vector<nlohmann::json> JsonLines(const std::string& text);

// The word that follows `label` at the start of a line of `text` (e.g.
// WordAfter(out, "checksum") for "checksum 3fa9..."); "" if there is none.
std::string WordAfter(const std::string& text, const std::string& label);

// `ledger serve -c <settings> <extra...>` as a child process.
class ServedLedger {
 public:
  // Waits for the "311 Ledger serving on http://HOST:PORT" line. Throws
  // std::runtime_error (with the child's stderr) if it does not come.
  ServedLedger(const std::string& binary, const std::string& settings_path,
               std::vector<std::string> extra = {});
  uint16_t port() const { return port_; }
  HttpClient Client(const std::string& key = kTestKey) const;
  Subprocess& process() { return *process_; }
  ProcessResult Kill();       // SIGKILL, then reap
  ProcessResult Terminate();  // SIGTERM (a clean stop), then reap

 private:
  std::unique_ptr<Subprocess> process_;
  uint16_t port_ = 0;
};

}  // namespace ledger::testing
