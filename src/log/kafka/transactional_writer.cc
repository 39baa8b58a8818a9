#include "log/kafka/internal/transactional_writer.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace ledger::log {
namespace {

using base::ErrorCode;
using KafkaError = KafkaOwned<rd_kafka_error_t, rd_kafka_error_destroy>;
using Clock = TransactionalWriter::Clock;

// Bounds how many calls wait for one commit, and how much one abort loses.
constexpr size_t kMaxGroupsPerTransaction = 500;
// How often an unsettled writer tries again to settle while no group comes.
constexpr auto kSettleRetry = std::chrono::milliseconds(200);

constexpr char kFencedWhy[] =
    "another producer with this ledger's Kafka transactional id took over (a second ledger "
    "writes the same topics); this ledger no longer appends: stop one of them, then restart this one";

// What is left of `deadline` as a librdkafka timeout (at least 1 ms: 0 would not wait at all).
int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 1));
}

}  // namespace

std::vector<TransactionalWriter::Producer> TransactionalWriter::MakeProducers(const std::string& id) {
  std::vector<Producer> producers(kProducers);
  for (size_t turn = 0; turn < kProducers; ++turn) producers[turn].transactional_id = id + "-" + std::to_string(turn);
  return producers;
}

TransactionalWriter::TransactionalWriter(std::map<std::string, std::string> settings,
                                         std::map<std::string, std::string> extra,
                                         std::vector<std::string> topics,
                                         std::chrono::milliseconds timeout)
    : settings_(std::move(settings)),
      extra_(std::move(extra)),
      topic_names_(std::move(topics)),
      timeout_(timeout),
      producers_(MakeProducers(settings_.at("transactional.id"))),
      thread_([this] { Run(); }) {}

void TransactionalWriter::Close() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

base::Status TransactionalWriter::Prepare(std::chrono::milliseconds within) {
  auto deadline = Clock::now() + within;
  for (auto& producer : producers_)
    if (auto ready = Prepare(producer, deadline); !ready) return ready;
  return {};
}

