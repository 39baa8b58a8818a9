#include "tests/log_kafka_mock/fault_harness.h"

#include <future>

#include "tests/log/log_test_support.h"

namespace ledger::log::testing {

using namespace std::chrono_literals;

bool ReadBack::CatchUp(const Positions& ends) {
  events::EventLog* log = log_.load();
  if (log == nullptr) return false;
  std::lock_guard read_lock(read_mu_);
  for (const auto& [tp, end] : ends) {
    uint64_t& next = next_[tp];
    while (next < end) {
      auto got = log->Read(tp, next, 500);
      if (!got || got->next == next) return false;
      std::lock_guard state_lock(state_mu_);
      for (const auto& stored : got->events)
        heads_[tp.topic + "/" + stored.event.subject] = {stored.event.sequence, stored.event.hash};
      next = got->next;
    }
  }
  return true;
}

base::Result<StreamHeadView> ReadBack::HeadOf(const std::string& topic,
                                               const std::string& subject) {
  std::lock_guard lock(state_mu_);
  auto it = heads_.find(topic + "/" + subject);
  return it == heads_.end() ? StreamHeadView{} : it->second;
}

KafkaLogOptions WriterOptions(const std::string& brokers, ReadBack& projection,
                              std::chrono::milliseconds produce_timeout) {
  KafkaLogOptions options;
  options.brokers = brokers;
  options.known_topics = {kTopic};  // created on the mock: it has no CreateTopics
  options.produce_timeout = produce_timeout;
  options.broker_timeout = 5s;
  options.client_id = "fault-test";
  options.head_of = [&projection](const std::string& topic, const std::string& subject) {
    return projection.HeadOf(topic, subject);
  };
  options.projected_past = [&projection](const Positions& ends) {
    return projection.CatchUp(ends);
  };
  return options;
}

KafkaLogOptions ReaderOptions(const std::string& brokers) {
  KafkaLogOptions options;
  options.brokers = brokers;
  options.read_only = true;
  options.known_topics = {kTopic};
  options.broker_timeout = 5s;
  options.client_id = "fault-test-check";
  return options;
}

Ingest::Ingest(events::EventLog& log, int partitions, int streams_per_partition,
               std::chrono::milliseconds answer_bound)
    : log_(log), answer_bound_(answer_bound) {
  std::string run = std::to_string(events::NowMs());
  std::map<int32_t, int> streams;  // per partition
  for (int i = 0; i < 50 * partitions * streams_per_partition; ++i) {
    std::string subject = "req-" + run + "-" + std::to_string(i);
    int32_t partition = -1;
    if (!AppendOne(subject, &partition)) return;
    if (partition < 0 || streams[partition] >= streams_per_partition) continue;
    ++streams[partition];
    threads_.emplace_back([this, subject] { Run(subject); });
    if (threads_.size() == static_cast<size_t>(partitions * streams_per_partition)) return;
  }
  ADD_FAILURE() << "could not place " << streams_per_partition << " streams on each of "
                << partitions << " partitions";
}

bool Ingest::AppendOne(const std::string& subject, int32_t* partition) {
  auto answer = AppendAsync(log_, {MakeRecord(kTopic, subject)});
  if (answer.wait_for(answer_bound_) != std::future_status::ready) {
    ADD_FAILURE() << "an append on " << subject << " got no answer within " << answer_bound_.count()
                  << " ms";
    return false;
  }
  auto result = answer.get();
  {
    std::lock_guard lock(mu_);
    if (result) {
      acked_.insert(acked_.end(), result->begin(), result->end());
      if (partition) *partition = result->front().where.partition;
    } else if (result.error().code == base::ErrorCode::kUnavailable) {
      ++refused_;
      refusals_.insert(result.error().message);
    } else {
      ADD_FAILURE() << "append on " << subject << ": " << result.error().message;
      return false;
    }
  }
  answered_.notify_all();
  // Paced like a busy intake, not a benchmark: the mock keeps only 5 MB per partition.
  std::this_thread::sleep_for(result ? 5ms : 50ms);
  return true;
}

void Ingest::Run(const std::string& subject) {
  while (!stop_ && AppendOne(subject)) {
  }
}

bool Ingest::AwaitAcks(size_t more, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  size_t target = acked_.size() + more;
  return answered_.wait_for(lock, timeout, [&] { return acked_.size() >= target; });
}

bool Ingest::AwaitRefusals(size_t more, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  size_t target = refused_ + more;
  return answered_.wait_for(lock, timeout, [&] { return refused_ >= target; });
}

void Ingest::Stop() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::vector<events::StoredEvent> Ingest::acked() const {
  std::lock_guard lock(mu_);
  return acked_;
}

size_t Ingest::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

std::string Ingest::refusals() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& r : refusals_) out += r + "\n";
  return out;
}

