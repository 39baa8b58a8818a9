#pragma once
// Counters of an embedded log, so tests (and later /metrics) can see that
// group commit really shares one fsync among many appends.

#include <cstdint>

#include "events/event_log.h"

namespace ledger::log {

struct EmbeddedLogStats {
  uint64_t group_commits = 0;   // WriteBatches written (one fsync each)
  uint64_t appends_stored = 0;  // Append calls acknowledged as stored
};

// Counters since the log was opened. A log not made by OpenEmbeddedLog
// reads as all zeros.
EmbeddedLogStats ReadEmbeddedLogStats(const events::EventLog& log);

}  // namespace ledger::log
