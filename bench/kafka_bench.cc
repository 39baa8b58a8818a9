// kafka_bench: the Kafka EventLog (src/log/kafka/kafka_log.h) against a real
// broker, for bench/run's kafka section. Every mode takes the settings file
// (-c) for [kafka]: brokers (or --brokers), partitions and topic_prefix, which
// must not be empty: the bench writes and deletes only topics named with it.
//
//   produce        appends N events of the simulated center (bench::Traffic),
//                  one per Append call, with W calls in flight (W concurrent
//                  callers); then reads every one back from offset 0 through
//                  a fresh read-only log. Events/s, append latency p50/p99.
//   seed           writes N events in large appends, for timing
//                  `ledger replay --log kafka` on a log of that size. One
//                  append in flight by default: the Kafka log may seal calls
//                  that are in flight together out of call order, and the
//                  seeded streams must keep the generator's order (then
//                  replay folds the same state as from the embedded log).
//   read           reads every event of the prefix's topics from offset 0
//                  (what produce measures second, alone: for profiling).
//   ceiling        the same messages through librdkafka alone, with and
//                  without transactions (bench/kafka_ceiling.h): what the
//                  broker allows, to read produce against.
//   delete-topics  deletes every topic named with the prefix.
//
// The bench is the only writer of its topics, so it answers the log's
// head_of from the heads of its own acknowledged appends.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include <CLI/CLI.hpp>

#include "bench/append_window.h"
#include "bench/kafka_ceiling.h"
#include "bench/traffic.h"
#include "events/event_types.h"
#include "src/app/settings.h"
#include "log/kafka/internal/kafka_client.h"
#include "log/kafka/kafka_log.h"

