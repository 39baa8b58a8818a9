#pragma once
// ProjectionRunner: the thread that tails the log and folds every event of
// 311.requests and 311.contacts into the StateStore, batch by batch, and
// tells waiting commands when their events are projected (read your own
// writes). Rebuild() is the same fold from offset 0 into a fresh store.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log.h"
#include "projections/projected_topics.h"
#include "projections/state_store.h"

namespace ledger::app {

using Positions = std::map<events::TopicPartition, uint64_t>;

// Offsets the projections are behind `ends`, summed over topic-partitions:
// events, and on Kafka the transaction markers among them.
uint64_t OffsetsBehind(const Positions& ends, const Positions& projected);

class ProjectionRunner {
 public:
  // REQUIRES: log and store outlive the runner.
  ProjectionRunner(events::EventLog& log, projections::StateStore& store, size_t batch_max);
  ~ProjectionRunner();  // stops the thread

  void Start();
  void Stop();

  // Calls `done` (on the runner thread, or at once) when every event before
  // each target offset is projected.
  void WhenProjected(Positions targets, std::function<void()> done);

  Positions Projected() const;
  // Events folded since Start.
  uint64_t events_applied() const { return events_applied_.load(); }
  // Empty while healthy; else what the last failed apply said.
  std::string LastError() const;

 private:
  void Run();
  bool ApplyOnce();  // true if it applied something
  void FireSatisfied();
  bool Reached(const Positions& targets) const;  // REQUIRES: mu_ held

  events::EventLog& log_;
  projections::StateStore& store_;
  size_t batch_max_;
  mutable std::mutex mu_;
  Positions projected_;
  std::string last_error_;
  std::vector<std::pair<Positions, std::function<void()>>> waiters_;
  std::atomic<uint64_t> events_applied_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct RebuildResult {
  uint64_t events = 0;
  double seconds = 0;
  std::string checksum;
  projections::Quarantine quarantine;  // what the rebuild quarantined (the first kListedQuarantine)
};

// Quarantined records that /healthz, replay and verify list by position.
inline constexpr size_t kListedQuarantine = 20;

// Folds the log into the (fresh) store from offset 0 up to `until`
// (exclusive end offset per topic-partition; absent = the log's end now).
base::Result<RebuildResult> Rebuild(events::EventLog& log, projections::StateStore& store,
                                      const Positions& until, size_t batch_max);

}  // namespace ledger::app
