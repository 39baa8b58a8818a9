#include "storage/rocks_logger.h"

#include <cstdarg>
#include <cstdio>

#include <spdlog/spdlog.h>

namespace ledger::storage {
namespace {

class LedgerLog : public rocksdb::Logger {
 public:
  explicit LedgerLog(std::string store)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), store_(std::move(store)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list args) override { Logv(rocksdb::InfoLogLevel::WARN_LEVEL, format, args); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list args) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, args);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL)
      spdlog::error("{} (RocksDB): {}", store_, line);
    else
      spdlog::warn("{} (RocksDB): {}", store_, line);
  }

 private:
  const std::string store_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> LedgerLogFor(std::string store) {
  return std::make_shared<LedgerLog>(std::move(store));
}

}  // namespace ledger::storage
