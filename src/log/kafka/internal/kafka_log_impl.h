#pragma once
// KafkaLog (internal to ledger_log): the Kafka EventLog of kafka_log.h, its
// state and its methods by job: kafka_log.cc opens it, reads and keeps it
// able to write (the write gate: broker down, resync after a failed write,
// the barrier the projections must pass); kafka_appends.cc takes appends
// (stream sequencing: one append per stream in flight, sealing onto cached
// heads, answering in order).

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "log/kafka/internal/kafka_client.h"
#include "log/kafka/internal/partition_reader.h"
#include "log/kafka/internal/transactional_writer.h"
#include "log/kafka/kafka_log.h"
#include "log/stream_key.h"

namespace ledger::log {

using Positions = std::map<events::TopicPartition, uint64_t>;

// Why appends wait after a start or a resync, until the projections catch up.
inline constexpr char kCatchingUp[] =
    "the projections are catching up with the log; appends resume when they have";

struct CachedHead {
  uint64_t version = 0;
  std::string hash;
  uint64_t generation = 0;  // the prune generation it was written in
};

// One Append call on its way through the producer.
struct Call {
  std::vector<events::AppendRecord> records;
  events::EventLog::AppendCallback done;
  std::vector<std::string> stream_keys;  // distinct, of its records
  std::vector<events::StoredEvent> stored;
  std::optional<base::Error> failure;
};

class KafkaLog final : public events::EventLog {
 public:
  explicit KafkaLog(KafkaLogOptions options) : options_(std::move(options)) {}

  ~KafkaLog() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    // Closing answers its calls, whose completions use the members below
    // and the writer itself, as the poller does: the writer goes only once
    // both are done (a reset would clear writer_ before its thread ends).
    if (writer_) writer_->Close();
    if (poller_.joinable()) poller_.join();
    writer_.reset();
    std::deque<std::shared_ptr<Call>> blocked;
    {
      std::lock_guard lock(mu_);
      blocked.swap(blocked_);
    }
    for (auto& call : blocked) call->done(base::MakeError(base::ErrorCode::kUnavailable, "the log is closing"));
  }

  base::Status Open();

  void Append(std::vector<events::AppendRecord> records, AppendCallback done) override {
    auto call = std::make_shared<Call>();
    call->records = std::move(records);
    call->done = std::move(done);
    std::set<std::string> keys;
    for (const auto& r : call->records) keys.insert(StreamKey(r.topic, r.event.subject));
    call->stream_keys.assign(keys.begin(), keys.end());
    Dispatch(std::move(call));
  }

  base::Result<events::LogSlice> Read(const events::TopicPartition& tp, uint64_t from,
                                        size_t max) override;

  uint64_t EndOffset(const events::TopicPartition& tp) override {
    std::lock_guard lock(mu_);
    auto it = ends_.find(tp);
    return it == ends_.end() ? 0 : it->second;
  }

  bool WaitForAppend(const Positions& seen, std::chrono::milliseconds timeout) override;

  std::vector<events::TopicPartition> TopicPartitions() override {
    if (options_.read_only) {
      auto ends = QueryEnds();
      if (ends)
        for (const auto& [tp, end] : *ends) RaiseEnd(tp, end);
    }
    std::lock_guard lock(mu_);
    std::vector<events::TopicPartition> out;
    for (const auto& [tp, end] : ends_)
      if (end > 0) out.push_back(tp);
    return out;
  }

  std::string Problem() override {
    if (!options_.read_only) CheckBarrier();
    std::lock_guard lock(mu_);
    if (options_.read_only) return "the log is open read-only";
    if (problem_.empty() && barrier_pending_) return kCatchingUp;
    return problem_;
  }

 private:
  rd_kafka_t* Admin() { return admin_ ? admin_.get() : reader_->client(); }

  events::TopicPartition Physical(const events::TopicPartition& tp) const {
    return {options_.topic_prefix + tp.topic, tp.partition};
  }

