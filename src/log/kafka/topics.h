#pragma once
// Kafka topics as the ledger makes and marks them (internal to ledger_log):
// shared by the Kafka log, the client plumbing that creates missing topics,
// and the department router that reads what the log marked.

#include <cstdint>
#include <map>
#include <string>

namespace ledger::log {

// A topic to create when it is missing.
struct KafkaTopicSpec {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::map<std::string, std::string> config;  // topic-level settings
};

// The header on a 311.requests record naming the department topics the
// router copies it to ("311.dept.DOT,311.dept.DSW"); the copies go without it.
inline constexpr char kCopyTopicsHeader[] = "ledger_copy_topics";

}  // namespace ledger::log
