#include "log/kafka/internal/partition_reader.h"

#include <algorithm>

namespace ledger::log {

using base::ErrorCode;
using base::MakeError;

PartitionReader::PartitionReader(KafkaClient consumer, std::string topic_prefix,
                                 std::chrono::milliseconds first_message_timeout)
    : consumer_(std::move(consumer)),
      topic_prefix_(std::move(topic_prefix)),
      first_message_timeout_(first_message_timeout) {}

PartitionReader::~PartitionReader() {
  std::lock_guard lock(mu_);
  for (const auto& [tp, next] : started_) rd_kafka_consume_stop(topics_.at(tp.topic).get(), tp.partition);
  topics_.clear();
}

void PartitionReader::Stop(rd_kafka_topic_t* rkt, const events::TopicPartition& tp) {
  rd_kafka_consume_stop(rkt, tp.partition);
  started_.erase(tp);
}

base::Result<rd_kafka_topic_t*> PartitionReader::Topic(const std::string& logical) {
  auto topic = topics_.find(logical);
  if (topic != topics_.end()) return topic->second.get();
  rd_kafka_topic_conf_t* conf = rd_kafka_topic_conf_new();
  char errstr[256];
  rd_kafka_topic_conf_set(conf, "auto.offset.reset", "error", errstr, sizeof errstr);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer_.get(), (topic_prefix_ + logical).c_str(), conf);
  if (rkt == nullptr)
    return MakeError(ErrorCode::kUnavailable, "topic " + logical + ": " + KafkaErrorText(rd_kafka_last_error()));
  topics_.emplace(logical, KafkaTopic(rkt));
  return rkt;
}

std::optional<uint64_t> PartitionReader::FetchedEnd(const events::TopicPartition& tp) {
  std::lock_guard lock(mu_);
  int64_t low = 0, high = -1;
  if (!started_.count(tp) ||
      rd_kafka_get_watermark_offsets(consumer_.get(), (topic_prefix_ + tp.topic).c_str(), tp.partition,
                                     &low, &high) ||
      high < 0)
    return std::nullopt;
  return static_cast<uint64_t>(high);
}

base::Result<events::LogSlice> PartitionReader::Read(const events::TopicPartition& tp, uint64_t from,
                                                       size_t max,
                                                       const std::function<uint64_t()>& known_end) {
  events::LogSlice slice{{}, from};
  std::lock_guard lock(mu_);
  auto topic = Topic(tp.topic);
  if (!topic) return topic.error();
  rd_kafka_topic_t* rkt = *topic;
  auto started = started_.find(tp);
  if (started == started_.end() || started->second != from) {
    if (started != started_.end()) rd_kafka_consume_stop(rkt, tp.partition);
    started_.erase(tp);
    if (rd_kafka_consume_start(rkt, tp.partition, static_cast<int64_t>(from)) == -1)
      return MakeError(ErrorCode::kUnavailable, "reading " + tp.topic + ": " +
                                                    KafkaErrorText(rd_kafka_last_error()));
    started = started_.emplace(tp, from).first;
  }
  std::string where = tp.topic + "[" + std::to_string(tp.partition) + "]";
  auto& out = slice.events;
  // An end-of-partition event may predate the appends that moved the end:
  // until the first event arrives, only the deadline ends the wait.
  auto deadline = std::chrono::steady_clock::now() + first_message_timeout_;
  while (out.size() < max) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    rd_kafka_message_t* m = rd_kafka_consume(rkt, tp.partition, out.empty() ? std::max<int>(0, left.count()) : 0);
    if (m == nullptr) {
      if (!out.empty()) break;
      return MakeError(ErrorCode::kUnavailable, "no answer from Kafka reading " + where);
    }
    KafkaOwned<rd_kafka_message_t, rd_kafka_message_destroy> owned(m);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Past `from` the fetcher skipped transaction markers: the real end.
      // At `from` it may be an end seen before the latest appends.
      started->second = std::max<uint64_t>(started->second, m->offset);
      slice.next = std::max<uint64_t>(slice.next, m->offset);
      bool stale = static_cast<uint64_t>(m->offset) <= from && from < known_end();
      if (!out.empty() || !stale) break;
      if (left.count() > 0) continue;
      return MakeError(ErrorCode::kUnavailable, where + " holds records from offset " + std::to_string(from) +
                                                    " that cannot be read yet (an open transaction)");
    }
    if (m->err) {
      Stop(rkt, tp);
      ErrorCode code = m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                               m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE
                           ? ErrorCode::kCorruption
                           : ErrorCode::kUnavailable;
      return MakeError(code, "reading " + where + " at " + std::to_string(from) + ": " + KafkaErrorText(m->err));
    }
    events::StoredEvent stored = DecodeMessage(m);
    stored.where.topic = tp.topic;
    started->second = stored.offset + 1;
    slice.next = stored.offset + 1;
    out.push_back(std::move(stored));
  }
  return slice;
}

}  // namespace ledger::log
