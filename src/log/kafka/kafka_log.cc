#include "log/kafka/kafka_log.h"

#include <atomic>
#include <condition_variable>
#include <algorithm>
#include <deque>
#include <optional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "log/kafka/internal/kafka_client.h"
#include "log/stream_key.h"
#include "log/kafka/internal/partition_reader.h"
#include "log/kafka/internal/transactional_writer.h"

namespace ledger::log {
namespace {

using events::ErrorCode;
using events::MakeError;
using Positions = std::map<events::TopicPartition, uint64_t>;

// Past this many cached stream heads, heads the projections already hold are dropped.
constexpr size_t kPruneHeadsAbove = 100'000;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kProbeInterval = std::chrono::milliseconds(1000);
constexpr auto kFollowPoll = std::chrono::milliseconds(100);
constexpr char kCatchingUp[] =
    "the projections are catching up with the log; appends resume when they have";

std::string ToString(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

// The client for metadata, topic creation and end queries; it produces nothing.
std::map<std::string, std::string> AdminSettings(const KafkaLogOptions& o) {
  return {{"bootstrap.servers", o.brokers},
          {"client.id", o.client_id},
          {"reconnect.backoff.ms", "100"},
          {"reconnect.backoff.max.ms", "1000"},
          {"socket.keepalive.enable", "true"}};
}

// The producer of every append: transactional, so a write whose outcome was
// unknown (a timeout) is fenced by the next producer's start and never lands
// after the log resynced (no two events of a stream with one sequence). A
// crashed ledger's open transaction blocks read_committed readers until the
// restarted ledger aborts it, or at most transaction.timeout.ms.
std::map<std::string, std::string> TransactionalSettings(const KafkaLogOptions& o) {
  auto settings = AdminSettings(o);
  settings.insert({{"transactional.id", o.transactional_id},
                   {"transaction.timeout.ms", ToString(2 * o.produce_timeout)},
                   {"enable.idempotence", "true"},  // retries neither duplicate nor reorder
                   {"acks", "all"},
                   {"max.in.flight.requests.per.connection", "5"},
                   {"message.timeout.ms", ToString(o.produce_timeout)},
                   {"linger.ms", "1"},
                   {"compression.type", "lz4"},
                   {"partitioner", "murmur2_random"}});  // the Java client's: same key, same partition
  settings["client.id"] = o.client_id + "-calls";
  return settings;
}

// The reader decides every position: nothing is committed or stored by the
// client, and an offset Kafka no longer has is an error, never a silent jump.
std::map<std::string, std::string> ConsumerSettings(const KafkaLogOptions& o) {
  return {{"bootstrap.servers", o.brokers},
          {"client.id", o.client_id + "-reader"},
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          {"enable.partition.eof", "true"},
          {"isolation.level", "read_committed"},
          {"check.crcs", "true"},
          {"fetch.wait.max.ms", "100"},  // bounds a metadata query queued behind a fetch
          {"fetch.message.max.bytes", "4194304"},
          {"queued.max.messages.kbytes", "131072"},
          {"reconnect.backoff.ms", "100"},
          {"reconnect.backoff.max.ms", "1000"}};
}

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
  std::optional<events::Error> failure;
};

class KafkaLog final : public events::EventLog {
 public:
  explicit KafkaLog(KafkaLogOptions options) : options_(std::move(options)) {}

  ~KafkaLog() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    writer_.reset();  // answers its calls: they need the members below
    if (poller_.joinable()) poller_.join();
    std::deque<std::shared_ptr<Call>> blocked;
    {
      std::lock_guard lock(mu_);
      blocked.swap(blocked_);
    }
    for (auto& call : blocked) call->done(MakeError(ErrorCode::kUnavailable, "the log is closing"));
  }

