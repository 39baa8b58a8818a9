#include "log/kafka/dept_router.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "events/event_types.h"
#include "log/kafka/internal/kafka_client.h"
#include "log/kafka/topics.h"

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

constexpr int kTransactionTimeoutMs = 30'000;

constexpr char kFencedWhy[] =
    "department router stopped: another router with its Kafka transactional id took over (a second "
    "ledger on the same topics); stop one ledger, then restart this one";
constexpr int kPollMs = 100;

using KafkaError = KafkaOwned<rd_kafka_error_t, rd_kafka_error_destroy>;
using PartitionList = KafkaOwned<rd_kafka_topic_partition_list_t, rd_kafka_topic_partition_list_destroy>;
using GroupMetadata = KafkaOwned<rd_kafka_consumer_group_metadata_t, rd_kafka_consumer_group_metadata_destroy>;
using Message = KafkaOwned<rd_kafka_message_t, rd_kafka_message_destroy>;

// The topics a message of 311.requests is copied to (its ledger_copy_topics header).
std::vector<std::string> CopyTopics(const rd_kafka_message_t* m) {
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_message_headers(m, &headers) || !headers ||
      rd_kafka_header_get_last(headers, kCopyTopicsHeader, &value, &size) || !value)
    return {};
  std::vector<std::string> topics;
  std::string_view list(static_cast<const char*>(value), size);
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (comma != 0) topics.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return topics;
}

class Router final : public DepartmentRouter {
 public:
  explicit Router(DepartmentRouterOptions options)
      : options_(std::move(options)), thread_([this] { Run(); }) {}

  ~Router() override {
    stop_ = true;
    thread_.join();
  }

  uint64_t routed() const override { return routed_.load(); }

  std::string Problem() const override {
    std::lock_guard lock(mu_);
    return problem_;
  }

 private:
  void SetProblem(std::string problem) {
    std::lock_guard lock(mu_);
    problem_ = std::move(problem);
  }

