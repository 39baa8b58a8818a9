#pragma once
// The embedded EventLog: a durable single-node log in a RocksDB directory.
// Appends from many threads are gathered by one writer thread into a group:
// one WriteBatch, one fsync, then every caller of the group is called back.

#include <chrono>
#include <memory>
#include <string>

#include "events/event_log.h"
#include "base/result.h"

namespace rocksdb {
class Env;
}

namespace ledger::log {

struct EmbeddedLogOptions {
  std::string path;                   // directory of the log (created if missing)
  bool read_only = false;             // for `ledger tail` / `verify` beside a running server
  size_t max_group_events = 4096;     // upper bound on events per group commit
  // The file system RocksDB writes through; empty: the real one. Only
  // tests set it, to inject faults (a power cut that loses unsynced writes).
  std::shared_ptr<rocksdb::Env> env;
};

// Opens the log. With read_only, Append fails with kUnavailable and reads
// see events that the writing process stored (refreshed on each Read,
// EndOffset and TopicPartitions call).
base::Result<std::unique_ptr<events::EventLog>> OpenEmbeddedLog(const EmbeddedLogOptions& options);

}  // namespace ledger::log