  events::Status Open() {
    if (!options_.read_only) {
      auto admin = NewKafkaClient(RD_KAFKA_PRODUCER, AdminSettings(options_), options_.extra_config,
                                  [this](rd_kafka_conf_t* conf) {
                                    rd_kafka_conf_set_opaque(conf, this);
                                    rd_kafka_conf_set_error_cb(conf, &KafkaLog::OnClientError);
                                  });
      if (!admin) return admin.error();
      admin_ = std::move(*admin);
      if (auto up = AwaitBroker(admin_.get(), options_.broker_timeout); !up) return up;
      std::vector<KafkaTopicSpec> topics = options_.topics;
      for (auto& t : topics) t.name = options_.topic_prefix + t.name;
      if (auto made = CreateMissingTopics(admin_.get(), topics, options_.broker_timeout); !made)
        return made;
      std::vector<std::string> written;  // the topics appends write: those the log reads
      for (const auto& t : options_.known_topics) written.push_back(options_.topic_prefix + t);
      // Its start fences a ledger that wrote these topics before (or still
      // does, by mistake) and settles that one's open transaction, before
      // the ends are read below.
      writer_ = std::make_unique<TransactionalWriter>(
          TransactionalSettings(options_), options_.extra_config, written, options_.produce_timeout);
      // A broker that has just started may take a while to load its
      // transaction coordinator: start-up waits for it as for the broker.
      if (auto ready = writer_->Prepare(options_.broker_timeout); !ready) return ready;
    }
    auto consumer = NewKafkaClient(RD_KAFKA_CONSUMER, ConsumerSettings(options_), options_.extra_config);
    if (!consumer) return consumer.error();
    reader_ = std::make_unique<PartitionReader>(std::move(*consumer), options_.topic_prefix,
                                                options_.broker_timeout);
    if (options_.read_only)
      if (auto up = AwaitBroker(reader_->client(), options_.broker_timeout); !up) return up;
    // Topics just created answer "not leader" until their leaders are elected.
    auto deadline = std::chrono::steady_clock::now() + options_.broker_timeout;
    auto ends = QueryEnds();
    while (!ends && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ends = QueryEnds();
    }
    if (!ends) return ends.error();
    std::lock_guard lock(mu_);
    ends_ = *ends;
    barrier_ = *ends;  // heads come from the projections once they reach here
    barrier_pending_ = true;
    if (!options_.read_only) poller_ = std::thread([this] { PollLoop(); });
    return {};
  }

  void Append(std::vector<events::AppendRecord> records, AppendCallback done) override {
    auto call = std::make_shared<Call>();
    call->records = std::move(records);
    call->done = std::move(done);
    std::set<std::string> keys;
    for (const auto& r : call->records) keys.insert(StreamKey(r.topic, r.event.subject));
    call->stream_keys.assign(keys.begin(), keys.end());
    Dispatch(std::move(call));
  }

  events::Result<events::LogSlice> Read(const events::TopicPartition& tp, uint64_t from,
                                        size_t max) override;

  uint64_t EndOffset(const events::TopicPartition& tp) override {
    std::lock_guard lock(mu_);
    auto it = ends_.find(tp);
    return it == ends_.end() ? 0 : it->second;
  }

