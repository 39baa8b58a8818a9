#pragma once
// The Kafka ceiling: what the broker and librdkafka allow with no ledger in
// the way, to read kafka_bench produce against. The same messages (sealed
// events of the simulated center) go to one topic for a fixed time, with W
// messages in flight, two ways:
//   transactions  W messages per transaction, one transaction at a time,
//                 consecutive ones taking turns on the producers as the
//                 Kafka log's writer does (TransactionalWriter::kProducers):
//                 the best the ledger's fork-safe appends can do;
//   idempotent    an idempotent producer without transactions keeping W
//                 messages in flight: how the ledger produced before its
//                 appends became transactions (and could fork a stream).

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "events/event.h"

namespace ledger::bench {

struct CeilingOptions {
  std::string brokers;
  std::string topic;            // created if missing (as named in Kafka)
  std::string transactional_id;  // each producer adds "-<turn>"
  int partitions = 6;
  size_t in_flight = 64;
  std::chrono::seconds duration{10};  // per way
};

// Runs both ways and prints one line each: "ceiling <way> (W in flight):
// N messages in S s (R messages/s); latency p50 X us p99 Y us". 0, or 1
// with the reason on stderr.
int RunCeiling(const CeilingOptions& options, const std::vector<events::BinaryMessage>& messages);

}  // namespace ledger::bench
