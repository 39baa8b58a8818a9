#include "src/app/sla_timer.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

namespace ledger::app {
namespace {

// Breaches asked for at once: one page of due timers.
constexpr size_t kPage = 256;

}  // namespace

SlaTimer::SlaTimer(projections::StateStore& store, commands::CommandService& commands,
                   std::function<int64_t()> clock, std::chrono::milliseconds interval)
    : store_(store), commands_(commands), clock_(std::move(clock)), interval_(interval) {}

void SlaTimer::Start() { thread_ = std::thread([this] { Loop(); }); }

void SlaTimer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string SlaTimer::Problem() const {
  std::lock_guard lock(mu_);
  return problem_;
}

void SlaTimer::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool go_on = RecordDue();
    lock.lock();
    if (!go_on) break;
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

bool SlaTimer::RecordDue() {
  // What the answers of one page share with their callbacks, which may run
  // after Stop (the command service outlives the timer's thread).
  struct Page {
    std::mutex mu;
    std::condition_variable done;
    size_t waiting = 0;
    std::vector<std::pair<projections::StateStore::DueTimer, base::Error>> failures;
  };
  std::set<std::pair<std::string, int64_t>> asked;
  for (;;) {
    int64_t now = clock_();
    auto due = store_.DueTimers(now, kPage + failed_.size() + asked.size());
    if (!due.ok()) {
      std::lock_guard lock(mu_);
      problem_ = "cannot read the SLA timers: " + due.error().message;
      return true;
    }
    auto page = std::make_shared<Page>();
    std::vector<projections::StateStore::DueTimer> todo;
    for (auto& timer : *due) {
      auto key = std::make_pair(timer.request_id, timer.deadline_ms);
      if (failed_.count(key) || asked.count(key)) continue;
      asked.insert(key);
      todo.push_back(std::move(timer));
      if (todo.size() == kPage) break;
    }
    if (todo.empty()) return true;
    page->waiting = todo.size();
    for (const auto& timer : todo) {
      commands_.RecordBreach(timer.request_id, timer.deadline_ms, now,
                             [this, page, timer](base::Result<commands::CommandOutcome> outcome) {
                               std::lock_guard lock(page->mu);
                               if (outcome.ok() && !outcome->replayed) ++recorded_;
                               if (!outcome.ok() && outcome.error().code != base::ErrorCode::kConflict)
                                 page->failures.emplace_back(timer, outcome.error());
                               if (--page->waiting == 0) page->done.notify_all();
                             });
    }
    std::unique_lock wait(page->mu);
    while (page->waiting > 0) {
      page->done.wait_for(wait, std::chrono::milliseconds(100));
      std::lock_guard lock(mu_);
      if (stopping_) return false;
    }
    for (const auto& [timer, error] : page->failures) {
      spdlog::warn("sla timer: cannot record the breach of {} (deadline {}): {}", timer.request_id,
                   events::FormatTime(timer.deadline_ms), error.message);
      failed_.emplace(timer.request_id, timer.deadline_ms);
      std::lock_guard lock(mu_);
      problem_ = "cannot record the breach of " + timer.request_id + ": " + error.message;
    }
  }
}

}  // namespace ledger::app
