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
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "commands/command_service.h"
#include "projections/state_store.h"

namespace ledger::app {

class SlaTimer {
 public:
  // REQUIRES: store and commands outlive the timer; clock gives UTC ms.
  SlaTimer(projections::StateStore& store, commands::CommandService& commands,
           std::function<int64_t()> clock, std::chrono::milliseconds interval);
  ~SlaTimer() { Stop(); }

  void Start();
  // Ends the thread. Breaches in flight complete in the command service
  // (or not at all if the log closes first: the next start records them).
  void Stop();

  uint64_t recorded() const { return recorded_.load(); }
  // The last failure other than "nothing to record", or "" (for /healthz).
  std::string Problem() const;

 private:
  void Loop();
  // Records the breaches due now; false if stopping.
  bool RecordDue();

  projections::StateStore& store_;
  commands::CommandService& commands_;
  const std::function<int64_t()> clock_;
  const std::chrono::milliseconds interval_;
  std::atomic<uint64_t> recorded_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string problem_;
  // Deadlines whose breach failed with an error other than a conflict: not
  // tried again by this process, so they cannot hold up the ones behind them.
  std::set<std::pair<std::string, int64_t>> failed_;
  std::thread thread_;
};

}  // namespace ledger::app
