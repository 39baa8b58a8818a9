#include "log/kafka/internal/kafka_log_impl.h"

#include <algorithm>

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kProbeInterval = std::chrono::milliseconds(1000);
constexpr auto kFollowPoll = std::chrono::milliseconds(100);

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
  settings.merge(AppendProducerSettings(o.produce_timeout));
  settings.insert({{"transactional.id", o.transactional_id},
                   {"transaction.timeout.ms", ToString(2 * o.produce_timeout)}});
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

}  // namespace

base::Status KafkaLog::Open() {
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

bool KafkaLog::WaitForAppend(const Positions& seen, std::chrono::milliseconds timeout) {
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
    // Not before the writer has settled a write whose outcome was unknown:
    // the ends read now would not cover what it may still commit.
    resync = resync_needed_ && calls_in_flight_ == 0 && writer_->settled();
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

base::Result<events::LogSlice> KafkaLog::Read(const events::TopicPartition& tp, uint64_t from,
                                                size_t max) {
  if (max == 0 || from >= EndOffset(tp)) return events::LogSlice{{}, from};
  auto slice = reader_->Read(tp, from, max, [&] { return EndOffset(tp); });
  if (slice) RaiseEnd(tp, slice->next);
  return slice;
}


base::Result<std::unique_ptr<events::EventLog>> OpenKafkaLog(const KafkaLogOptions& options) {
  if (!options.read_only && (!options.head_of || !options.projected_past))
    return MakeError(ErrorCode::kInvalidArgument, "a writing Kafka log needs head_of and projected_past");
  auto log = std::make_unique<KafkaLog>(options);
  if (auto opened = log->Open(); !opened) return opened.error();
  return std::unique_ptr<events::EventLog>(std::move(log));
}

}  // namespace ledger::log
