#pragma once
// EventLog: the one interface to the log, whatever holds it (the embedded
// RocksDB log in src/log, or Kafka). Positions are per topic-partition
// offsets starting at 0, as in Kafka; the embedded log has one partition.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/event.h"
#include "base/result.h"

namespace ledger::events {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// One event to append. The log assigns event.sequence, prevhash and hash
// from the subject's stream on `topic`; the caller leaves them empty.
struct AppendRecord {
  std::string topic;
  Event event;
  // If set, the append fails with kConflict unless the subject's stream on
  // `topic` is at exactly this version (0 = the stream must not exist yet).
  std::optional<uint64_t> expected_version;
  // The sealed event is also written, byte for byte, to each of these
  // topics (department copies). Copies carry no stream of their own.
  std::vector<std::string> copy_topics;
};

// What a stale expected version gets, from the command layer and from
// either log alike: kConflict "request <subject> is at version <at>, not
// <expected>".
base::Error StaleVersion(const std::string& subject, uint64_t at, uint64_t expected);

// The one expected-version check of an append: `record`'s event as the
// next of its stream, which stands at `version` (sequence = version + 1),
// or StaleVersion if the record expects another version. Each log then
// seals it onto the stream's last hash.
base::Result<Event> NextOfStream(const AppendRecord& record, uint64_t version);

// An event as it sits in the log.
struct StoredEvent {
  TopicPartition where;
  uint64_t offset = 0;
  Event event;
  // When the log stored it: UTC ms of its group commit (embedded) or of its
  // append call (Kafka: the message timestamp); 0 if the log does not know
  // (an embedded log written before it kept append times).
  int64_t appended_ms = 0;
  // EncodeCanonical(event) as the log holds it, when read from the log
  // (empty in append results), so readers need not encode it again.
  std::string encoded;
  // Why the record at this position is not an event (its bytes do not
  // decode); empty for every readable one. A damaged record's `event` is
  // empty: readers skip it, the projections quarantine it.
  std::string damage;
};

// What one Read found.
struct LogSlice {
  std::vector<StoredEvent> events;
  // Where the next read of the topic-partition starts: past the last event,
  // and past the records after it that are not events (Kafka transaction
  // markers, records of aborted transactions) as far as the read saw them.
  // Equal to `from` when the read found nothing.
  uint64_t next = 0;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Called exactly once, on a log thread, after every record of the append
  // is durable (fsync / acks=all) — or with the error that stopped it.
  // The result lists what was stored, primary records first in call order,
  // then each record's copies. Must not block for long.
  using AppendCallback = std::function<void(base::Result<std::vector<StoredEvent>>)>;

  // Appends all records as one atomic unit where the backend allows it
  // (embedded: yes). Either every expected_version holds and all records are
  // stored, or nothing is. Records of one call may share a subject; they
  // chain in call order.
  virtual void Append(std::vector<AppendRecord> records, AppendCallback done) = 0;

  // Up to `max` events of `tp` with offset >= from, in offset order. On
  // Kafka offsets may skip: transaction markers and aborted records are
  // never read as events.
  virtual base::Result<LogSlice> Read(const TopicPartition& tp, uint64_t from, size_t max) = 0;

  // The offset past the last record of `tp` known to be stored (0 for an
  // empty topic); on Kafka a transaction marker may be the last record.
  virtual uint64_t EndOffset(const TopicPartition& tp) = 0;

  // Waits until some topic-partition of `seen` ends past the offset given
  // for it there (a caller names topics it has not seen yet with 0), at most
  // `timeout`; true if one does. The check and the wait are one step, so an
  // append that lands just before the call is not missed.
  virtual bool WaitForAppend(const std::map<TopicPartition, uint64_t>& seen,
                             std::chrono::milliseconds timeout) = 0;

  // Every topic-partition that holds at least one event.
  virtual std::vector<TopicPartition> TopicPartitions() = 0;

  // What keeps the log from storing appends now, for /healthz ("" when
  // nothing does): a broker out of reach, a failed write being resolved.
  virtual std::string Problem() = 0;

};

}  // namespace ledger::events
