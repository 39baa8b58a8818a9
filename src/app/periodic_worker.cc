#include "src/app/periodic_worker.h"

namespace ledger::app {

void PeriodicWorker::Start() { thread_ = std::thread([this] { Loop(); }); }

void PeriodicWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PeriodicWorker::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void PeriodicWorker::SetProblem(std::string problem) {
  std::lock_guard lock(mu_);
  problem_ = std::move(problem);
}

std::string PeriodicWorker::Problem() const {
  std::lock_guard lock(mu_);
  return problem_;
}

void PeriodicWorker::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool more = pass_();
    lock.lock();
    if (!more) wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace ledger::app