base::Result<StoredByPartition> ReadAll(events::EventLog& log, const Positions& ends,
                                          size_t batch,
                                          const std::function<void(int round)>& between) {
  constexpr auto kPatience = 10s;
  struct Progress {
    uint64_t next = 0;
    std::chrono::steady_clock::time_point last_moved = std::chrono::steady_clock::now();
  };
  std::map<events::TopicPartition, Progress> reading;
  for (const auto& [tp, end] : ends)
    if (end > 0) reading[tp];
  StoredByPartition out;
  for (int round = 1; !reading.empty(); ++round) {
    bool moved = false;
    for (auto it = reading.begin(); it != reading.end();) {
      const auto& [tp, progress] = *it;
      auto got = log.Read(tp, progress.next, batch);
      if (got && got->next > progress.next) {
        out[tp.partition].insert(out[tp.partition].end(), got->events.begin(), got->events.end());
        it->second = {got->next, std::chrono::steady_clock::now()};
        moved = true;
      } else if (!got && got.error().code != base::ErrorCode::kUnavailable) {
        return got.error();
      } else if (std::chrono::steady_clock::now() - progress.last_moved > kPatience) {
        return got ? base::MakeError(base::ErrorCode::kUnavailable,
                                       "Read gave nothing at " + std::to_string(progress.next))
                   : got.error();
      }
      it = it->second.next >= ends.at(tp) ? reading.erase(it) : std::next(it);
    }
    if (between) between(round);
    if (!moved) std::this_thread::sleep_for(100ms);
  }
  return out;
}

StoredByPartition ReadEverything(const std::string& brokers) {
  auto reader = OpenKafkaLog(ReaderOptions(brokers));
  if (!reader) {
    ADD_FAILURE() << "read-only log: " << reader.error().message;
    return {};
  }
  Positions ends;
  for (const auto& tp : (*reader)->TopicPartitions()) ends[tp] = (*reader)->EndOffset(tp);
  auto stored = ReadAll(**reader, ends, 1000);
  if (!stored) {
    ADD_FAILURE() << "reading " << kTopic << ": " << stored.error().message;
    return {};
  }
  return std::move(*stored);
}

::testing::AssertionResult LogIsIntact(const StoredByPartition& stored,
                                       const std::vector<events::StoredEvent>& acked, bool dense) {
  std::map<std::string, const events::StoredEvent*> by_id;
  std::map<std::string, std::vector<events::Event>> streams;
  for (const auto& [partition, events] : stored) {
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (dense ? e.offset != i : i > 0 && e.offset <= events[i - 1].offset)
        return ::testing::AssertionFailure()
               << "partition " << partition << " gave offset " << e.offset << " after "
               << (i > 0 ? std::to_string(events[i - 1].offset) : "none");
      if (!by_id.emplace(e.event.id, &e).second)
        return ::testing::AssertionFailure() << "event " << e.event.id << " is stored twice";
      streams[e.event.subject].push_back(e.event);
    }
  }
  for (const auto& a : acked) {
    auto it = by_id.find(a.event.id);
    if (it == by_id.end())
      return ::testing::AssertionFailure() << "acknowledged event " << a.event.id << " is lost";
    const events::StoredEvent& s = *it->second;
    if (s.where.partition != a.where.partition || s.offset != a.offset)
      return ::testing::AssertionFailure()
             << "event " << a.event.id << " was acknowledged at " << a.where.partition << "@"
             << a.offset << " but is stored at " << s.where.partition << "@" << s.offset;
    if (s.event.sequence != a.event.sequence || s.event.hash != a.event.hash)
      return ::testing::AssertionFailure()
             << "event " << a.event.id << " is stored unlike acknowledged";
  }
  for (const auto& [subject, stream] : streams)
    if (auto chained = ChainVerifies(stream); !chained)
      return ::testing::AssertionFailure() << "stream " << subject << ": " << chained.message();
  return ::testing::AssertionSuccess();
}

}  // namespace ledger::log::testing
