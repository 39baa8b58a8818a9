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
    : store_(store), commands_(commands), clock_(std::move(clock)), worker_(interval, [this] { return RecordDue(); }) {}

bool SlaTimer::RecordDue() {
  // What the answers of one page share with their callbacks, which may run
  // after Stop (the command service outlives the timer's thread).
  struct Page {
    std::mutex mu;
    std::condition_variable done;
    size_t waiting = 0;
    std::vector<std::pair<projections::StateStore::DueTimer, base::Error>> failures;
  };
  // Deadlines asked for in this pass: one that fails (the log refusing for
  // a while) is asked again in the next pass, not again in this one, so it
  // cannot hold up the ones behind it.
  std::set<std::pair<std::string, int64_t>> asked;
  bool failed = false;
  for (;;) {
    int64_t now = clock_();
    auto due = store_.DueTimers(now, kPage + asked.size());
    if (!due.ok()) {
      worker_.SetProblem("cannot read the SLA timers: " + due.error().message);
      return false;
    }
    auto page = std::make_shared<Page>();
    std::vector<projections::StateStore::DueTimer> todo;
    for (auto& timer : *due) {
      auto key = std::make_pair(timer.request_id, timer.deadline_ms);
      if (asked.count(key)) continue;
      asked.insert(key);
      todo.push_back(std::move(timer));
      if (todo.size() == kPage) break;
    }
    if (todo.empty()) {
      if (!failed) worker_.SetProblem("");
      return false;
    }
    page->waiting = todo.size();
    for (const auto& timer : todo) {
      commands_.RecordBreach(timer.request_id, timer.deadline_ms, now,
                             [recorded = recorded_, page, timer](base::Result<commands::CommandOutcome> outcome) {
                               std::lock_guard lock(page->mu);
                               if (outcome.ok() && !outcome->replayed) ++*recorded;
                               if (!outcome.ok() && outcome.error().code != base::ErrorCode::kConflict)
                                 page->failures.emplace_back(timer, outcome.error());
                               if (--page->waiting == 0) page->done.notify_all();
                             });
    }
    std::unique_lock wait(page->mu);
    while (page->waiting > 0) {
      page->done.wait_for(wait, std::chrono::milliseconds(100));
      if (worker_.stopping()) return false;
    }
    for (const auto& [timer, error] : page->failures) {
      spdlog::warn("sla timer: cannot record the breach of {} (deadline {}): {}; trying again in the next pass",
                   timer.request_id, events::FormatTime(timer.deadline_ms), error.message);
      failed = true;
      worker_.SetProblem("cannot record the breach of " + timer.request_id + ": " + error.message);
    }
  }
}

}  // namespace ledger::app
