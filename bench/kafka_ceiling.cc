#include "bench/kafka_ceiling.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>

#include "log/kafka/internal/kafka_client.h"
#include "log/kafka/internal/transactional_writer.h"

namespace ledger::bench {
namespace {

using Clock = std::chrono::steady_clock;
using log::KafkaClient;
using KafkaError = log::KafkaOwned<rd_kafka_error_t, rd_kafka_error_destroy>;
constexpr int kTimeoutMs = 30'000;

int Fail(const std::string& message) {
  std::fprintf(stderr, "kafka_bench ceiling: %s\n", message.c_str());
  return 1;
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The Kafka log's producer settings (log::AppendProducerSettings).
std::map<std::string, std::string> ProducerSettings(const CeilingOptions& o) {
  auto settings = log::AppendProducerSettings(std::chrono::milliseconds(kTimeoutMs));
  settings.insert({{"bootstrap.servers", o.brokers}, {"client.id", "311-ledger-bench-ceiling"}});
  return settings;
}

void Report(const char* way, const CeilingOptions& o, uint64_t messages, Clock::time_point start,
            std::vector<double> micros) {
  double seconds = MicrosSince(start) / 1e6;
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros.empty() ? 0.0 : micros[static_cast<size_t>(q * (micros.size() - 1))]; };
  std::printf("ceiling %s (%zu in flight): %llu messages in %.3f s (%.0f messages/s); latency p50 %.0f us p99 %.0f us\n",
              way, o.in_flight, (unsigned long long)messages, seconds, messages / seconds, at(0.50), at(0.99));
}

int Transactions(const CeilingOptions& o, const std::vector<events::BinaryMessage>& messages) {
  std::vector<KafkaClient> producers;
  for (size_t turn = 0; turn < log::TransactionalWriter::kProducers; ++turn) {
    auto settings = ProducerSettings(o);
    settings["transactional.id"] = o.transactional_id + "-" + std::to_string(turn);
    auto client = log::NewKafkaClient(RD_KAFKA_PRODUCER, settings, {});
    if (!client) return Fail(client.error().message);
    if (KafkaError e{rd_kafka_init_transactions(client->get(), kTimeoutMs)})
      return Fail(std::string("init_transactions: ") + rd_kafka_error_string(e.get()));
    producers.push_back(std::move(*client));
  }
  // Unmeasured: each producer's first transaction also fetches metadata and
  // registers with the coordinator (about a second on a fresh topic).
  for (auto& producer : producers) {
    rd_kafka_t* rk = producer.get();
    KafkaError begun{rd_kafka_begin_transaction(rk)};
    if (begun) return Fail(std::string("begin: ") + rd_kafka_error_string(begun.get()));
    if (auto err = log::ProduceMessage(rk, o.topic, messages[0], 0, nullptr)) return Fail("produce: " + log::KafkaErrorText(err));
    if (KafkaError e{rd_kafka_commit_transaction(rk, kTimeoutMs)})
      return Fail(std::string("commit: ") + rd_kafka_error_string(e.get()));
  }
  std::vector<double> micros;  // per transaction: each of its messages waited that long
  uint64_t sent = 0;
  size_t turn = 0, next = 0;
  auto start = Clock::now();
  for (auto end = start + o.duration; Clock::now() < end;) {
    rd_kafka_t* rk = producers[turn].get();
    turn = (turn + 1) % producers.size();
    auto begun = Clock::now();
    if (KafkaError e{rd_kafka_begin_transaction(rk)}) return Fail(std::string("begin: ") + rd_kafka_error_string(e.get()));
    for (size_t i = 0; i < o.in_flight; ++i, ++next) {
      const auto& m = messages[next % messages.size()];
      if (auto err = log::ProduceMessage(rk, o.topic, m, 0, nullptr)) return Fail("produce: " + log::KafkaErrorText(err));
    }
    // As the writer does: serve the delivery reports, then commit.
    while (rd_kafka_outq_len(rk) > 0 && MicrosSince(begun) < kTimeoutMs * 1e3) rd_kafka_poll(rk, 1);
    if (KafkaError e{rd_kafka_commit_transaction(rk, kTimeoutMs)})
      return Fail(std::string("commit: ") + rd_kafka_error_string(e.get()));
    micros.push_back(MicrosSince(begun));
    sent += o.in_flight;
  }
  Report("transactions", o, sent, start, std::move(micros));
  return 0;
}

// The idempotent producer's window: free slots (at most in_flight messages
// out) and when each slot's message was handed over. One thread.
struct Window {
  std::vector<Clock::time_point> sent_at;
  std::vector<size_t> free_slots;
  std::vector<double> micros;
  uint64_t delivered = 0, failed = 0;

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* w = static_cast<Window*>(opaque);
    auto slot = reinterpret_cast<uintptr_t>(m->_private);
    if (m->err) {
      ++w->failed;
    } else {
      ++w->delivered;
      w->micros.push_back(MicrosSince(w->sent_at[slot]));
    }
    w->free_slots.push_back(slot);
  }
};

int Idempotent(const CeilingOptions& o, const std::vector<events::BinaryMessage>& messages) {
  Window w;
  w.sent_at.resize(o.in_flight);
  for (size_t slot = 0; slot < o.in_flight; ++slot) w.free_slots.push_back(slot);
  auto client = log::NewKafkaClient(RD_KAFKA_PRODUCER, ProducerSettings(o), {}, [&](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_opaque(conf, &w);
    rd_kafka_conf_set_dr_msg_cb(conf, &Window::OnDelivery);
  });
  if (!client) return Fail(client.error().message);
  rd_kafka_t* rk = client->get();
  // Hands `m` over in a free slot. REQUIRES: a slot is free.
  auto send = [&](const events::BinaryMessage& m) {
    size_t slot = w.free_slots.back();
    w.free_slots.pop_back();
    w.sent_at[slot] = Clock::now();
    return log::ProduceMessage(rk, o.topic, m, 0, reinterpret_cast<void*>(static_cast<uintptr_t>(slot)));
  };
  // Unmeasured, as for transactions: the first message waits for metadata.
  if (auto err = send(messages[0])) return Fail("produce: " + log::KafkaErrorText(err));
  rd_kafka_flush(rk, kTimeoutMs);
  if (w.failed != 0) return Fail("the first message failed delivery");
  w.micros.clear();
  w.delivered = 0;
  size_t next = 0;
  auto start = Clock::now();
  for (auto end = start + o.duration; Clock::now() < end && w.failed == 0;) {
    while (!w.free_slots.empty())
      if (auto err = send(messages[next++ % messages.size()])) return Fail("produce: " + log::KafkaErrorText(err));
    rd_kafka_poll(rk, 1);
  }
  rd_kafka_flush(rk, kTimeoutMs);
  if (w.failed != 0 || rd_kafka_outq_len(rk) > 0)
    return Fail(std::to_string(w.failed) + " messages failed delivery");
  Report("idempotent", o, w.delivered, start, std::move(w.micros));
  return 0;
}

}  // namespace

int RunCeiling(const CeilingOptions& o, const std::vector<events::BinaryMessage>& messages) {
  if (messages.empty() || o.in_flight == 0) return Fail("no messages to send");
  auto admin = log::NewKafkaClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", o.brokers}}, {});
  if (!admin) return Fail(admin.error().message);
  if (auto made = log::CreateMissingTopics(admin->get(), {{o.topic, o.partitions, 1, {}}},
                                           std::chrono::milliseconds(kTimeoutMs));
      !made)
    return Fail(made.error().message);
  if (int failed = Transactions(o, messages)) return failed;
  return Idempotent(o, messages);
}

}  // namespace ledger::bench