  void Run() {
    while (!stop_) {
      auto ended = Session();
      if (ended.ok()) continue;
      // Fenced, a new producer would fence the other router back, and the
      // two would take turns for good: this one stops instead.
      if (fenced_) {
        SetProblem(std::string(kFencedWhy) + " (" + ended.error().message + ")");
        return;
      }
      SetProblem(ended.error().message + "; restarting from the committed offsets");
      for (auto waited = std::chrono::milliseconds(0); !stop_ && waited < options_.restart_backoff;
           waited += std::chrono::milliseconds(kPollMs))
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
  }

  base::Result<KafkaClient> NewConsumer() {
    return NewKafkaClient(RD_KAFKA_CONSUMER,
                          {{"bootstrap.servers", options_.brokers},
                           {"client.id", options_.group_id},
                           {"group.id", options_.group_id},
                           // A restarted router takes its partitions back at once.
                           {"group.instance.id", options_.transactional_id},
                           {"session.timeout.ms", "10000"},
                           {"enable.auto.commit", "false"},
                           {"enable.auto.offset.store", "false"},
                           {"auto.offset.reset", "earliest"},  // a new group copies from the start
                           {"isolation.level", "read_committed"},
                           {"enable.partition.eof", "false"}},
                          options_.extra_config);
  }

  base::Result<KafkaClient> NewProducer() {
    return NewKafkaClient(RD_KAFKA_PRODUCER,
                          {{"bootstrap.servers", options_.brokers},
                           {"client.id", options_.transactional_id},
                           {"transactional.id", options_.transactional_id},
                           {"transaction.timeout.ms", std::to_string(kTransactionTimeoutMs)},
                           {"enable.idempotence", "true"},
                           {"acks", "all"},
                           {"linger.ms", "5"},
                           {"partitioner", "murmur2_random"}},
                          options_.extra_config);
  }

  // One consumer and transactional producer, until stopped (ok) or a
  // transaction fails (the error; both clients are dropped, so the next
  // session starts from the committed offsets).
  base::Status Session() {
    auto consumer = NewConsumer();
    if (!consumer) return consumer.error();
    rd_kafka_poll_set_consumer(consumer->get());
    PartitionList subscription(
        rd_kafka_topic_partition_list_new(1));
    std::string requests = options_.topic_prefix + std::string(events::topics::kRequests);
    rd_kafka_topic_partition_list_add(subscription.get(), requests.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(consumer->get(), subscription.get()))
      return MakeError(ErrorCode::kUnavailable, "department router: subscribe: " + KafkaErrorText(err));
    auto producer = NewProducer();
    if (!producer) return producer.error();
    base::Status status;
    if (KafkaError e{rd_kafka_init_transactions(producer->get(), kTransactionTimeoutMs)}) {
      status = TransactionError("init transactions", e.get());
    } else {
      SetProblem("");
      while (!stop_ && status.ok()) status = RouteBatch(consumer->get(), producer->get());
    }
    // Whatever call failed first (a begin or produce on a producer fenced
    // while idle only says "fatal"), the clients know whether it was fencing.
    if (!status.ok() && (IsFenced(consumer->get()) || IsFenced(producer->get()))) fenced_ = true;
    rd_kafka_consumer_close(consumer->get());
    return status;
  }

  // Copies up to max_batch events in one transaction with their offsets.
  base::Status RouteBatch(rd_kafka_t* consumer, rd_kafka_t* producer) {
    std::map<std::pair<std::string, int32_t>, int64_t> next;
    size_t count = 0;
    auto deadline = std::chrono::steady_clock::time_point::max();
    while (!stop_ && count < options_.max_batch && std::chrono::steady_clock::now() < deadline) {
      Message m(rd_kafka_consumer_poll(consumer, kPollMs));
      if (m && m->err == RD_KAFKA_RESP_ERR__FATAL) return ConsumerFailed(consumer);
      if (!m || m->err) continue;  // other consumer errors are reported and retried by the client
      if (count == 0) {
        if (KafkaError e{rd_kafka_begin_transaction(producer)}) return TransactionError("begin", e.get());
        deadline = std::chrono::steady_clock::now() + options_.max_batch_wait;
      }
      if (auto copied = Copy(producer, m.get()); !copied) return Abort(producer, copied.error());
      next[{rd_kafka_topic_name(m->rkt), m->partition}] = m->offset + 1;
      ++count;
    }
    if (count == 0) return {};
    PartitionList offsets(
        rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
    for (const auto& [tp, offset] : next)
      rd_kafka_topic_partition_list_add(offsets.get(), tp.first.c_str(), tp.second)->offset = offset;
    GroupMetadata group(
        rd_kafka_consumer_group_metadata(consumer));
    if (KafkaError e{rd_kafka_send_offsets_to_transaction(producer, offsets.get(), group.get(),
                                                          kTransactionTimeoutMs)})
      return Abort(producer, TransactionError("send offsets", e.get()));
    if (KafkaError e{rd_kafka_commit_transaction(producer, kTransactionTimeoutMs)})
      return Abort(producer, TransactionError("commit", e.get()));
    routed_ += count;
    return {};
  }

  base::Status Copy(rd_kafka_t* producer, const rd_kafka_message_t* m) {
    for (const auto& topic : CopyTopics(m)) {
      rd_kafka_headers_t* source = nullptr;
      rd_kafka_message_headers(m, &source);
      rd_kafka_headers_t* headers = source ? rd_kafka_headers_copy(source) : rd_kafka_headers_new(0);
      rd_kafka_header_remove(headers, kCopyTopicsHeader);
      std::string target = options_.topic_prefix + topic;
      rd_kafka_timestamp_type_t type;
      int64_t timestamp = rd_kafka_message_timestamp(m, &type);
      auto err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(target.c_str()),
                                   RD_KAFKA_V_KEY(m->key, m->key_len),
                                   RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_HEADERS(headers),
                                   RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err) {
        rd_kafka_headers_destroy(headers);
        return MakeError(ErrorCode::kUnavailable, "department router: copy to " + topic + ": " +
                                                      KafkaErrorText(err));
      }
    }
    return {};
  }

  // The consumer cannot go on. A second router's consumer with the same
  // group.instance.id fences this one (FENCED_INSTANCE_ID) before any
  // transaction of ours would notice the other producer.
  base::Error ConsumerFailed(rd_kafka_t* consumer) {
    char reason[512];
    rd_kafka_fatal_error(consumer, reason, sizeof reason);
    return MakeError(ErrorCode::kUnavailable, std::string("department router: consumer: ") + reason);
  }

  // The error of a failed transaction step.
  base::Error TransactionError(const std::string& step, rd_kafka_error_t* error) {
    return MakeError(ErrorCode::kUnavailable, "department router: " + step + ": " + rd_kafka_error_string(error));
  }

  base::Status Abort(rd_kafka_t* producer, base::Error why) {
    KafkaError e{rd_kafka_abort_transaction(producer, kTransactionTimeoutMs)};
    (void)e;  // the clients are dropped either way; the broker aborts on its timeout
    return why;
  }

  const DepartmentRouterOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> fenced_{false};  // another router took the transactional id: stopped for good
  std::atomic<uint64_t> routed_{0};
  mutable std::mutex mu_;
  std::string problem_;
  std::thread thread_;  // last: starts once everything above is constructed
};

}  // namespace

std::unique_ptr<DepartmentRouter> DepartmentRouter::Start(const DepartmentRouterOptions& options) {
  return std::make_unique<Router>(options);
}

}  // namespace ledger::log