  bool WaitForAppend(const Positions& seen, std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mu_);
    for (;;) {
      for (const auto& [tp, offset] : seen) {
        auto it = ends_.find(tp);
        if (it != ends_.end() && it->second > offset) return true;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      if (!options_.read_only) {
        appended_cv_.wait_until(lock, deadline);
        continue;
      }
      // Another process writes: ask the broker now and then.
      lock.unlock();
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(kFollowPoll, deadline - now));
      for (const auto& [tp, offset] : seen) {
        auto end = AskEnd(tp);
        if (end) RaiseEnd(tp, *end);
      }
      lock.lock();
    }
  }

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
  events::Result<Positions> QueryEnds() {
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
  events::Result<uint64_t> AskEnd(const events::TopicPartition& tp) {
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
  std::optional<events::Error> StartLocked(const std::shared_ptr<Call>& call);
  events::Result<std::vector<OutgoingMessage>> Seal(Call& call,
                                                    std::unordered_map<std::string, CachedHead>& staged);
  events::Status Produce(const std::shared_ptr<Call>& call);  // REQUIRES: mu_ held
  void Finish(const std::shared_ptr<Call>& call);
  void PollLoop();
  void Maintain();
  void PruneHeads();

  static void OnClientError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<KafkaLog*>(opaque)->ClientError(static_cast<rd_kafka_resp_err_t>(err), reason);
  }
  // A call is committed, or failed (the writer's thread).
  void Committed(const std::shared_ptr<Call>& call,
                 events::Result<std::vector<WrittenMessage>> written);
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

void KafkaLog::CheckBarrier() {
  Positions barrier;
  {
    std::lock_guard lock(mu_);
    if (!barrier_pending_ || !Refusal().empty()) return;
    barrier = barrier_;
  }
  // Asked without mu_: the projections read this log while answering.
  bool passed = options_.projected_past(barrier);
  std::lock_guard lock(mu_);
  if (passed && barrier_pending_ && barrier == barrier_) barrier_pending_ = false;
}

void KafkaLog::Dispatch(std::shared_ptr<Call> call) {
  CheckBarrier();
  std::unique_lock lock(mu_);
  if (WaitsForEarlier(*call)) {
    blocked_.push_back(std::move(call));
    return;
  }
  auto refused = StartLocked(call);
  lock.unlock();
  if (refused) call->done(*refused);
}

bool KafkaLog::WaitsForEarlier(const Call& call) const {
  for (const auto& key : call.stream_keys) {
    if (busy_.count(key)) return true;
    for (const auto& waiting : blocked_)
      if (std::find(waiting->stream_keys.begin(), waiting->stream_keys.end(), key) !=
          waiting->stream_keys.end())
        return true;
  }
  return false;
}

std::optional<events::Error> KafkaLog::StartLocked(const std::shared_ptr<Call>& call) {
  std::string refusal = Refusal();
  if (refusal.empty() && barrier_pending_) refusal = kCatchingUp;
  if (!refusal.empty()) return events::Error{ErrorCode::kUnavailable, refusal};
  auto produced = Produce(call);
  if (!produced.ok()) return produced.error();
  return std::nullopt;
}

// Seals every record of `call` onto its stream's head (into call.stored, in
// record order) and stages the new heads in `staged`. REQUIRES: mu_ held.
events::Result<std::vector<OutgoingMessage>> KafkaLog::Seal(
    Call& call, std::unordered_map<std::string, CachedHead>& staged) {
  if (call.records.empty()) return MakeError(ErrorCode::kInvalidArgument, "append has no records");
  std::vector<OutgoingMessage> messages;
  for (const auto& record : call.records) {
    if (record.event.subject.empty())
      return MakeError(ErrorCode::kInvalidArgument, "event " + record.event.id + " has no subject");
    std::string key = StreamKey(record.topic, record.event.subject);
    CachedHead head;
    if (auto s = staged.find(key); s != staged.end()) {
      head = s->second;
    } else if (auto c = heads_.find(key); c != heads_.end()) {
      head = c->second;
    } else {
      auto stored = options_.head_of(record.topic, record.event.subject);
      if (!stored) return stored.error();
      head = {stored->version, stored->hash, 0};
    }
    auto next = events::NextOfStream(record, head.version);
    if (!next) return next.error();
    events::Event event = std::move(*next);
    auto sealed = events::SealToBinaryMessage(event, head.hash);
    if (!sealed) return sealed.error();
    staged[key] = {event.sequence, event.hash, generation_};
    events::BinaryMessage message = std::move(*sealed);
    std::string copies;
    for (const auto& topic : record.copy_topics) copies += (copies.empty() ? "" : ",") + topic;
    if (!copies.empty()) message.headers.emplace_back(kCopyTopicsHeader, copies);
    messages.push_back({options_.topic_prefix + record.topic, std::move(message), event.time_ms});
    call.stored.push_back({{record.topic, 0}, 0, std::move(event), {}});
  }
  return messages;
}

// Seals the call and hands it to the transactional writer (all or nothing).
events::Status KafkaLog::Produce(const std::shared_ptr<Call>& call) {
  std::unordered_map<std::string, CachedHead> staged;
  auto messages = Seal(*call, staged);
  if (!messages) return messages.error();
  auto queued =
      writer_->Write(std::move(*messages), [this, call](auto written) { Committed(call, std::move(written)); });
  if (!queued) return queued.error();
  ++calls_in_flight_;
  for (const auto& key : call->stream_keys) busy_.insert(key);
  for (auto& [key, head] : staged) heads_[key] = std::move(head);
  return {};
}

void KafkaLog::Committed(const std::shared_ptr<Call>& call,
                         events::Result<std::vector<WrittenMessage>> written) {
  {
    std::lock_guard lock(mu_);
    if (!written) {
      call->failure = written.error();
    } else {
      for (size_t i = 0; i < written->size(); ++i) Landed(call->stored[i], (*written)[i]);
      broker_down_ = false;
    }
  }
  appended_cv_.notify_all();
  Finish(call);
}

void KafkaLog::Landed(events::StoredEvent& stored, const WrittenMessage& where) {
  stored.where.partition = where.partition;
  stored.offset = where.offset;
  auto& end = ends_[stored.where];
  end = std::max(end, stored.offset + 1);
}

// The call's last delivery is in: release its streams, answer it, and run
// the calls that waited for them.
void KafkaLog::Finish(const std::shared_ptr<Call>& call) {
  std::vector<std::pair<std::shared_ptr<Call>, events::Error>> refused;
  {
    std::lock_guard lock(mu_);
    --calls_in_flight_;
    for (const auto& key : call->stream_keys) {
      busy_.erase(key);
      if (call->failure) heads_.erase(key);
    }
    if (call->failure && writer_->fenced()) {
      fenced_ = true;
      problem_ = call->failure->message;
    } else if (call->failure) {
      resync_needed_ = true;
      problem_ = "a write to Kafka failed (" + call->failure->message +
                 "); appends resume once the projections have read the log to its end";
    }
    // Waiting calls start in arrival order: one waits while its stream is
    // busy or an earlier waiting call has it.
    std::set<std::string> claimed;
    for (auto it = blocked_.begin(); it != blocked_.end();) {
      bool waits = false;
      for (const auto& key : (*it)->stream_keys) waits = waits || busy_.count(key) || claimed.count(key);
      if (waits) {
        claimed.insert((*it)->stream_keys.begin(), (*it)->stream_keys.end());
        ++it;
        continue;
      }
      if (auto error = StartLocked(*it)) refused.emplace_back(*it, *error);
      it = blocked_.erase(it);
    }
  }
  PruneHeads();
  if (call->failure)
    call->done(*call->failure);
  else
    call->done(std::move(call->stored));
  for (auto& [next, error] : refused) next->done(error);
}

// Once many heads are cached: drops those written before the last mark if
// the projections are past it (they answer for those streams now), and sets
// a new mark. Asks the projections without mu_.
void KafkaLog::PruneHeads() {
  Positions mark;
  {
    std::lock_guard lock(mu_);
    if (heads_.size() <= kPruneHeadsAbove) return;
    mark = prune_mark_;
  }
  if (!mark.empty() && !options_.projected_past(mark)) return;
  std::lock_guard lock(mu_);
  if (mark != prune_mark_) return;  // a resync started over meanwhile
  for (auto it = heads_.begin(); it != heads_.end();)
    it = it->second.generation < generation_ && !busy_.count(it->first) ? heads_.erase(it) : std::next(it);
  // Heads still in flight are not below the new mark: they join the new generation.
  prune_mark_ = ends_;
  ++generation_;
  for (const auto& key : busy_)
    if (auto it = heads_.find(key); it != heads_.end()) it->second.generation = generation_;
}

void KafkaLog::ClientError(rd_kafka_resp_err_t err, const char* reason) {
  std::lock_guard lock(mu_);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && !fenced_) {
    broker_down_ = true;
    problem_ = "no Kafka broker is reachable at " + options_.brokers + " (" + reason + ")";
  }
}

void KafkaLog::PollLoop() {
  auto next_probe = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    rd_kafka_poll(admin_.get(), static_cast<int>(kPollInterval.count()));
    if (std::chrono::steady_clock::now() >= next_probe) {
      Maintain();
      next_probe = std::chrono::steady_clock::now() + kProbeInterval;
    }
  }
}