namespace {

using namespace ledger;
using Clock = std::chrono::steady_clock;
using Positions = std::map<events::TopicPartition, uint64_t>;

struct Options {
  std::string config = "config/ledger.toml";
  std::string brokers;  // overrides kafka.brokers
  std::string catalog = "config/catalog.toml";
  uint64_t events = 100'000;
  uint64_t seed = 1;
  size_t batch = 1;        // records per Append call
  size_t in_flight = 64;   // Append calls outstanding
  size_t read_batch = 32768;  // events per Read, as `ledger replay` reads
  int seconds = 10;           // ceiling: per way
};

int Fail(const std::string& message, int status = 1) {
  std::fprintf(stderr, "kafka_bench: %s\n", message.c_str());
  return status;
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Stream heads and per-partition counts of what the bench's appends stored.
class AckedAppends {
 public:
  void Record(const std::vector<events::StoredEvent>& stored) {
    std::lock_guard lock(mu_);
    for (const auto& e : stored) {
      ++acked_[e.where];
      if (e.where.topic == events::topics::kRequests)
        heads_[e.event.subject] = {e.event.sequence, e.event.hash};
    }
  }

  // Contacts have no stream beyond their one event, as in the ledger.
  log::StreamHeadView HeadOf(const std::string& topic, const std::string& subject) {
    if (topic != events::topics::kRequests) return {};
    std::lock_guard lock(mu_);
    auto it = heads_.find(subject);
    return it == heads_.end() ? log::StreamHeadView{} : it->second;
  }

  // Offsets start at 0 in the bench's own topics, so `end` acknowledged
  // events of a partition are exactly the offsets below `end`.
  bool Past(const Positions& ends) {
    std::lock_guard lock(mu_);
    for (const auto& [tp, end] : ends) {
      auto it = acked_.find(tp);
      if (end > (it == acked_.end() ? 0 : it->second)) return false;
    }
    return true;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, log::StreamHeadView> heads_;
  Positions acked_;
};

// Kept forever, as the ledger keeps its topics: the simulated events carry
// 2026 timestamps, which time-based retention would delete at once.
std::map<std::string, std::string> KeepForever() {
  return {{"retention.ms", "-1"}, {"retention.bytes", "-1"}};
}

log::KafkaLogOptions LogOptions(const app::Settings& s, bool read_only, AckedAppends* acked) {
  log::KafkaLogOptions o;
  o.brokers = s.kafka.brokers;
  o.read_only = read_only;
  o.topic_prefix = s.kafka.topic_prefix;
  o.client_id = "311-ledger-bench";
  o.produce_timeout = std::chrono::milliseconds(s.kafka.produce_timeout_ms);
  o.broker_timeout = std::chrono::milliseconds(s.kafka.broker_timeout_ms);
  auto rf = static_cast<int16_t>(s.kafka.replication_factor);
  o.topics = {{std::string(events::topics::kRequests), s.kafka.requests_partitions, rf, KeepForever()},
              {std::string(events::topics::kContacts), s.kafka.contacts_partitions, rf, KeepForever()}};
  for (const auto& t : o.topics) o.known_topics.push_back(t.name);
  if (acked) {
    o.head_of = [acked](const std::string& topic, const std::string& subject)
        -> base::Result<log::StreamHeadView> { return acked->HeadOf(topic, subject); };
    o.projected_past = [acked](const Positions& ends) { return acked->Past(ends); };
  }
  return o;
}

// Appends `next()` until it gives an empty batch; prints the rate and latencies.
template <typename Next>
int AppendAll(events::EventLog& log, AckedAppends& acked, size_t in_flight, const char* what,
              Next next) {
  bench::AppendWindow window(log, in_flight, [&](const auto& stored) { acked.Record(stored); });
  auto start = Clock::now();
  uint64_t events = 0;
  for (;;) {
    std::vector<events::AppendRecord> records = next();
    if (records.empty()) break;
    events += records.size();
    if (!window.Append(std::move(records))) break;
  }
  auto failure = window.Drain();  // callbacks reach `window`: wait on every path
  double seconds = Seconds(start);
  if (failure) return Fail("append failed: " + *failure);
  std::printf("%s %llu events in %.3f s (%.0f events/s); append latency p50 %.0f us p99 %.0f us\n", what,
              (unsigned long long)window.stored(), seconds, window.stored() / seconds,
              window.LatencyMicros(0.50), window.LatencyMicros(0.99));
  return events == window.stored() ? 0 : Fail("appended " + std::to_string(events) + " events, stored " +
                                              std::to_string(window.stored()));
}

// Bytes of the message on the wire before compression: key, headers, value.
size_t MessageBytes(const events::Event& event) {
  events::BinaryMessage m = events::ToBinaryMessage(event);
  size_t bytes = m.key.size() + m.value.size();
  for (const auto& [name, value] : m.headers) bytes += name.size() + value.size();
  return bytes;
}

// Reads every event back from offset 0, partition after partition, through
// a log of its own (a fresh consumer: nothing cached from the appends).
// `expected` events, or any number if 0.
int ReadBack(const app::Settings& s, size_t read_batch, uint64_t expected) {
  auto log = log::OpenKafkaLog(LogOptions(s, true, nullptr));
  if (!log.ok()) return Fail(log.error().message);
  uint64_t total = 0;
  for (const auto& tp : (*log)->TopicPartitions()) total += (*log)->EndOffset(tp);
  const uint64_t stride = std::max<uint64_t>(1, total / 10'000);  // ~10,000 sampled for the size
  auto start = Clock::now();
  uint64_t events = 0, bytes = 0, sampled = 0;
  for (const auto& tp : (*log)->TopicPartitions()) {
    for (uint64_t from = 0, end = (*log)->EndOffset(tp); from < end;) {
      auto read = (*log)->Read(tp, from, read_batch);
      if (!read.ok()) return Fail("reading " + tp.topic + ": " + read.error().message);
      if (read->next == from) return Fail(tp.topic + " ends before its recorded end");
      from = read->next;
      for (const auto& e : read->events)
        if (events++ % stride == 0) {
          bytes += MessageBytes(e.event);
          ++sampled;
        }
    }
  }
  double seconds = Seconds(start);
  std::printf("read back %llu events in %.3f s (%.0f events/s); mean message %.0f bytes "
              "(key + headers + value, before compression)\n",
              (unsigned long long)events, seconds, events / seconds, sampled ? double(bytes) / sampled : 0.0);
  return expected == 0 || events == expected ? 0 : Fail("read " + std::to_string(events) + " events, expected " +
                                       std::to_string(expected));
}

int Produce(const app::Settings& s, const catalog::Catalog& catalog, const Options& o) {
  // Generated before the clock starts: the bench measures the log, not the generator.
  bench::Traffic traffic(catalog, {.seed = o.seed});
  std::vector<events::AppendRecord> pending(o.events);
  for (auto& record : pending) record = traffic.NextEvent();
  AckedAppends acked;
  auto log = log::OpenKafkaLog(LogOptions(s, false, &acked));
  if (!log.ok()) return Fail(log.error().message);
  char what[96];
  std::snprintf(what, sizeof what, "produced (%zu per append, %zu appends in flight)", o.batch, o.in_flight);
  size_t next = 0;
  int produced = AppendAll(**log, acked, o.in_flight, what, [&] {
    std::vector<events::AppendRecord> records;
    for (; records.size() < o.batch && next < pending.size(); ++next) records.push_back(std::move(pending[next]));
    return records;
  });
  log->reset();
  if (produced != 0) return produced;
  return ReadBack(s, o.read_batch, o.events);
}

int Seed(const app::Settings& s, const catalog::Catalog& catalog, const Options& o) {
  AckedAppends acked;
  auto log = log::OpenKafkaLog(LogOptions(s, false, &acked));
  if (!log.ok()) return Fail(log.error().message);
  if (!(*log)->TopicPartitions().empty())
    return Fail("the topics named " + s.kafka.topic_prefix + "* already hold events");
  bench::Traffic traffic(catalog, {.seed = o.seed});
  uint64_t done = 0;
  char what[96];
  std::snprintf(what, sizeof what, "seeded (%zu per append, %zu appends in flight)", o.batch, o.in_flight);
  int seeded = AppendAll(**log, acked, o.in_flight, what, [&] {
    std::vector<events::AppendRecord> records;
    for (; records.size() < o.batch && done < o.events; ++done) records.push_back(traffic.NextEvent());
    return records;
  });
  if (seeded != 0) return seeded;
  std::map<std::string, uint64_t> per_topic;
  for (const auto& tp : (*log)->TopicPartitions()) per_topic[tp.topic] += (*log)->EndOffset(tp);
  for (const auto& [topic, count] : per_topic)
    std::printf("  %s: %llu events\n", topic.c_str(), (unsigned long long)count);
  return 0;
}

// The ceiling's messages: the produce bench's first events, sealed as the log seals them.
int Ceiling(const app::Settings& s, const catalog::Catalog& catalog, const Options& o) {
  bench::Traffic traffic(catalog, {.seed = o.seed});
  std::vector<events::BinaryMessage> messages;
  for (int i = 0; i < 4096; ++i) {
    events::Event event = traffic.NextEvent().event;
    auto sealed = events::SealToBinaryMessage(event, "");
    if (!sealed) return Fail(sealed.error().message);
    messages.push_back(std::move(*sealed));
  }
  return bench::RunCeiling({.brokers = s.kafka.brokers,
                            .topic = s.kafka.topic_prefix + "ceiling",
                            .transactional_id = s.kafka.topic_prefix + "ceiling",
                            .partitions = s.kafka.requests_partitions,
                            .in_flight = o.in_flight,
                            .duration = std::chrono::seconds(o.seconds)},
                           messages);
}

int DeleteTopics(const app::Settings& s) {
  auto client = log::NewKafkaClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", s.kafka.brokers}}, {});
  if (!client) return Fail(client.error().message);
  auto deleted = log::DeleteTopicsNamed(client->get(), s.kafka.topic_prefix, std::chrono::seconds(30));
  if (!deleted) return Fail(deleted.error().message);
  std::printf("deleted %zu topics named %s*\n", *deleted, s.kafka.topic_prefix.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kafka_bench: the Kafka EventLog against a real broker"};
  app.require_subcommand(1);
  Options o;
  app.add_option("-c,--config", o.config, "settings file ([kafka] brokers, topic_prefix, partitions)")
      ->capture_default_str();
  app.add_option("--brokers", o.brokers, "Kafka bootstrap servers (overrides kafka.brokers)");
  app.add_option("--catalog", o.catalog, "service catalog")->capture_default_str();
  auto* produce = app.add_subcommand("produce", "append N events with W appends in flight, then read them back");
  auto* seed = app.add_subcommand("seed", "write N events in large appends (for ledger replay)");
  auto* read = app.add_subcommand("read", "read every event of the prefix's topics from offset 0");
  auto* ceiling = app.add_subcommand("ceiling", "the same messages through librdkafka alone, with and without transactions");
  auto* remove = app.add_subcommand("delete-topics", "delete every topic named with the prefix");
  ceiling->add_option("--in-flight", o.in_flight, "messages in flight (and per transaction)")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  ceiling->add_option("--seconds", o.seconds, "seconds per way")->capture_default_str()->check(CLI::Range(1, 600));
  for (auto* cmd : {produce, seed}) {
    cmd->add_option("-n,--events", o.events, "events to append")->capture_default_str();
    cmd->add_option("-s,--seed", o.seed, "traffic seed")->capture_default_str();
    cmd->add_option("--batch", o.batch, "records per append (produce 1, seed 5000)")
        ->check(CLI::Range(1, 20000));
    cmd->add_option("--in-flight", o.in_flight, "appends in flight (produce 64, seed 1)")
        ->check(CLI::Range(1, 4096));
  }
  for (auto* cmd : {produce, read})
    cmd->add_option("--read-batch", o.read_batch, "events per Read")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (*seed && seed->count("--batch") == 0) o.batch = 5000;
  if (*seed && seed->count("--in-flight") == 0) o.in_flight = 1;

  auto settings = app::LoadSettings(o.config);
  if (!settings.ok()) return Fail(settings.error().message, 2);
  if (!o.brokers.empty()) settings->kafka.brokers = o.brokers;
  if (settings->kafka.topic_prefix.empty())
    return Fail(o.config + ": [kafka] topic_prefix must name the bench's own topics", 2);
  if (*remove) return DeleteTopics(*settings);
  if (*read) return ReadBack(*settings, o.read_batch, 0);
  auto catalog = catalog::Catalog::Load(o.catalog);
  if (!catalog.ok()) return Fail(catalog.error().message, 2);
  if (*ceiling) return Ceiling(*settings, **catalog, o);
  return *produce ? Produce(*settings, **catalog, o) : Seed(*settings, **catalog, o);
}
