#include "log/kafka/internal/kafka_client.h"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

using Metadata = KafkaOwned<const rd_kafka_metadata_t, rd_kafka_metadata_destroy>;

int TimeoutMs(std::chrono::milliseconds timeout) { return static_cast<int>(timeout.count()); }

// Metadata of every topic the cluster has.
base::Result<Metadata> AllTopics(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, TimeoutMs(timeout));
  if (err)
    return MakeError(ErrorCode::kUnavailable, "Kafka metadata: " + KafkaErrorText(err));
  return Metadata(md);
}


}  // namespace

std::string KafkaErrorText(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

base::Result<KafkaClient> NewKafkaClient(rd_kafka_type_t type,
                                           const std::map<std::string, std::string>& settings,
                                           const std::map<std::string, std::string>& extra,
                                           const std::function<void(rd_kafka_conf_t*)>& prepare) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto* group : {&settings, &extra}) {
    for (const auto& [name, value] : *group) {
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return MakeError(ErrorCode::kInvalidArgument,
                         "Kafka setting " + name + "=" + value + ": " + errstr);
      }
    }
  }
  // The client's own log lines go to the ledger's log, in its format.
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t* rk, int level, const char* facility, const char* line) {
    auto severity = level <= 3 ? spdlog::level::err : level == 4 ? spdlog::level::warn : spdlog::level::info;
    spdlog::log(severity, "kafka {} {}: {}", rd_kafka_name(rk), facility, line);
  });
  if (prepare) prepare(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);  // owns conf on success
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return MakeError(ErrorCode::kInvalidArgument, std::string("Kafka client: ") + errstr);
  }
  return KafkaClient(rk);
}

std::map<std::string, std::string> AppendProducerSettings(std::chrono::milliseconds produce_timeout) {
  return {{"enable.idempotence", "true"},  // retries neither duplicate nor reorder
          {"acks", "all"},
          {"max.in.flight.requests.per.connection", "5"},
          {"message.timeout.ms", std::to_string(produce_timeout.count())},
          {"linger.ms", "1"},
          {"compression.type", "lz4"},
          {"partitioner", "murmur2_random"}};
}

base::Status AwaitBroker(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, nullptr, &md, 1000);
    if (!err) {
      rd_kafka_metadata_destroy(md);
      return {};
    }
    last = KafkaErrorText(err);
    if (std::chrono::steady_clock::now() >= deadline)
      return MakeError(ErrorCode::kUnavailable,
                       "no Kafka broker answered within " + std::to_string(timeout.count()) +
                           " ms (" + last + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

namespace {

using AdminEvent = KafkaOwned<rd_kafka_event_t, rd_kafka_event_destroy>;

// Runs one admin operation of kind `op`, which `start` sends with the
// options and onto the queue it is given, and waits for its result within
// `timeout`. kUnavailable naming what it was `doing` if it timed out or failed.
base::Result<AdminEvent> AwaitAdmin(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout,
                                      const std::string& doing,
                                      const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& start) {
  char errstr[512];
  KafkaOwned<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy> options(rd_kafka_AdminOptions_new(rk, op));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), TimeoutMs(timeout), errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), TimeoutMs(timeout), errstr, sizeof errstr);
  KafkaOwned<rd_kafka_queue_t, rd_kafka_queue_destroy> queue(rd_kafka_queue_new(rk));
  start(options.get(), queue.get());
  AdminEvent event(rd_kafka_queue_poll(queue.get(), TimeoutMs(timeout) + 2000));
  if (!event) return MakeError(ErrorCode::kUnavailable, doing + " timed out");
  if (rd_kafka_event_error(event.get()))
    return MakeError(ErrorCode::kUnavailable, doing + ": " + rd_kafka_event_error_string(event.get()));
  return event;
}

// The first topic of an admin answer that failed with other than
// `tolerated` (the topic already is as asked: created, or gone); `doing`
// names the operation ("creating", "deleting"). The broker's own text when it gives one.
base::Status FirstTopicFailure(const rd_kafka_topic_result_t** results, size_t count,
                               rd_kafka_resp_err_t tolerated, const char* doing) {
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (!err || err == tolerated) continue;
    const char* why = rd_kafka_topic_result_error_string(results[i]);
    return MakeError(ErrorCode::kUnavailable, std::string(doing) + " topic " + rd_kafka_topic_result_name(results[i]) +
                                                  ": " + (why ? why : KafkaErrorText(err)));
  }
  return {};
}

}  // namespace

