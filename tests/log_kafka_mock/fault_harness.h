#pragma once
// What the Kafka fault tests share: a stand-in for the projections that
// answers the log's head_of / projected_past honestly, a steady stream of
// appends on several streams, and the check that the log lost, duplicated
// and reordered nothing.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "events/event_log.h"
#include "base/result.h"
#include "log/kafka/kafka_log.h"

namespace ledger::log::testing {

using Positions = std::map<events::TopicPartition, uint64_t>;

inline constexpr char kTopic[] = "requests";

// Reads the log in offset order the way the ledger's projections do and
// keeps each stream's head, so the log's head_of and projected_past are
// right even after a write whose fate the log does not know.
class ReadBack {
 public:
  // REQUIRES: called before the first Append on `log`.
  void Attach(events::EventLog* log) { log_ = log; }
  // projected_past: reads every partition of `ends` up to its end.
  bool CatchUp(const Positions& ends);
  // head_of. Runs under the log's lock, so it never calls the log.
  base::Result<StreamHeadView> HeadOf(const std::string& topic, const std::string& subject);

 private:
  std::atomic<events::EventLog*> log_{nullptr};
  std::mutex read_mu_;   // one catch-up at a time; held while the log is read
  std::mutex state_mu_;  // heads_; never held while calling the log
  Positions next_;       // guarded by read_mu_
  std::map<std::string, StreamHeadView> heads_;
};

// A writing log on `brokers` reading topic kTopic, answered by `projection`.
KafkaLogOptions WriterOptions(const std::string& brokers, ReadBack& projection,
                              std::chrono::milliseconds produce_timeout);

// A read-only log on `brokers` reading topic kTopic.
KafkaLogOptions ReaderOptions(const std::string& brokers);

// Appends one event at a time on each of its streams, one thread per stream,
// until Stop. The streams are chosen so that each of `partitions`
// partitions carries `streams_per_partition` of them (each is probed with
// its first append), so a fault on any partition's leader meets appends.
// Every answer must come within `answer_bound` and be either stored events
// or kUnavailable; anything else fails the test.
class Ingest {
 public:
  Ingest(events::EventLog& log, int partitions, int streams_per_partition,
         std::chrono::milliseconds answer_bound);
  ~Ingest() { Stop(); }
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Waits until `more` appends beyond those acknowledged now are
  // acknowledged; false after `timeout`.
  bool AwaitAcks(size_t more, std::chrono::milliseconds timeout);
  // Waits until `more` appends beyond those refused now are refused; false after `timeout`.
  bool AwaitRefusals(size_t more, std::chrono::milliseconds timeout);
  void Stop();

  std::vector<events::StoredEvent> acked() const;
  size_t refused() const;
  // The distinct messages appends were refused with, one a line.
  std::string refusals() const;

 private:
  // One append and its answer, kept; false if it failed the test.
  bool AppendOne(const std::string& subject, int32_t* partition = nullptr);
  void Run(const std::string& subject);

  events::EventLog& log_;
  const std::chrono::milliseconds answer_bound_;
  mutable std::mutex mu_;
  std::condition_variable answered_;
  std::vector<events::StoredEvent> acked_;
  size_t refused_ = 0;
  std::set<std::string> refusals_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

using StoredByPartition = std::map<int32_t, std::vector<events::StoredEvent>>;

// Reads every partition of `ends` from offset 0 to its end there, taking
// turns in batches of up to `batch`, and calls `between` with the number of
// each round of turns it completes. A partition's kUnavailable answers are
// retried while it made progress in the last 10 s (they are the fault
// showing). The events come back as Read gave them, so a skip or a repeat
// shows in the result.
base::Result<StoredByPartition> ReadAll(events::EventLog& log, const Positions& ends,
                                          size_t batch,
                                          const std::function<void(int round)>& between = {});

// Everything on kTopic, read by a fresh read-only log: partition -> events.
StoredByPartition ReadEverything(const std::string& brokers);

// Every partition's offsets increase (with `dense`, run 0.. without a gap:
// no transactions wrote markers), no event id is stored twice, every
// acknowledged event is stored at the partition and offset its
// acknowledgement named, and every stream is sequences 1..N with a hash
// chain that verifies.
::testing::AssertionResult LogIsIntact(const StoredByPartition& stored,
                                       const std::vector<events::StoredEvent>& acked,
                                       bool dense = true);

}  // namespace ledger::log::testing