base::Status TransactionalWriter::Prepare(Producer& producer, Clock::time_point deadline) {
  if (fenced_) return base::MakeError(ErrorCode::kUnavailable, kFencedWhy);
  if (producer.client) return {};
  auto settings = settings_;
  settings["transactional.id"] = producer.transactional_id;
  // A broker that has just started may have no transaction coordinator yet
  // ("Not coordinator"): a new producer asks again until the deadline.
  auto new_producer = [&] {
    return NewKafkaClient(RD_KAFKA_PRODUCER, settings, extra_, [](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_dr_msg_cb(conf, &TransactionalWriter::OnDelivery);
    });
  };
  auto client = new_producer();
  constexpr auto kRetryPause = std::chrono::milliseconds(200);
  for (;;) {
    if (!client) return client.error();
    KafkaError e{rd_kafka_init_transactions(client->get(), MsLeft(deadline))};
    if (!e) break;
    if (Clock::now() + kRetryPause >= deadline)
      return base::MakeError(ErrorCode::kUnavailable, std::string("Kafka transactions could not start: ") +
                                                            rd_kafka_error_string(e.get()));
    std::this_thread::sleep_for(kRetryPause);
    client = new_producer();
  }
  std::vector<KafkaTopic> topics;
  for (const auto& name : topic_names_) {
    topics.emplace_back(rd_kafka_topic_new(client->get(), name.c_str(), nullptr));
    const rd_kafka_metadata_t* md = nullptr;
    if (!topics.back() ||
        rd_kafka_metadata(client->get(), 0, topics.back().get(), &md, MsLeft(deadline)) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return base::MakeError(ErrorCode::kUnavailable, "Kafka metadata of " + name + " is not available");
    rd_kafka_metadata_destroy(md);
  }
  producer.client = std::move(*client);
  producer.topics = std::move(topics);
  return {};
}

base::Status TransactionalWriter::Write(std::vector<OutgoingMessage> group, Done done) {
  std::lock_guard lock(mu_);
  if (stopping_) return base::MakeError(ErrorCode::kUnavailable, "the log is closing");
  queue_.push_back({std::move(group), std::move(done), {}});
  cv_.notify_one();
  return {};
}

void TransactionalWriter::Run() {
  for (;;) {
    std::vector<Group> groups;
    {
      std::unique_lock lock(mu_);
      // Unsettled, the writer tries to settle before anything else, again
      // every kSettleRetry while it fails (the log takes no appends then).
      if (unsettled_) {
        lock.unlock();
        Settle();
        lock.lock();
        if (unsettled_) {
          lock.unlock();
          FailQueued("an earlier Kafka write is not settled yet; the call was not stored");
          lock.lock();
          cv_.wait_for(lock, kSettleRetry, [&] { return stopping_; });
          if (stopping_) break;
          continue;
        }
      }
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      while (!queue_.empty() && groups.size() < kMaxGroupsPerTransaction) {
        groups.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (Commit(groups)) continue;
    // The log resyncs after a failure and refuses appends meanwhile: the
    // groups queued behind it are answered now rather than after more tries.
    FailQueued("an earlier Kafka transaction failed; the call was not stored");
  }
  FailQueued("the log is closing");
}

void TransactionalWriter::Settle() {
  if (Prepare(producers_[turn_], Clock::now() + timeout_)) unsettled_ = false;
}

void TransactionalWriter::FailQueued(const std::string& why) {
  std::deque<Group> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (auto& group : left) group.done(base::MakeError(ErrorCode::kUnavailable, why));
}

bool TransactionalWriter::Commit(std::vector<Group>& groups) {
  auto fail_all = [&](const base::Error& error) {
    for (auto& group : groups) group.done(error);
    return false;
  };
  // One deadline for the whole transaction, a new producer included.
  auto deadline = Clock::now() + timeout_;
  if (auto ready = Prepare(producers_[turn_], deadline); !ready)
    return fail_all({ErrorCode::kUnavailable, ready.error().message + "; the call was not stored"});
  unsettled_ = false;  // a new producer's start settled what an earlier one in its turn left open
  rd_kafka_t* rk = producers_[turn_].client.get();
  if (KafkaError e{rd_kafka_begin_transaction(rk)}) return fail_all(Fail("begin", e.get(), false));
  for (auto& group : groups) {
    group.written.resize(group.messages.size());
    for (size_t i = 0; i < group.messages.size(); ++i) {
      const auto& m = group.messages[i];
      if (auto err = ProduceMessage(rk, m.topic, m.message, m.timestamp_ms, &group.written[i])) {
        KafkaError e{rd_kafka_error_new(err, "%s", KafkaErrorText(err).c_str())};
        return fail_all(Fail("produce", e.get(), true));
      }
    }
  }
  // Serves the delivery reports as they come: the commit's own flush polls
  // in 10 ms steps (librdkafka 2.0), which measured as most of a commit.
  while (rd_kafka_outq_len(rk) > 0 && Clock::now() < deadline) rd_kafka_poll(rk, 1);
  // Commits (flushing whatever is left); a commit that timed out is retried while time is left.
  for (;;) {
    KafkaError e{rd_kafka_commit_transaction(rk, MsLeft(deadline))};
    if (!e) break;
    if (!rd_kafka_error_is_retriable(e.get()) || Clock::now() >= deadline)
      return fail_all(Fail("commit", e.get(), true));
  }
  turn_ = (turn_ + 1) % producers_.size();
  for (auto& group : groups) group.done(std::move(group.written));
  return true;
}

base::Error TransactionalWriter::Fail(const std::string& step, rd_kafka_error_t* error, bool produced) {
  std::string why = "the Kafka transaction failed at " + step + " (" + rd_kafka_error_string(error) + ")";
  // A transaction that is aborted stores nothing. One that cannot be aborted
  // (the commit may have gone through, the producer is fenced or fatal) is
  // settled by a new producer's init_transactions, here, before the calls
  // are answered: the log's resync then reads a decided log.
  Producer& producer = producers_[turn_];
  KafkaError aborted;
  if (produced) aborted.reset(rd_kafka_abort_transaction(producer.client.get(), static_cast<int>(timeout_.count())));
  rd_kafka_purge(producer.client.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(producer.client.get(), 0);
  // Fenced, the transaction is the other producer's to abort; a new
  // producer here would fence it back.
  bool fenced = IsFencing(error) || IsFencing(aborted.get()) || IsFenced(producer.client.get());
  producer.topics.clear();
  producer.client.reset();
  if (fenced) {
    fenced_ = true;
    // A commit the other producer's start completed may have gone through.
    return {ErrorCode::kUnavailable, std::string(kFencedWhy) + (step == "commit"
                                                                    ? "; the call may or may not be stored"
                                                                    : "; the call was not stored")};
  }
  if (!aborted) return {ErrorCode::kUnavailable, why + "; the call was not stored"};
  // The outcome is unknown until a new producer fences the old one: the
  // writer tries until it has (settled() false meanwhile), with a timeout
  // of its own per try, and the log resyncs only after.
  unsettled_ = true;
  return {ErrorCode::kUnavailable, why + ", and aborting it failed (" + rd_kafka_error_string(aborted.get()) +
                                       "); the call may or may not be stored"};
}

void TransactionalWriter::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  // A failed message fails the commit; only where the stored ones landed matters.
  if (m->err) return;
  auto* written = static_cast<WrittenMessage*>(m->_private);
  *written = {m->partition, static_cast<uint64_t>(m->offset)};
}

}  // namespace ledger::log
