#pragma once
// What the ledger's RocksDB stores (the embedded log, the projections'
// state) share about RocksDB itself. Namespace ledger::storage.

#include <memory>
#include <string>

#include <rocksdb/env.h>

namespace ledger::storage {

// A RocksDB info log that passes warnings and errors to the ledger's log
// (spdlog), prefixed "<store> (RocksDB): ", and drops the rest. Stores use
// it instead of a LOG file beside their data: on a full disk that file's
// failed write aborted the process (Debian's RocksDB asserts on a file
// writer's second error).
std::shared_ptr<rocksdb::Logger> LedgerLogFor(std::string store);

}  // namespace ledger::storage
