#include "tests/support/ledger_process.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ledger::testing {

std::string WriteSettingsFile(const std::string& dir, const std::string& data_dir) {
  std::string path = dir + "/ledger.toml";
  std::ofstream out(path);
  out << "[server]\nhost = \"127.0.0.1\"\nport = 0\nthreads = 2\n\n"
      << "[storage]\ndata_dir = \"" << data_dir << "\"\n\n"
      << "[catalog]\npath = \"" << kSourceDir << "/config/catalog.toml\"\n\n"
      << "[[api_keys]]\nkey = \"" << kTestKey << "\"\nname = \"tester\"\nrole = \"admin\"\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
  return path;
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
