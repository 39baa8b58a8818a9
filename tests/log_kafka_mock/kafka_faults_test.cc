// The Kafka EventLog under faults injected by librdkafka's mock cluster:
// leader changes, transient and slow broker answers, brokers down, fetch
// errors and a fatal producer error. Each test drives the log only through
// the EventLog interface and then reads the whole topic back.

#include <chrono>
#include <memory>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "log/kafka/internal/transactional_writer.h"
#include "tests/log/log_test_support.h"
#include "tests/log_kafka_mock/fault_harness.h"
#include "tests/log_kafka_mock/mock_cluster.h"

namespace ledger::log::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int kBrokers = 3;
constexpr int kPartitions = 3;

// Polls `condition` every 20 ms; false if it does not hold within `timeout`.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class KafkaLogUnderFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.up());
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_.get(), kTopic, kPartitions, kBrokers),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int32_t p = 0; p < kPartitions; ++p) SetLeader(p, LeaderAt(p, 0));
  }

  // Partition p is led by broker p+1 at first; each round moves every leader on.
  static int32_t LeaderAt(int32_t partition, int round) {
    return (partition + round) % kBrokers + 1;
  }

  void SetLeader(int32_t partition, int32_t broker) {
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(cluster_.get(), kTopic, partition, broker),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  std::unique_ptr<events::EventLog> OpenWriter(std::chrono::milliseconds produce_timeout) {
    auto log = OpenKafkaLog(WriterOptions(cluster_.bootstraps(), projection_, produce_timeout));
    if (!log) {
      ADD_FAILURE() << "open: " << log.error().message;
      return nullptr;
    }
    projection_.Attach(log->get());
    return std::move(*log);
  }

  // True once no broker holds an injected error for `api` any more.
  bool InjectedErrorsConsumed(int16_t api) {
    for (int32_t b = 1; b <= kBrokers; ++b) {
      size_t left = 0;
      if (rd_kafka_mock_broker_error_stack_cnt(cluster_.get(), b, api, &left) || left > 0)
        return false;
    }
    return true;
  }

  // Takes `broker` (-1: every broker) down during appends and brings it back:
  // every append is answered within 3x produce_timeout, refusals are
  // kUnavailable, Problem() says what is wrong while it lasts, the log takes
  // appends again by itself, and nothing acknowledged is lost or duplicated.
  void SurviveOutage(int32_t broker) {
    constexpr auto kProduceTimeout = 2s;
    auto log = OpenWriter(kProduceTimeout);
    ASSERT_TRUE(log);
    Ingest ingest(*log, kPartitions, 1, 3 * kProduceTimeout);
    ASSERT_TRUE(ingest.AwaitAcks(30, 10s));
    ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_TRUE(ingest.AwaitRefusals(kPartitions, 10s));
    EXPECT_TRUE(Eventually([&] { return !log->Problem().empty(); }, 5s));
    EXPECT_THAT(log->Problem(), HasSubstr("Kafka"));
    ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_.get(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_TRUE(ingest.AwaitAcks(30, 20s)) << "appends did not resume: " << log->Problem();
    EXPECT_TRUE(Eventually([&] { return log->Problem().empty(); }, 5s)) << log->Problem();
    ingest.Stop();

    EXPECT_GT(ingest.refused(), 0u);
    EXPECT_TRUE(LogIsIntact(ReadEverything(cluster_.bootstraps()), ingest.acked()));
  }

  MockCluster cluster_{kBrokers};  // first: outlives every client of it
  ReadBack projection_;
};

TEST_F(KafkaLogUnderFaults, LeaderChangesDuringAppendsLoseDuplicateAndReorderNothing) {
  auto log = OpenWriter(5s);
  ASSERT_TRUE(log);
  Ingest ingest(*log, kPartitions, 2, 15s);
  ASSERT_TRUE(ingest.AwaitAcks(60, 10s));
  for (int round = 1; round <= 3; ++round) {
    for (int32_t p = 0; p < kPartitions; ++p) SetLeader(p, LeaderAt(p, round));
    ASSERT_TRUE(ingest.AwaitAcks(60, 10s)) << "appends stalled after leader change " << round;
  }
  ingest.Stop();

  EXPECT_EQ(ingest.refused(), 0u) << ingest.refusals();
  EXPECT_TRUE(LogIsIntact(ReadEverything(cluster_.bootstraps()), ingest.acked()));
}

TEST_F(KafkaLogUnderFaults, TransientProduceErrorsAreRetriedWithoutDuplicates) {
  auto log = OpenWriter(5s);
  ASSERT_TRUE(log);
  Ingest ingest(*log, kPartitions, 2, 15s);
  ASSERT_TRUE(ingest.AwaitAcks(30, 10s));
  // Each broker fails its next Produce requests with errors a cluster gives
  // while it moves leaders or is short of replicas; some answers come late,
  // one broker drops the connection mid-request.
  auto push = [&](int32_t broker, rd_kafka_resp_err_t first, int first_rtt_ms,
                  rd_kafka_resp_err_t second, int second_rtt_ms, rd_kafka_resp_err_t third) {
    ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(cluster_.get(), broker, kProduceRequest,
                                                           3, first, first_rtt_ms, second,
                                                           second_rtt_ms, third, 0),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  };
  push(1, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 800,
       RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  push(2, RD_KAFKA_RESP_ERR__TRANSPORT, 0, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, 300,
       RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR);
  push(3, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 500,
       RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 0,
       RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  EXPECT_TRUE(Eventually([&] { return InjectedErrorsConsumed(kProduceRequest); }, 15s))
      << "the injected errors never met a Produce request";
  ASSERT_TRUE(ingest.AwaitAcks(60, 10s));
  ingest.Stop();

  EXPECT_EQ(ingest.refused(), 0u) << ingest.refusals();
  EXPECT_TRUE(LogIsIntact(ReadEverything(cluster_.bootstraps()), ingest.acked()));
}

// librdkafka 2.0.2 bounds a Produce request in flight by its messages'
// timeout, so a slow broker shows as appends whose fate is unknown: the mock
// stores them, the log is told they timed out. The log must not chain the
// next event onto a guess of the stream's head.
TEST_F(KafkaLogUnderFaults, AnswersSlowerThanProduceTimeoutLeaveNoForkedStream) {
  constexpr auto kProduceTimeout = 1500ms;
  // Broker 1 is slowed as a partition leader only: a slow transaction
  // coordinator would hold the records back unsent (nothing of unknown fate).
  for (size_t turn = 0; turn < TransactionalWriter::kProducers; ++turn) {
    std::string id = KafkaLogOptions().transactional_id + "-" + std::to_string(turn);
    ASSERT_EQ(rd_kafka_mock_coordinator_set(cluster_.get(), "transaction", id.c_str(), 2),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  auto log = OpenWriter(kProduceTimeout);
  ASSERT_TRUE(log);
  Ingest ingest(*log, kPartitions, 2, 3 * kProduceTimeout);
  ASSERT_TRUE(ingest.AwaitAcks(30, 10s));
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster_.get(), 1, 2 * kProduceTimeout.count()),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(ingest.AwaitRefusals(1, 10s));
  EXPECT_TRUE(Eventually([&] { return !log->Problem().empty(); }, 5s));
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster_.get(), 1, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(ingest.AwaitAcks(60, 15s)) << "appends did not resume: " << log->Problem();
  ingest.Stop();

  EXPECT_THAT(ingest.refusals(), HasSubstr("may or may not be stored"));
  auto stored = ReadEverything(cluster_.bootstraps());
  size_t stored_count = 0;
  for (const auto& [partition, events] : stored) stored_count += events.size();
  EXPECT_GT(stored_count, ingest.acked().size()) << "no append of unknown fate was stored";
  EXPECT_TRUE(LogIsIntact(stored, ingest.acked()));
}

// A call of several records (a contact that creates a request) is one
// Kafka transaction: when its records are refused, the call is answered
// "not stored", and the log takes such calls again once it knows the
// streams' heads. (The mock neither aborts nor hides aborted records: that
// a partly refused call leaves nothing visible is proved on the real
// broker, tests/app/kafka_log_test.cc.)
TEST_F(KafkaLogUnderFaults, ARefusedTransactionIsAnsweredNotStoredAndCallsResume) {
  auto log = OpenWriter(5s);
  ASSERT_TRUE(log);
  auto call = [](const std::string& tag) {
    return std::vector<events::AppendRecord>{MakeRecord(kTopic, "contact-" + tag, 0),
                                             MakeRecord(kTopic, "request-" + tag, 0)};
  };
  std::vector<events::StoredEvent> acked;
  auto first = AppendAndWait(*log, call("1"));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  acked = *first;

  // The next Produce requests fail for good: the transaction must abort.
  // Errors the failed call leaves unused fail the next tries too; the loop
  // below retries through them.
  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceRequest, 2,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  auto failed = AppendAndWait(*log, call("2"));
  ASSERT_FALSE(failed) << "a call whose records were refused was acknowledged";
  EXPECT_EQ(failed.error().code, base::ErrorCode::kUnavailable);
  EXPECT_THAT(failed.error().message, HasSubstr("the call was not stored"));

  base::Result<std::vector<events::StoredEvent>> third = failed.error();
  EXPECT_TRUE(Eventually([&] {
    third = AppendAndWait(*log, call("3"));
    return third.ok();
  }, 20s)) << "calls of several records did not resume: " << third.error().message;
  if (third) acked.insert(acked.end(), third->begin(), third->end());

  auto stored = ReadEverything(cluster_.bootstraps());
  size_t count = 0;
  for (const auto& [partition, events] : stored)
    for (const auto& e : events) {
      ++count;
      EXPECT_EQ(e.event.subject.find("-2"), std::string::npos)
          << e.event.subject << " of the failed call is stored";
    }
  EXPECT_EQ(count, acked.size());
  EXPECT_TRUE(LogIsIntact(stored, acked, /*dense=*/false));
}

TEST_F(KafkaLogUnderFaults, AllBrokersDownRefusesAppendsInBoundedTimeAndRecovers) {
  SurviveOutage(-1);
}

// The mock moves no leader off a broker that is down: partition 0 has none
// until its broker returns.
TEST_F(KafkaLogUnderFaults, LeaderDownRefusesAppendsInBoundedTimeAndRecovers) {
  SurviveOutage(LeaderAt(0, 0));
}

TEST_F(KafkaLogUnderFaults, ReadingAcrossLeaderChangesAndFetchErrorsSkipsAndRepeatsNothing) {
  std::vector<events::StoredEvent> acked;
  {
    auto log = OpenWriter(5s);
    ASSERT_TRUE(log);
    Ingest ingest(*log, kPartitions, 2, 15s);
    ASSERT_TRUE(ingest.AwaitAcks(150, 15s));
    ingest.Stop();
    acked = ingest.acked();
  }
  // Small fetches and almost no prefetch, so the faults land between fetches
  // of one partition instead of after it was all fetched.
  auto options = ReaderOptions(cluster_.bootstraps());
  options.extra_config = {{"fetch.message.max.bytes", "1024"}, {"queued.min.messages", "5"}};
  auto reader = OpenKafkaLog(options);
  ASSERT_TRUE(reader) << reader.error().message;

  Positions ends;
  for (const auto& tp : (*reader)->TopicPartitions()) ends[tp] = (*reader)->EndOffset(tp);
  ASSERT_EQ(ends.size(), static_cast<size_t>(kPartitions));
  int leader_changes = 0;
  auto faults = [&](int round) {
    if (round == 2 || round == 6) {
      ++leader_changes;
      for (int32_t p = 0; p < kPartitions; ++p) SetLeader(p, LeaderAt(p, leader_changes));
    }
    if (round == 4)
      for (int32_t b = 1; b <= kBrokers; ++b)
        rd_kafka_mock_broker_push_request_error_rtts(
            cluster_.get(), b, kFetchRequest, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
            RD_KAFKA_RESP_ERR__TRANSPORT, 0, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 300,
            RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, 0);
  };
  auto stored = ReadAll(**reader, ends, 4, faults);
  ASSERT_TRUE(stored) << stored.error().message;

  EXPECT_EQ(leader_changes, 2) << "the read ended before the faults";
  EXPECT_TRUE(Eventually([&] { return InjectedErrorsConsumed(kFetchRequest); }, 5s));
  EXPECT_TRUE(LogIsIntact(*stored, acked));
}

TEST_F(KafkaLogUnderFaults, AnOffsetTheBrokerDeniesIsAnErrorNeverASilentJump) {
  auto log = OpenWriter(5s);
  ASSERT_TRUE(log);
  {
    Ingest ingest(*log, kPartitions, 1, 15s);
    ASSERT_TRUE(ingest.AwaitAcks(30, 10s));
  }
  auto reader = OpenKafkaLog(ReaderOptions(cluster_.bootstraps()));
  ASSERT_TRUE(reader) << reader.error().message;
  events::TopicPartition tp{kTopic, 0};
  ASSERT_GT((*reader)->EndOffset(tp), 0u);
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(cluster_.get(), LeaderAt(0, 0),
                                                         kFetchRequest, 1,
                                                         RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE, 0),
            RD_KAFKA_RESP_ERR_NO_ERROR);

  auto denied = (*reader)->Read(tp, 0, 10);
  ASSERT_FALSE(denied.ok()) << "Read answered " << denied->events.size() << " events at a denied offset";
  EXPECT_EQ(denied.error().code, base::ErrorCode::kCorruption) << denied.error().message;
  auto again = (*reader)->Read(tp, 0, 10);
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_FALSE(again->events.empty());
  EXPECT_EQ(again->events.front().offset, 0u);
}

// An out-of-order sequence on the oldest request in flight leaves the
// producer unable to vouch for order or once-ness: librdkafka raises a fatal
// transaction error, and only a new producer (which fences the old one) can
// write again.
TEST_F(KafkaLogUnderFaults, FatalProducerErrorStartsANewProducerAndAppendsResume) {
  auto log = OpenWriter(5s);
  ASSERT_TRUE(log);
  Ingest ingest(*log, kPartitions, 1, 15s);
  ASSERT_TRUE(ingest.AwaitAcks(30, 10s));
  rd_kafka_mock_push_request_errors(cluster_.get(), kProduceRequest, 1,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  ASSERT_TRUE(ingest.AwaitRefusals(1, 10s));
  ASSERT_TRUE(ingest.AwaitAcks(30, 15s)) << "appends did not resume: " << log->Problem();
  EXPECT_TRUE(Eventually([&] { return log->Problem().empty(); }, 5s)) << log->Problem();
  ingest.Stop();

  EXPECT_THAT(ingest.refusals(), HasSubstr("sequence desynchronization"));
  EXPECT_TRUE(LogIsIntact(ReadEverything(cluster_.bootstraps()), ingest.acked()));
}

}  // namespace
}  // namespace ledger::log::testing
