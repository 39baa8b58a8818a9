#pragma once
// PeriodicWorker: the thread of a background job of the ledger (the SLA
// timer, the performance publisher). It runs `pass` at start and then every
// `interval`, at once again while a pass says more work waits, until Stop;
// and it keeps the last problem a pass reported, for /healthz.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ledger::app {

class PeriodicWorker {
 public:
  // `pass` returns true to run again at once. REQUIRES: what it uses
  // outlives Stop.
  PeriodicWorker(std::chrono::milliseconds interval, std::function<bool()> pass)
      : interval_(interval), pass_(std::move(pass)) {}
  ~PeriodicWorker() { Stop(); }

  void Start();
  // Wakes the thread and joins it: a pass in progress sees stopping() and
  // should return soon.
  void Stop();
  bool stopping() const;

  void SetProblem(std::string problem);
  std::string Problem() const;  // "" when the last pass reported none

 private:
  void Loop();

  const std::chrono::milliseconds interval_;
  const std::function<bool()> pass_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string problem_;
  std::thread thread_;
};

}  // namespace ledger::app
