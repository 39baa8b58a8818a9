#pragma once
// A fresh directory under the system temp dir, removed with the object.
// Header-only so every test folder can use it without linking the app.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace ledger::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledger-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // The path of `name` inside the directory.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to `name` inside the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(Sub(name)) << text;
    return Sub(name);
  }

 private:
  std::string path_;
};

}  // namespace ledger::testing
