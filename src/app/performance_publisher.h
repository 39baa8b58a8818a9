#pragma once
// PerformancePublisher: publishes each changed department-day on
// 311.performance (key "<department>/<day>", type
// gov311.performance.day_changed.v1, the day's figures as the API shows
// them, with the day's backlog_change in place of the backlog, which sums
// every earlier day and would go stale when one of those changes). The projections put every department-day they change into the
// state store's outbox in the same write as the change; a thread takes up
// to a page of them every `interval`, appends them in one append, and once
// the log holds them takes them out of the outbox unless they changed
// again meanwhile. So no change goes unpublished across crashes (a crash
// between append and mark publishes a day twice, with the same figures),
// and changes between two publications are coalesced into the latest.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "events/event_log.h"
#include "projections/state_store.h"
#include "src/app/periodic_worker.h"

namespace ledger::app {

class PerformancePublisher {
 public:
  // REQUIRES: log and store outlive the publisher.
  PerformancePublisher(events::EventLog& log, projections::StateStore& store, uint64_t min_sample,
                       std::chrono::milliseconds interval);
  ~PerformancePublisher() { Stop(); }

  void Start() { worker_.Start(); }
  void Stop() { worker_.Stop(); }

  uint64_t published() const { return published_.load(); }
  // The last failure, or "" once a publication succeeds again (for /healthz).
  std::string Problem() const { return worker_.Problem(); }

 private:
  // Publishes one page (a pass of the worker); true if a full page went.
  bool PublishPage();

  events::EventLog& log_;
  projections::StateStore& store_;
  const uint64_t min_sample_;
  std::atomic<uint64_t> published_{0};
  PeriodicWorker worker_;  // last: its thread stops before the rest goes
};

}  // namespace ledger::app
