#pragma once
// TransactionalWriter (internal to ledger_log): stores groups of Kafka
// messages all or nothing. The Kafka log hands it the calls of more than one
// record (a contact that creates a request: 311.contacts and 311.requests),
// so a failure never leaves half a call for read_committed readers.
//
// A failing group is answered within two timeouts: one for its transaction
// (a new producer, the produce and the commit), one for its abort; the
// groups queued behind it too. When the abort fails too, the outcome stays
// unknown until a new producer fences it: the writer tries that at once
// and then again until it succeeds, and reports settled() only after.
//
// Groups queue up and share Kafka transactions (up to 500 groups
// each, one transaction at a time), so the commit's round trips are paid per
// transaction, not per call. Consecutive transactions take turns on
// kProducers producers (transactional ids <id>-0, <id>-1, ...): a producer
// that begins again right after its commit finds the coordinator still
// completing it (CONCURRENT_TRANSACTIONS), and librdkafka asks again only
// after a fixed 20 ms; the next producer in turn has no such wait. Any
// failure drops that producer and refuses the groups queued behind it (the
// log resyncs then). A new producer's
// init_transactions aborts whatever the old one (or a crashed process with
// the same transactional id) left open, and fences the old one: a write it
// still had on its way is refused by the broker, so a write whose outcome
// was unknown is either committed before the new producer starts or never.
//
// Fenced by another writer with the same transactional id (a second ledger
// on the same topics), the writer stops for good: every later group fails,
// and it never starts a producer that would fence the other back.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/event.h"
#include "base/result.h"
#include "log/kafka/internal/kafka_client.h"

namespace ledger::log {

struct OutgoingMessage {
  std::string topic;  // as named in Kafka (prefix included)
  events::BinaryMessage message;
  int64_t timestamp_ms = 0;
};

struct WrittenMessage {
  int32_t partition = 0;
  uint64_t offset = 0;
};

class TransactionalWriter {
 public:
  // Called once per group on the writer's thread: where each message of the
  // group landed, in the group's order, once its transaction is committed;
  // or kUnavailable saying whether the group may be stored.
  using Done = std::function<void(base::Result<std::vector<WrittenMessage>>)>;

  // Producers taking turns, one transaction at a time.
  static constexpr size_t kProducers = 3;

  // `settings`/`extra` as for NewKafkaClient; `settings` must name the
  // transactional.id (each producer adds "-<turn>" to it). `timeout` bounds each transaction and the settling of a failed one. `topics` (as
  // named in Kafka) are the ones groups write to: their metadata is fetched
  // with each new producer, so a first transaction does not wait for it.
  TransactionalWriter(std::map<std::string, std::string> settings,
                      std::map<std::string, std::string> extra, std::vector<std::string> topics,
                      std::chrono::milliseconds timeout);
  // Finishes the running transaction; queued groups fail ("the log is closing").
  ~TransactionalWriter() { Close(); }
  // Stops the thread, answering every queued group "the log is closing"
  // first; idempotent. Callbacks may still reach the writer meanwhile (its
  // owner's `fenced()`): so an owner closes it before it lets it go.
  void Close();

  using Clock = std::chrono::steady_clock;

  // Makes the producers and registers their transactional ids (aborting what
  // a previous run left open), asking again until `within` has passed.
  // Optional: each producer's first transaction does it too, within its own timeout.
  base::Status Prepare(std::chrono::milliseconds within);

  // Queues `group`; `done` is called later on the writer's thread.
  // kUnavailable (and no call of `done`) once the writer is closing.
  base::Status Write(std::vector<OutgoingMessage> group, Done done);

  // True once another producer with the same transactional id fenced this one.
  bool fenced() const { return fenced_; }
  // False while a failed transaction whose abort failed is not yet fenced
  // by a new producer (its outcome unknown): the log must not resync then.
  bool settled() const { return !unsettled_; }

 private:
  struct Group {
    std::vector<OutgoingMessage> messages;
    Done done;
    std::vector<WrittenMessage> written;
  };
  // One transactional producer. The topic handles go before the producer that made them.
  struct Producer {
    std::string transactional_id;
    KafkaClient client;
    std::vector<KafkaTopic> topics;
  };

  // Makes `producer` (if absent) and registers its transactional id.
  base::Status Prepare(Producer& producer, Clock::time_point deadline);
  void Run();
  // Stores `groups` in one transaction and answers each group; false if it failed.
  bool Commit(std::vector<Group>& groups);
  // Ends the failed transaction of producers_[turn_] (`produced`: messages
  // were handed to it): aborts it if the producer still can and drops the
  // producer; unaborted, the writer is unsettled until a new producer in
  // that turn fences it. The error to answer with.
  base::Error Fail(const std::string& step, rd_kafka_error_t* error, bool produced);
  static std::vector<Producer> MakeProducers(const std::string& transactional_id);
  // One try (within the timeout) at a new producer in the unsettled turn,
  // which fences its transaction; settled() once it succeeds.
  void Settle();
  // Answers every queued group with kUnavailable `why`.
  void FailQueued(const std::string& why);
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*);

  const std::map<std::string, std::string> settings_;
  const std::map<std::string, std::string> extra_;
  const std::vector<std::string> topic_names_;
  const std::chrono::milliseconds timeout_;
  // Touched only by the writer thread (and Prepare before it runs).
  std::vector<Producer> producers_;
  size_t turn_ = 0;  // the producer of the next transaction; a failed one keeps its turn
  std::atomic<bool> fenced_{false};
  std::atomic<bool> unsettled_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Group> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is constructed
};

}  // namespace ledger::log
