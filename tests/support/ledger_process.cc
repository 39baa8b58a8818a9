#include "tests/support/ledger_process.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ledger::testing {

namespace {

// A TOML basic string: JSON's escapes are valid in it.
std::string Quoted(const std::string& text) { return nlohmann::json(text).dump(); }

}  // namespace

std::string WriteSettingsFile(const std::string& dir, const app::Settings& s) {
  std::string path = dir + "/ledger.toml";
  std::ofstream out(path);
  out << "[server]\nhost = " << Quoted(s.server.host) << "\nport = " << s.server.port
      << "\nthreads = " << s.server.threads << "\n\n"
      << "[storage]\ndata_dir = " << Quoted(s.data_dir) << "\n\n"
      << "[log]\nbackend = " << Quoted(s.log_backend) << "\n\n";
  if (s.log_backend == "kafka") {
    const app::KafkaSettings& k = s.kafka;
    out << "[kafka]\nbrokers = " << Quoted(k.brokers)
        << "\nrequests_partitions = " << k.requests_partitions
        << "\ncontacts_partitions = " << k.contacts_partitions
        << "\ndepartment_partitions = " << k.department_partitions
        << "\nreplication_factor = " << k.replication_factor
        << "\nproduce_timeout_ms = " << k.produce_timeout_ms
        << "\nbroker_timeout_ms = " << k.broker_timeout_ms
        << "\ntopic_prefix = " << Quoted(k.topic_prefix) << "\n\n";
  }
  out << "[catalog]\npath = " << Quoted(s.catalog_path) << "\n\n"
      << "[sla]\ncheck_interval_ms = " << s.sla_check_interval_ms << "\n\n"
      << "[performance]\nmin_sample = " << s.min_sample << "\n";
  for (const auto& key : s.api_keys)
    out << "\n[[api_keys]]\nkey = " << Quoted(key.key) << "\nname = " << Quoted(key.name)
        << "\nrole = " << Quoted(key.role) << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
  return path;
}

std::string WriteSettingsFile(const std::string& dir, const std::string& data_dir) {
  return WriteSettingsFile(dir, TestSettings(data_dir));
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line, nullptr, false));
  for (auto& j : lines)
    if (j.is_discarded()) j = nullptr;
  return lines;
}

std::string WordAfter(const std::string& text, const std::string& label) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(label, 0) != 0) continue;
    std::istringstream words(line.substr(label.size()));
    std::string word;
    words >> word;
    return word;
  }
  return "";
}

ServedLedger::ServedLedger(const std::string& binary, const std::string& settings_path,
                           std::vector<std::string> extra) {
  std::vector<std::string> argv = {binary, "serve", "-c", settings_path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Subprocess>(argv);
  const std::string banner = "311 Ledger serving on http://";
  // The banner leaves in one write (printf, then fflush), so it arrives whole.
  if (!process_->WaitForStdout(banner, std::chrono::seconds(30)))
    throw std::runtime_error("ledger serve did not start: " + process_->Stderr());
  std::string out = process_->Stdout();
  auto at = out.find(banner);
  auto colon = at == std::string::npos ? at : out.find(':', at + banner.size());
  if (colon == std::string::npos)
    throw std::runtime_error("ledger serve printed no URL: " + out + process_->Stderr());
  port_ = static_cast<uint16_t>(std::stoi(out.substr(colon + 1)));
}

HttpClient ServedLedger::Client(const std::string& key) const {
  return HttpClient("127.0.0.1", port_, key);
}

ProcessResult ServedLedger::Kill() {
  process_->Signal(SIGKILL);
  return process_->Wait();
}

ProcessResult ServedLedger::Terminate() {
  process_->Signal(SIGTERM);
  return process_->Wait();
}

}  // namespace ledger::testing