// Brings the log back to taking appends: a broker that answers again, known
// heads after a failed write. A fenced log stays refused.
void KafkaLog::Maintain() {
  bool down, resync;
  {
    std::lock_guard lock(mu_);
    if (fenced_) return;
    down = broker_down_;
    resync = resync_needed_ && calls_in_flight_ == 0;
    if (!down && !resync_needed_ && !barrier_pending_) problem_.clear();
  }
  if (down) {
    if (AwaitBroker(admin_.get(), std::chrono::milliseconds(0)).ok()) {
      std::lock_guard lock(mu_);
      broker_down_ = false;
      if (!resync_needed_) problem_.clear();
    }
    return;
  }
  if (!resync) return;
  auto ends = QueryEnds();  // everything stored by now, whatever the failed writes did
  if (!ends) return;
  std::lock_guard lock(mu_);
  for (const auto& [tp, end] : *ends) ends_[tp] = std::max(ends_[tp], end);
  barrier_ = *ends;
  barrier_pending_ = true;
  heads_.clear();
  prune_mark_.clear();
  resync_needed_ = false;
  problem_.clear();
}

events::Result<events::LogSlice> KafkaLog::Read(const events::TopicPartition& tp, uint64_t from,
                                                size_t max) {
  if (max == 0 || from >= EndOffset(tp)) return events::LogSlice{{}, from};
  auto slice = reader_->Read(tp, from, max, [&] { return EndOffset(tp); });
  if (slice) RaiseEnd(tp, slice->next);
  return slice;
}

}  // namespace

events::Result<std::unique_ptr<events::EventLog>> OpenKafkaLog(const KafkaLogOptions& options) {
  if (!options.read_only && (!options.head_of || !options.projected_past))
    return MakeError(ErrorCode::kInvalidArgument, "a writing Kafka log needs head_of and projected_past");
  auto log = std::make_unique<KafkaLog>(options);
  if (auto opened = log->Open(); !opened) return opened.error();
  return std::unique_ptr<events::EventLog>(std::move(log));
}

}  // namespace ledger::log
