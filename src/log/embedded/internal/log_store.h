#pragma once
// LogStore (internal to ledger_log): the RocksDB directory that holds the
// embedded log, opened either as the one writing primary or as a read-only
// secondary that follows a primary in another process.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "events/event_log.h"
#include "log/embedded/internal/group_commit.h"

namespace ledger::log {

class LogStore {
 public:
  // Opens (and as primary creates) the log in `path`. Failures: kUnavailable
  // if another process holds `path` for writing; kNotFound if a secondary is
  // asked for a directory that holds no log; kIo or kCorruption otherwise.
  // `env`: the file system to write through (null: the real one).
  static base::Result<std::unique_ptr<LogStore>> Open(const std::string& path, bool secondary,
                                                        std::shared_ptr<rocksdb::Env> env = nullptr);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  bool secondary() const { return !secondary_dir_.empty(); }
  rocksdb::DB& db() { return *db_; }
  const FamilyHandles& families() const { return families_; }

  // Secondary only: replays what the primary wrote since the last call.
  base::Status CatchUp();

  // End offset of every topic that holds an event.
  base::Result<std::map<std::string, uint64_t>> ScanTopicEnds();
  base::Result<uint64_t> ReadTopicEnd(const std::string& topic);
  // kIo or kCorruption on a stored head that cannot be read.
  base::Result<StreamHead> ReadHead(const std::string& stream_key);
  base::Result<std::vector<events::StoredEvent>> Read(const events::TopicPartition& tp,
                                                        uint64_t from, size_t max);

 private:
  LogStore() = default;

  std::shared_ptr<rocksdb::Env> env_;  // declared first: outlives db_, which writes through it
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  FamilyHandles families_;
  std::string secondary_dir_;  // the secondary's own scratch directory; removed on close
  std::mutex catch_up_mu_;
};

}  // namespace ledger::log
