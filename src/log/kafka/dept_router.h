#pragma once
// DepartmentRouter: the stream processor that fills the department topics on
// Kafka. It reads 311.requests and writes each event to every topic its
// `ledger_copy_topics` header names (311.dept.<code> of the department that
// owns the request; a routing event names the old and the new department),
// unchanged: the same key, value, timestamp and ce_* headers.
//
// Exactly once, by Kafka transactions: the copies of a batch and the
// consumer group's offsets after it commit in one transaction, so a crash
// leaves either both or neither, and the next start resumes from the
// committed offsets. Department systems read with isolation.level =
// read_committed and see every event once.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"

namespace ledger::log {

struct DepartmentRouterOptions {
  std::string brokers;
  std::string topic_prefix;  // as for the log (kafka_log.h)
  // The consumer group; the offsets committed with each transaction are its.
  std::string group_id = "311-ledger-department-router";
  // Unique per running router: a second one with the same id fences the first.
  std::string transactional_id = "311-ledger-department-router";
  size_t max_batch = 2000;                                 // events per transaction, at most
  std::chrono::milliseconds max_batch_wait{100};           // a batch commits after this
  std::chrono::milliseconds restart_backoff{1000};         // after a failed transaction
  std::map<std::string, std::string> extra_config;         // librdkafka settings, applied last
};

class DepartmentRouter {
 public:
  // Starts routing on a thread of its own. Failures there (broker gone,
  // aborted transaction) restart it from the committed offsets. Fenced by
  // another router with the same transactional id, it stops for good (it
  // would fence the other back), and Problem() says so.
  static std::unique_ptr<DepartmentRouter> Start(const DepartmentRouterOptions& options);
  virtual ~DepartmentRouter() = default;  // stops: an open transaction is aborted

  // Events whose copies are committed since start.
  virtual uint64_t routed() const = 0;
  // Why routing is stalled now ("" while it runs), for /healthz.
  virtual std::string Problem() const = 0;
};

}  // namespace ledger::log
