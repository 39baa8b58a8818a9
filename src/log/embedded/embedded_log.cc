#include "log/embedded/embedded_log.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "log/embedded/embedded_log_stats.h"
#include "log/embedded/internal/group_commit.h"
#include "log/embedded/internal/log_store.h"

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

// Bounds the writer's memory of stream heads; past it the cache starts over
// and heads are read back from the `streams` family on demand.
constexpr size_t kMaxCachedHeads = 500'000;
// How often a read-only log looks for the writer's new events while waiting.
constexpr std::chrono::milliseconds kFollowPoll{50};

size_t EventCount(const PendingAppend& call) {
  size_t count = 0;
  for (const auto& record : call.records) count += 1 + record.copy_topics.size();
  return count;
}

class EmbeddedLog final : public events::EventLog, private CommittedState {
 public:
  EmbeddedLog(std::unique_ptr<LogStore> store, std::map<std::string, uint64_t> ends,
              size_t max_group_events)
      : store_(std::move(store)),
        max_group_events_(std::max<size_t>(max_group_events, 1)),
        ends_(std::move(ends)),
        writer_([this] { WriteLoop(); }) {}

  // Completes every append already queued, then closes the store.
  ~EmbeddedLog() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_.join();
  }

  void Append(std::vector<events::AppendRecord> records, AppendCallback done) override {
    {
      std::lock_guard lock(queue_mu_);
      if (!stopping_) {
        queue_.push_back({std::move(records), std::move(done)});
        queue_cv_.notify_one();
        return;
      }
    }
    done(MakeError(ErrorCode::kUnavailable, "the log is closing"));
  }

  base::Result<events::LogSlice> Read(const events::TopicPartition& tp, uint64_t from,
                                        size_t max) override {
    events::LogSlice slice{{}, from};
    if (tp.partition != 0 || max == 0) return slice;
    if (store_->secondary()) {
      if (auto status = store_->CatchUp(); !status) return status.error();
    }
    auto read = store_->Read(tp, from, max);
    if (!read) return read.error();
    slice.events = std::move(*read);
    if (!slice.events.empty()) slice.next = slice.events.back().offset + 1;
    return slice;
  }

  uint64_t EndOffset(const events::TopicPartition& tp) override {
    if (tp.partition != 0) return 0;
    if (store_->secondary()) {
      (void)store_->CatchUp();  // on failure, answer from what was seen last
      auto end = store_->ReadTopicEnd(tp.topic);
      return end ? *end : 0;
    }
    std::lock_guard lock(state_mu_);
    auto it = ends_.find(tp.topic);
    return it == ends_.end() ? 0 : it->second;
  }

  bool WaitForAppend(const std::map<events::TopicPartition, uint64_t>& seen,
                     std::chrono::milliseconds timeout) override {
    if (store_->secondary()) return WaitForPrimary(seen, timeout);
    std::unique_lock lock(state_mu_);
    return appended_cv_.wait_for(lock, timeout, [&] {
      for (const auto& [tp, offset] : seen) {
        auto it = ends_.find(tp.topic);
        if (tp.partition == 0 && it != ends_.end() && it->second > offset) return true;
      }
      return false;
    });
  }

  std::vector<events::TopicPartition> TopicPartitions() override {
    std::map<std::string, uint64_t> ends;
    if (store_->secondary()) {
      (void)store_->CatchUp();
      auto scanned = store_->ScanTopicEnds();
      if (scanned) ends = std::move(*scanned);
    } else {
      std::lock_guard lock(state_mu_);
      ends = ends_;
    }
    std::vector<events::TopicPartition> out;
    for (const auto& [topic, end] : ends) out.push_back({topic, 0});
    return out;
  }

  std::string Problem() override {
    if (store_->secondary()) return "the log is open read-only";
    std::lock_guard lock(state_mu_);
    return write_failure_;
  }

  EmbeddedLogStats Stats() const {
    std::lock_guard lock(state_mu_);
    return {group_commits_, appends_stored_};
  }

 private:
  void WriteLoop() {
    for (auto calls = TakeGroup(); !calls.empty(); calls = TakeGroup()) CommitGroup(calls);
  }

  // Blocks until appends are queued; takes all of them up to
  // max_group_events_ (at least one call). Empty once stopping and drained.
  std::vector<PendingAppend> TakeGroup() {
    std::unique_lock lock(queue_mu_);
    queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    std::vector<PendingAppend> calls;
    size_t events = 0;
    while (!queue_.empty()) {
      size_t count = EventCount(queue_.front());
      if (!calls.empty() && events + count > max_group_events_) break;
      events += count;
      calls.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return calls;
  }

  void CommitGroup(std::vector<PendingAppend>& calls) {
    if (store_->secondary()) {
      for (auto& call : calls)
        call.done(MakeError(ErrorCode::kUnavailable, "the log is open read-only"));
      return;
    }
    std::string failure;
    {
      std::lock_guard lock(state_mu_);
      failure = write_failure_;
    }
    if (!failure.empty()) {
      for (auto& call : calls) call.done(MakeError(ErrorCode::kUnavailable, failure));
      return;
    }
    Group group = FormGroup(calls, *this, store_->families(), events::NowMs());
    if (group.accepted_calls > 0) {
      rocksdb::WriteOptions options;
      options.sync = true;  // acknowledged means on disk: one fsync for the whole group
      auto status = store_->db().Write(options, &group.batch);
      if (!status.ok()) return FailWrites(calls, status);
      Publish(group);
    }
    for (size_t i = 0; i < calls.size(); ++i) calls[i].done(std::move(group.results[i]));
  }

  // A group commit failed (disk full, I/O error): what it wrote is unknown,
  // so every call of it, and every later one, gets the same kUnavailable
  // until an operator fixes the cause and restarts the ledger (RocksDB
  // itself stops writing after such an error). Problem() says why.
  void FailWrites(std::vector<PendingAppend>& calls, const rocksdb::Status& status) {
    std::string why = "the embedded log cannot write (" + status.ToString() +
                      "); appends stop until an operator frees the disk or fixes the fault and "
                      "restarts the ledger";
    {
      std::lock_guard lock(state_mu_);
      write_failure_ = why;
    }
    for (auto& call : calls)
      call.done(MakeError(ErrorCode::kUnavailable, "the append may or may not be stored: " + why));
  }

  // Only after the group is durable do readers and later groups see it.
  void Publish(Group& group) {
    if (heads_.size() + group.staged.heads.size() > kMaxCachedHeads) heads_.clear();
    for (auto& [key, head] : group.staged.heads) heads_[key] = std::move(head);
    {
      std::lock_guard lock(state_mu_);
      for (const auto& [topic, end] : group.staged.topic_ends) ends_[topic] = end;
      ++group_commits_;
      appends_stored_ += group.accepted_calls;
    }
    appended_cv_.notify_all();
  }

  bool WaitForPrimary(const std::map<events::TopicPartition, uint64_t>& seen,
                      std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (store_->CatchUp()) {
        for (const auto& [tp, offset] : seen) {
          auto end = store_->ReadTopicEnd(tp.topic);
          if (tp.partition == 0 && end && *end > offset) return true;
        }
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(kFollowPoll, deadline - now));
    }
  }

  // CommittedState, for FormGroup on the writer thread (the only thread
  // that reads or writes heads_ and the only one that changes ends_).
  uint64_t TopicEnd(const std::string& topic) override {
    std::lock_guard lock(state_mu_);
    auto it = ends_.find(topic);
    return it == ends_.end() ? 0 : it->second;
  }

  base::Result<StreamHead> Head(const std::string& stream_key) override {
    if (auto it = heads_.find(stream_key); it != heads_.end()) return it->second;
    auto head = store_->ReadHead(stream_key);
    if (head && heads_.size() < kMaxCachedHeads) heads_[stream_key] = *head;
    return head;
  }

  std::unique_ptr<LogStore> store_;
  const size_t max_group_events_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingAppend> queue_;
  bool stopping_ = false;

  mutable std::mutex state_mu_;
  std::condition_variable appended_cv_;
  std::map<std::string, uint64_t> ends_;  // topic -> next offset, as durably stored
  std::string write_failure_;  // set once a group commit failed; then every append is refused
  uint64_t group_commits_ = 0;
  uint64_t appends_stored_ = 0;

  std::unordered_map<std::string, StreamHead> heads_;  // by StreamKey; writer thread only

  std::thread writer_;  // last: starts once everything above is constructed
};

}  // namespace

base::Result<std::unique_ptr<events::EventLog>> OpenEmbeddedLog(
    const EmbeddedLogOptions& options) {
  auto store = LogStore::Open(options.path, options.read_only, options.env);
  if (!store) return store.error();
  std::map<std::string, uint64_t> ends;
  if (!options.read_only) {
    auto scanned = (*store)->ScanTopicEnds();
    if (!scanned) return scanned.error();
    ends = std::move(*scanned);
  }
  return std::unique_ptr<events::EventLog>(
      std::make_unique<EmbeddedLog>(std::move(*store), std::move(ends), options.max_group_events));
}

EmbeddedLogStats ReadEmbeddedLogStats(const events::EventLog& log) {
  auto* embedded = dynamic_cast<const EmbeddedLog*>(&log);
  return embedded ? embedded->Stats() : EmbeddedLogStats{};
}

}  // namespace ledger::log