  // The end of every partition of the known topics, asked of the brokers.
  base::Result<Positions> QueryEnds() {
    std::vector<std::string> names;
    for (const auto& t : options_.known_topics) names.push_back(options_.topic_prefix + t);
    auto partitions = ListPartitions(Admin(), names, options_.broker_timeout);
    if (!partitions) return partitions.error();
    Positions ends;
    for (const auto& tp : *partitions) {
      events::TopicPartition logical{tp.topic.substr(options_.topic_prefix.size()), tp.partition};
      auto end = AskEnd(logical);
      if (!end) return end.error();
      ends[logical] = *end;
    }
    return ends;
  }

  // The end of `tp`: as the last fetch saw it while the reader fetches `tp`
  // (a query would queue behind the fetch's long poll), else asked of its leader.
  base::Result<uint64_t> AskEnd(const events::TopicPartition& tp) {
    if (auto fetched = reader_->FetchedEnd(tp)) return *fetched;
    return QueryEnd(Admin(), Physical(tp), options_.broker_timeout);
  }

  void RaiseEnd(const events::TopicPartition& tp, uint64_t end) {
    {
      std::lock_guard lock(mu_);
      auto& known = ends_[tp];
      if (end <= known) return;
      known = end;
    }
    appended_cv_.notify_all();
  }

  // Why appends are refused now, or "". REQUIRES: mu_ held.
  std::string Refusal() const {
    if (stopping_) return "the log is closing";
    if (options_.read_only) return "the log is open read-only";
    return problem_;
  }

  // Ends the refusal after a resync (or at start) once the projections
  // have read past the ends it noted. Takes mu_.
  void CheckBarrier();
  void Dispatch(std::shared_ptr<Call> call);
  // Whether `call` must wait: a stream of it is busy, or has a waiting call
  // before it. REQUIRES: mu_ held.
  bool WaitsForEarlier(const Call& call) const;
  // Refuses `call` (the error, to answer outside mu_) or hands it to the
  // producer. REQUIRES: mu_ held.
  std::optional<base::Error> StartLocked(const std::shared_ptr<Call>& call);
  base::Result<std::vector<OutgoingMessage>> Seal(Call& call,
                                                    std::unordered_map<std::string, CachedHead>& staged);
  base::Status Produce(const std::shared_ptr<Call>& call);  // REQUIRES: mu_ held
  void Finish(const std::shared_ptr<Call>& call);
  void PollLoop();
  void Maintain();
  void PruneHeads();

  static void OnClientError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<KafkaLog*>(opaque)->ClientError(static_cast<rd_kafka_resp_err_t>(err), reason);
  }
  // A call is committed, or failed (the writer's thread).
  void Committed(const std::shared_ptr<Call>& call,
                 base::Result<std::vector<WrittenMessage>> written);
  // Records where an event of a call landed. REQUIRES: mu_ held.
  void Landed(events::StoredEvent& stored, const WrittenMessage& where);
  void ClientError(rd_kafka_resp_err_t err, const char* reason);

  const KafkaLogOptions options_;
  KafkaClient admin_;                           // absent when read-only
  std::unique_ptr<TransactionalWriter> writer_;  // every append
  std::unique_ptr<PartitionReader> reader_;

  std::mutex mu_;
  std::condition_variable appended_cv_;
  Positions ends_;  // next offset per topic-partition, as known to be stored
  bool stopping_ = false;
  std::string problem_;          // why appends are refused ("" = they are not)
  bool broker_down_ = false;     // the client reported every broker down
  bool fenced_ = false;          // another ledger's writer fenced ours: appends stop for good
  bool resync_needed_ = false;   // a write failed: heads are unknown
  Positions barrier_;            // the projections must reach this before heads are asked of them
  bool barrier_pending_ = false;
  size_t calls_in_flight_ = 0;
  std::unordered_map<std::string, CachedHead> heads_;  // by StreamKey
  std::set<std::string> busy_;                         // stream keys with an append in flight
  std::deque<std::shared_ptr<Call>> blocked_;          // waiting for a busy stream
  uint64_t generation_ = 1;
  Positions prune_mark_;  // ends when generation_ began

  std::thread poller_;  // last: starts once everything above is constructed
};

}  // namespace ledger::log
