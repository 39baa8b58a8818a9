#pragma once
// The Kafka EventLog: Apache Kafka through librdkafka. Every event is one
// message in CloudEvents binary content mode (events::ToBinaryMessage), key =
// subject, timestamp = event time.
//
// Every append goes through one transactional producer with acks=all
// (transactional_writer.h; calls that queue up share a transaction), and a
// call is told its events are stored only once their transaction commits.
// A call of several records (a contact that creates a request) is thus all
// or nothing. This instance is the single writer of every stream it
// appends to: it seals each event onto the stream's head, which it keeps
// for its own appends and otherwise asks `head_of` (the projections) for.
// At most one append per stream is in flight, so a failed write never
// leaves a later event chained onto it. A failed or unknown commit makes
// the log refuse appends (kUnavailable) until the projections have read up
// to the log's end again; the writer's next producer fences the old one
// first, so a write whose outcome was unknown is in that end or never
// lands: no stream forks. Readers skip the transaction markers, so offsets
// in 311.requests and 311.contacts have gaps.
//
// A second ledger on the same topics (same transactional id) fences this
// one at its start: this log then refuses appends for good and Problem()
// says why.
//
// Department copies (AppendRecord::copy_topics) are not written here: the
// record carries them in the `ledger_copy_topics` header (comma-separated)
// and the department router (dept_router.h) copies the event in a Kafka
// transaction. The append result lists primary records only.
//
// Reads use one consumer per log with explicit offsets (no group, no
// commits, auto.offset.reset=error, read_committed): the reader decides
// where to start, from the positions stored with the projections.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "base/result.h"
#include "log/kafka/topics.h"

namespace ledger::log {

struct StreamHeadView {
  uint64_t version = 0;  // 0 = the stream has no events
  std::string hash;      // hash of its last event
};

struct KafkaLogOptions {
  std::string brokers;  // bootstrap servers, "127.0.0.1:9092"
  bool read_only = false;
  // Created at open if missing (not in read_only). An existing topic is kept
  // as it is.
  std::vector<KafkaTopicSpec> topics;
  // Topics whose partitions the log reads and reports (TopicPartitions).
  std::vector<std::string> known_topics;
  // Bounds how long an append waits for its delivery report (message.timeout.ms).
  std::chrono::milliseconds produce_timeout{10'000};
  // Bounds how long Open waits for the broker, and a Read for its first message.
  std::chrono::milliseconds broker_timeout{15'000};
  std::string client_id = "311-ledger";
  // Of the producer that writes every append in transactions.
  // One per ledger: a second writer with the same id fences the first, and
  // a restarted ledger aborts what its previous run left open.
  std::string transactional_id = "311-ledger-calls";
  // Put before every topic name in Kafka ("" in production; tests give each
  // ledger its own); the EventLog's callers see names without it.
  std::string topic_prefix;
  // The stored head of a stream (topic, subject), from the projections. Asked
  // only for streams this log has not appended to since the projections
  // passed `projected_past`. REQUIRES for writers: set.
  std::function<base::Result<StreamHeadView>(const std::string& topic,
                                               const std::string& subject)>
      head_of;
  // True once the projections have read every topic-partition up to the
  // given end offsets. REQUIRES for writers: set.
  std::function<bool(const std::map<events::TopicPartition, uint64_t>& ends)> projected_past;
  // librdkafka settings applied last (tests: "test.mock.num.brokers", ...).
  std::map<std::string, std::string> extra_config;
};

// Opens the log: connects (kUnavailable if no broker answers within
// broker_timeout), creates missing topics, reads the end of every known
// topic-partition.
base::Result<std::unique_ptr<events::EventLog>> OpenKafkaLog(const KafkaLogOptions& options);

}  // namespace ledger::log
