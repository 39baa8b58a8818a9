#pragma once
// Appends to an EventLog from one thread with at most `limit` Append calls
// outstanding: `limit` concurrent callers, without their threads. Keeps each
// call's latency (Append to its callback) for percentiles.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "events/event_log.h"

namespace ledger::bench {

class AppendWindow {
 public:
  // Called on the log's thread with each stored result, before the window
  // counts the call as done.
  using OnStored = std::function<void(const std::vector<events::StoredEvent>&)>;

  AppendWindow(events::EventLog& log, size_t limit, OnStored on_stored = {})
      : log_(log), limit_(limit), on_stored_(std::move(on_stored)) {}

  // Blocks while the window is full. False once an append has failed.
  bool Append(std::vector<events::AppendRecord> records) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return outstanding_ < limit_ || failure_; });
      if (failure_) return false;
      ++outstanding_;
    }
    auto start = std::chrono::steady_clock::now();
    log_.Append(std::move(records), [this, start](base::Result<std::vector<events::StoredEvent>> r) {
      if (r.ok() && on_stored_) on_stored_(*r);
      double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      std::lock_guard lock(mu_);
      --outstanding_;
      if (r.ok()) {
        stored_ += r->size();
        micros_.push_back(us);
      } else if (!failure_) {
        failure_ = r.error().message;
      }
      cv_.notify_all();
    });
    return true;
  }

  // Waits for every append; the first failure, if any.
  std::optional<std::string> Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return outstanding_ == 0; });
    return failure_;
  }

  // REQUIRES: drained.
  uint64_t stored() const { return stored_; }
  // The q-quantile (0..1) of the successful calls' latencies in microseconds;
  // 0 if there were none. REQUIRES: drained.
  double LatencyMicros(double q) {
    if (micros_.empty()) return 0;
    size_t at = std::min(micros_.size() - 1, size_t(q * double(micros_.size())));
    std::nth_element(micros_.begin(), micros_.begin() + at, micros_.end());
    return micros_[at];
  }

 private:
  events::EventLog& log_;
  const size_t limit_;
  const OnStored on_stored_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t outstanding_ = 0;
  uint64_t stored_ = 0;
  std::vector<double> micros_;
  std::optional<std::string> failure_;
};

}  // namespace ledger::bench
