#pragma once
// Forming one group commit (internal to ledger_log): the writer thread checks
// and seals every pending append of a group against the committed state and
// the calls before it in the group, and gathers the accepted ones into one
// WriteBatch. Nothing here touches the disk or the log's in-memory state.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "events/event_log.h"
#include "log/embedded/log_format.h"

namespace ledger::log {

// A caller's append waiting for the writer thread.
struct PendingAppend {
  std::vector<events::AppendRecord> records;
  events::EventLog::AppendCallback done;
};

// The log as durably stored before this group.
class CommittedState {
 public:
  virtual ~CommittedState() = default;
  virtual uint64_t TopicEnd(const std::string& topic) = 0;
  // kIo or kCorruption if the stored head cannot be read.
  virtual base::Result<StreamHead> Head(const std::string& stream_key) = 0;
};

// Topic ends and stream heads a group (or one call of it) moves forward.
struct StagedState {
  std::map<std::string, uint64_t> topic_ends;
  std::map<std::string, StreamHead> heads;  // by StreamKey
};

struct Group {
  rocksdb::WriteBatch batch;
  // One per call, in call order: what the call stores if the batch is
  // written, or why it was refused.
  std::vector<base::Result<std::vector<events::StoredEvent>>> results;
  StagedState staged;  // committed state after the batch, where it differs
  size_t accepted_calls = 0;
};

struct FamilyHandles {
  rocksdb::ColumnFamilyHandle* events = nullptr;
  rocksdb::ColumnFamilyHandle* streams = nullptr;
  rocksdb::ColumnFamilyHandle* append_times = nullptr;
};

// Calls that fail their checks (kConflict, kInvalidArgument, or kIo when a
// stream head cannot be read) contribute nothing; the others proceed.
// Every event the group stores is appended at `now_ms`.
Group FormGroup(const std::vector<PendingAppend>& calls, CommittedState& committed,
                const FamilyHandles& families, int64_t now_ms);

}  // namespace ledger::log
