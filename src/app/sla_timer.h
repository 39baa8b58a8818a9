#pragma once
// SlaTimer: records each SLA deadline that passes while its request is open.
// A thread wakes every `interval`, reads the requests awaiting a breach whose
// deadline is before now (StateStore::DueTimers, oldest first, a page at a
// time) and has CommandService::RecordBreach record each, waiting for the
// answers before it reads again. Once per deadline, across restarts and on
// both logs: the breach is a command like any other (decided against the
// projected state, appended with the request's expected version, with an
// event id and Idempotency-Key derived from request and deadline), and the
// recorded breach takes the request out of the timer index. A replay folds
// the recorded breaches; it fires nothing.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "commands/command_service.h"
#include "projections/state_store.h"
#include "src/app/periodic_worker.h"

namespace ledger::app {

class SlaTimer {
 public:
  // REQUIRES: store and commands outlive the timer; clock gives UTC ms.
  SlaTimer(projections::StateStore& store, commands::CommandService& commands,
           std::function<int64_t()> clock, std::chrono::milliseconds interval);
  ~SlaTimer() { Stop(); }

  void Start() { worker_.Start(); }
  // Ends the thread. Breaches in flight complete in the command service
  // (or not at all if the log closes first: the next start records them).
  void Stop() { worker_.Stop(); }

  uint64_t recorded() const { return recorded_->load(); }
  // The last failure other than "nothing to record", or "" once a pass
  // records without one (for /healthz).
  std::string Problem() const { return worker_.Problem(); }

 private:
  // Records the breaches due now (a pass of the worker).
  bool RecordDue();

  projections::StateStore& store_;
  commands::CommandService& commands_;
  const std::function<int64_t()> clock_;
  // Shared with the callbacks of breaches in flight, which may run after Stop.
  std::shared_ptr<std::atomic<uint64_t>> recorded_ = std::make_shared<std::atomic<uint64_t>>(0);
  PeriodicWorker worker_;  // last: its thread stops before the rest goes
};

}  // namespace ledger::app
