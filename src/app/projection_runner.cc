#include "src/app/projection_runner.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>


namespace ledger::app {

using projections::ProjectedEnds;

namespace {
constexpr auto kIdleWait = std::chrono::milliseconds(200);
constexpr auto kErrorBackoff = std::chrono::milliseconds(500);
}  // namespace

uint64_t OffsetsBehind(const Positions& ends, const Positions& projected) {
  uint64_t behind = 0;
  for (const auto& [tp, end] : ends) {
    auto it = projected.find(tp);
    uint64_t done = it == projected.end() ? 0 : it->second;
    behind += end > done ? end - done : 0;
  }
  return behind;
}

namespace {

// What ReadBatch found: the events, and where each topic-partition it read
// is to be read next (past transaction markers on Kafka).
struct Batch {
  std::vector<events::StoredEvent> events;
  Positions next;
};

// Up to `max` events of each topic-partition of `until`, from its offset in
// `from` (absent = 0) on, while it is below its offset in `until`. Events a
// read brings from at or past `until` are kept unless `exact` (a rebuild to
// given positions): on Kafka offsets skip markers, so a read of `max`
// events may reach past it. kCorruption if the log holds fewer records than
// its recorded end.
base::Result<Batch> ReadBatch(events::EventLog& log, const Positions& from,
                                const Positions& until, size_t max, bool exact) {
  Batch batch;
  for (const auto& [tp, stop] : until) {
    auto it = from.find(tp);
    uint64_t start = it == from.end() ? 0 : it->second;
    if (start >= stop) continue;
    auto read = log.Read(tp, start, std::min<uint64_t>(max, stop - start));
    if (!read.ok())
      return base::MakeError(read.error().code, "reading " + tp.topic + ": " + read.error().message);
    if (read->next == start)
      return base::MakeError(base::ErrorCode::kCorruption,
                               tp.topic + " ends at offset " + std::to_string(start) +
                                   ", before its recorded end " + std::to_string(stop));
    auto& events = read->events;
    if (exact) {
      auto past = std::find_if(events.begin(), events.end(),
                               [stop = stop](const events::StoredEvent& e) { return e.offset >= stop; });
      if (past != events.end()) {
        read->next = past->offset;
        events.erase(past, events.end());
      }
    }
    batch.next[tp] = read->next;
    for (auto& e : events) batch.events.push_back(std::move(e));
  }
  return batch;
}

}  // namespace

ProjectionRunner::ProjectionRunner(events::EventLog& log, projections::StateStore& store,
                                   size_t batch_max)
    : log_(log), store_(store), batch_max_(batch_max), projected_(store.Positions()) {}

ProjectionRunner::~ProjectionRunner() { Stop(); }

void ProjectionRunner::Start() { thread_ = std::thread([this] { Run(); }); }

void ProjectionRunner::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ProjectionRunner::Run() {
  while (!stop_) {
    if (ApplyOnce()) continue;
    // Wait for anything past what is projected, the topics not yet seen included.
    Positions seen = Projected();
    for (auto topic : projections::kProjectedTopics)
      seen.try_emplace({std::string(topic), 0}, 0);
    log_.WaitForAppend(seen, kIdleWait);
  }
}

bool ProjectionRunner::ApplyOnce() {
  auto read = ReadBatch(log_, Projected(), ProjectedEnds(log_), batch_max_, /*exact=*/false);
  if (!read.ok()) {
    spdlog::error("projection: {}", read.error().message);
    {
      std::lock_guard lock(mu_);
      last_error_ = read.error().message;
    }
    std::this_thread::sleep_for(kErrorBackoff);
    return false;
  }
  if (read->next.empty()) return false;
  auto applied = read->events.empty() ? base::Status{} : store_.ApplyBatch(read->events);
  if (!applied.ok()) {
    {
      std::lock_guard lock(mu_);
      last_error_ = "applying events: " + applied.error().message;
    }
    spdlog::error("projection: {}", applied.error().message);
    std::this_thread::sleep_for(kErrorBackoff);
    return false;
  }
  {
    std::lock_guard lock(mu_);
    // Past what the store keeps (last event + 1) when markers follow it;
    // after a restart they are read past again.
    for (const auto& [tp, next] : read->next) {
      auto& pos = projected_[tp];
      pos = std::max(pos, next);
    }
    last_error_.clear();
  }
  events_applied_ += read->events.size();
  FireSatisfied();
  return true;
}

bool ProjectionRunner::Reached(const Positions& targets) const {
  for (auto& [tp, offset] : targets) {
    auto it = projected_.find(tp);
    if (it == projected_.end() || it->second < offset) return false;
  }
  return true;
}

void ProjectionRunner::FireSatisfied() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (Reached(it->first)) {
        ready.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& done : ready) done();
}

void ProjectionRunner::WhenProjected(Positions targets, std::function<void()> done) {
  {
    std::lock_guard lock(mu_);
    if (!Reached(targets)) {
      waiters_.emplace_back(std::move(targets), std::move(done));
      return;
    }
  }
  done();
}

Positions ProjectionRunner::Projected() const {
  std::lock_guard lock(mu_);
  return projected_;
}

std::string ProjectionRunner::LastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

namespace {

// Reads the log up to `end` batch by batch on its own thread, one batch
// ahead of the fold, so decoding and folding use both cores.
class BatchReader {
 public:
  using Result = base::Result<Batch>;

  BatchReader(events::EventLog& log, Positions end, size_t batch_max)
      : log_(log), end_(std::move(end)), batch_max_(batch_max), thread_([this] { Run(); }) {}

  ~BatchReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // The next batch; one that read nothing at the end of the log.
  Result Next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return ready_.has_value(); });
    Result batch = std::move(*ready_);
    ready_.reset();
    cv_.notify_all();
    return batch;
  }

 private:
  void Run() {
    for (bool more = true; more;) {
      Result batch = Read();
      more = batch.ok() && !batch->next.empty();
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !ready_.has_value(); });
      if (stop_) return;
      ready_.emplace(std::move(batch));
      cv_.notify_all();
    }
  }

  Result Read() {
    auto batch = ReadBatch(log_, next_, end_, batch_max_, /*exact=*/true);
    if (batch.ok())
      for (const auto& [tp, next] : batch->next) next_[tp] = next;
    return batch;
  }

  events::EventLog& log_;
  const Positions end_;
  const size_t batch_max_;
  Positions next_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result> ready_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

base::Result<RebuildResult> Rebuild(events::EventLog& log, projections::StateStore& store,
                                      const Positions& until, size_t batch_max) {
  auto start = std::chrono::steady_clock::now();
  RebuildResult result;
  BatchReader reader(log, until.empty() ? ProjectedEnds(log) : until, batch_max);
  for (;;) {
    auto batch = reader.Next();
    if (!batch.ok()) return batch.error();
    if (batch->next.empty()) break;
    if (batch->events.empty()) continue;
    auto applied = store.ApplyBatch(batch->events);
    if (!applied.ok()) return applied.error();
    result.events += batch->events.size();
  }
  auto checksum = store.Checksum();
  if (!checksum.ok()) return checksum.error();
  result.checksum = *checksum;
  auto quarantine = store.Quarantined(kListedQuarantine);
  if (!quarantine.ok()) return quarantine.error();
  result.quarantine = std::move(*quarantine);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace ledger::app
