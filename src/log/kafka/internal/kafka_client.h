#pragma once
// librdkafka plumbing shared by the Kafka log and the department router
// (internal to ledger_log): client handles, topic creation, metadata, and
// turning messages into stored events.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "base/result.h"
#include "log/kafka/topics.h"

namespace ledger::log {

// Owns a librdkafka object and frees it with `Destroy`.
template <auto Destroy>
struct KafkaDeleter {
  template <typename T>
  void operator()(T* object) const { Destroy(object); }
};
template <typename T, auto Destroy>
using KafkaOwned = std::unique_ptr<T, KafkaDeleter<Destroy>>;

using KafkaClient = KafkaOwned<rd_kafka_t, rd_kafka_destroy>;
using KafkaTopic = KafkaOwned<rd_kafka_topic_t, rd_kafka_topic_destroy>;

// A client of `type` with `settings` (then `extra`) applied. `prepare` may set
// callbacks and the opaque on the configuration before the client is made.
// kInvalidArgument naming a setting librdkafka refuses.
base::Result<KafkaClient> NewKafkaClient(rd_kafka_type_t type,
                                           const std::map<std::string, std::string>& settings,
                                           const std::map<std::string, std::string>& extra,
                                           const std::function<void(rd_kafka_conf_t*)>& prepare = {});

// The settings of the producer every append goes through, beside the
// brokers, ids and transaction settings: idempotent, acks=all, LZ4, the
// Java client's partitioner (same key, same partition); a message not
// delivered within `produce_timeout` fails. kafka_bench ceiling uses them too.
std::map<std::string, std::string> AppendProducerSettings(std::chrono::milliseconds produce_timeout);

// Waits until a broker answers a metadata request; kUnavailable after `timeout`.
base::Status AwaitBroker(rd_kafka_t* rk, std::chrono::milliseconds timeout);

// Creates the topics that do not exist yet; an existing one is left as it is.
base::Status CreateMissingTopics(rd_kafka_t* rk, const std::vector<KafkaTopicSpec>& topics,
                                   std::chrono::milliseconds timeout);

// Deletes every topic whose name starts with `prefix` (a non-empty one);
// the number deleted. For benchmarks and tests that clean up after themselves.
base::Result<size_t> DeleteTopicsNamed(rd_kafka_t* rk, const std::string& prefix,
                                         std::chrono::milliseconds timeout);

// The partitions of each of `topics` that exists (missing topics are left out).
base::Result<std::vector<events::TopicPartition>> ListPartitions(
    rd_kafka_t* rk, const std::vector<std::string>& topics, std::chrono::milliseconds timeout);

// The high watermark (next offset) of `tp`, asked of its leader.
base::Result<uint64_t> QueryEnd(rd_kafka_t* rk, const events::TopicPartition& tp,
                                  std::chrono::milliseconds timeout);

// Hands a copy of `message` to `rk` for `topic` (its name in Kafka), with
// `opaque` for the delivery report. The error if librdkafka refuses it.
rd_kafka_resp_err_t ProduceMessage(rd_kafka_t* rk, const std::string& topic,
                                   const events::BinaryMessage& message, int64_t timestamp_ms,
                                   void* opaque);

// The message's headers in order, seen in place: valid while `m` lives.
// Empty values for null ones.
std::vector<events::MessageHeader> MessageHeaders(const rd_kafka_message_t* m);

// The event a message holds, with its position and canonical encoding; a
// message that is no event comes back with its position and `damage` set.
events::StoredEvent DecodeMessage(const rd_kafka_message_t* m);

// True if `error` says another producer with the same transactional id
// took over (this one is fenced); false for null.
bool IsFencing(const rd_kafka_error_t* error);

// True if `client` failed for good because another client took its
// identity: a producer with its transactional id, or a consumer with its
// group.instance.id. Whatever call noticed first (its error may only say
// "fatal"), the client's fatal error names the cause.
bool IsFenced(rd_kafka_t* client);

// "Broker: Leader not available" and the like, for error messages.
std::string KafkaErrorText(rd_kafka_resp_err_t err);

}  // namespace ledger::log