base::Status CreateMissingTopics(rd_kafka_t* rk, const std::vector<KafkaTopicSpec>& topics,
                                   std::chrono::milliseconds timeout) {
  std::vector<KafkaOwned<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>> owned;
  std::vector<rd_kafka_NewTopic_t*> requests;
  char errstr[512];
  for (const auto& spec : topics) {
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                                   spec.replication_factor, errstr, sizeof errstr);
    if (t == nullptr) return MakeError(ErrorCode::kInvalidArgument, "topic " + spec.name + ": " + errstr);
    owned.emplace_back(t);
    for (const auto& [name, value] : spec.config)
      if (auto err = rd_kafka_NewTopic_set_config(t, name.c_str(), value.c_str()))
        return MakeError(ErrorCode::kInvalidArgument,
                         "topic " + spec.name + ": " + name + ": " + KafkaErrorText(err));
    requests.push_back(t);
  }
  if (requests.empty()) return {};
  auto event = AwaitAdmin(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, "creating Kafka topics",
                          [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            rd_kafka_CreateTopics(rk, requests.data(), requests.size(), options, queue);
                          });
  if (!event) return event.error();
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event->get()), &count);
  return FirstTopicFailure(results, count, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "creating");
}

base::Result<size_t> DeleteTopicsNamed(rd_kafka_t* rk, const std::string& prefix,
                                         std::chrono::milliseconds timeout) {
  if (prefix.empty()) return MakeError(ErrorCode::kInvalidArgument, "no topic prefix to delete");
  auto md = AllTopics(rk, timeout);
  if (!md) return md.error();
  std::vector<KafkaOwned<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy>> owned;
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (int t = 0; t < (*md)->topic_cnt; ++t) {
    std::string_view name = (*md)->topics[t].topic;
    if (!name.starts_with(prefix)) continue;
    owned.emplace_back(rd_kafka_DeleteTopic_new(name.data()));
    requests.push_back(owned.back().get());
  }
  if (requests.empty()) return size_t{0};
  auto event = AwaitAdmin(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout, "deleting Kafka topics",
                          [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            rd_kafka_DeleteTopics(rk, requests.data(), requests.size(), options, queue);
                          });
  if (!event) return event.error();
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event->get()), &count);
  if (auto failed = FirstTopicFailure(results, count, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "deleting");
      !failed)
    return failed.error();
  return requests.size();
}

base::Result<std::vector<events::TopicPartition>> ListPartitions(
    rd_kafka_t* rk, const std::vector<std::string>& topics, std::chrono::milliseconds timeout) {
  auto md = AllTopics(rk, timeout);
  if (!md) return md.error();
  std::vector<events::TopicPartition> out;
  for (int t = 0; t < (*md)->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = (*md)->topics[t];
    if (topic.err) continue;
    bool wanted = false;
    for (const auto& name : topics) wanted = wanted || name == topic.topic;
    if (!wanted) continue;
    for (int p = 0; p < topic.partition_cnt; ++p) out.push_back({topic.topic, topic.partitions[p].id});
  }
  std::sort(out.begin(), out.end());
  return out;
}

base::Result<uint64_t> QueryEnd(rd_kafka_t* rk, const events::TopicPartition& tp,
                                  std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(rk, tp.topic.c_str(), tp.partition, &low, &high, TimeoutMs(timeout));
  if (err)
    return MakeError(ErrorCode::kUnavailable, "end of " + tp.topic + "[" +
                                                  std::to_string(tp.partition) + "]: " + KafkaErrorText(err));
  return static_cast<uint64_t>(high);
}

rd_kafka_resp_err_t ProduceMessage(rd_kafka_t* rk, const std::string& topic,
                                   const events::BinaryMessage& message, int64_t timestamp_ms,
                                   void* opaque) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(message.headers.size());
  for (const auto& [name, value] : message.headers)
    rd_kafka_header_add(headers, name.data(), name.size(), value.data(), value.size());
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  if (err) rd_kafka_headers_destroy(headers);  // owned by the message only on success
  return err;
}

std::vector<events::MessageHeader> MessageHeaders(const rd_kafka_message_t* m) {
  std::vector<events::MessageHeader> out;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  out.reserve(rd_kafka_header_cnt(headers));
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i)
    out.push_back({name, std::string_view(static_cast<const char*>(value), value ? size : 0)});
  return out;
}

events::StoredEvent DecodeMessage(const rd_kafka_message_t* m) {
  events::StoredEvent stored;
  stored.where = {rd_kafka_topic_name(m->rkt), m->partition};
  stored.offset = static_cast<uint64_t>(m->offset);
  rd_kafka_timestamp_type_t type;
  int64_t timestamp = rd_kafka_message_timestamp(m, &type);
  if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && timestamp > 0) stored.appended_ms = timestamp;
  const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  auto event = events::FromBinaryMessage(MessageHeaders(m), value);
  if (!event) {
    stored.damage = event.error().message;
    return stored;
  }
  stored.event = std::move(*event);
  // The value is the data's canonical encoding as the writer made it: kept
  // as it is rather than serialised again.
  stored.encoded = events::EncodeCanonical(stored.event, value);
  return stored;
}

bool IsFencing(const rd_kafka_error_t* error) {
  if (error == nullptr) return false;
  auto code = rd_kafka_error_code(error);
  return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED;
}

bool IsFenced(rd_kafka_t* client) {
  if (client == nullptr) return false;
  auto code = rd_kafka_fatal_error(client, nullptr, 0);
  return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         code == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

}  // namespace ledger::log
