#pragma once
// PartitionReader (internal to ledger_log): reads Kafka partitions at
// offsets the caller names, with one consumer and the single-message legacy
// consume API (no group, no commits; an offset Kafka no longer has is an
// error, never a jump). A partition stays started between reads, so a read
// that goes on where the last one stopped costs no new fetch.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "events/event_log.h"
#include "base/result.h"
#include "log/kafka/internal/kafka_client.h"

namespace ledger::log {

class PartitionReader {
 public:
  // `consumer` reads read_committed with partition EOF events on. Topic
  // names given to Read are logical: `topic_prefix` is put before them.
  PartitionReader(KafkaClient consumer, std::string topic_prefix,
                  std::chrono::milliseconds first_message_timeout);
  ~PartitionReader();  // stops every started partition

  rd_kafka_t* client() const { return consumer_.get(); }

  // Up to `max` events of `tp` from `from`, and where to read next (past
  // transaction markers when the partition's end was seen). `known_end` is
  // the end the caller knows of: an end-of-partition at `from` below it is
  // stale, so the read waits for events until first_message_timeout.
  // kCorruption for an offset Kafka does not have; kUnavailable when no
  // answer came, or the records at `from` are not readable yet (an open
  // transaction).
  base::Result<events::LogSlice> Read(const events::TopicPartition& tp, uint64_t from, size_t max,
                                        const std::function<uint64_t()>& known_end);

  // The end of `tp` as its last fetch saw it, while `tp` is being fetched.
  std::optional<uint64_t> FetchedEnd(const events::TopicPartition& tp);

 private:
  base::Result<rd_kafka_topic_t*> Topic(const std::string& logical);  // REQUIRES: mu_ held
  // Stops fetching `tp`: its next read starts afresh. REQUIRES: mu_ held.
  void Stop(rd_kafka_topic_t* rkt, const events::TopicPartition& tp);

  const KafkaClient consumer_;
  const std::string topic_prefix_;
  const std::chrono::milliseconds first_message_timeout_;
  std::mutex mu_;
  std::map<std::string, KafkaTopic> topics_;            // logical name -> handle
  std::map<events::TopicPartition, uint64_t> started_;  // partitions being fetched -> next offset
};

}  // namespace ledger::log
