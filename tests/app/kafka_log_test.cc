// The Kafka log on the real test broker, where transactions are real: a
// call of several records is stored all or nothing, and a rebuild to given
// positions stops there although transaction markers take offsets between
// events (`ledger verify` beside a running server rebuilds up to the live
// state's positions while the log has grown past them).

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "projections/state_store.h"
#include "src/app/projection_runner.h"
#include "log/kafka/kafka_log.h"
#include "tests/log/log_test_support.h"
#include "tests/support/shipped_catalog.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ledger.h"

namespace ledger::app {
namespace {

using log::testing::AppendAndWait;
using log::testing::MakeRecord;

constexpr char kRequests[] = "311.requests";
constexpr char kContacts[] = "311.contacts";

// A writing Kafka log on the test broker, under a prefix of its own, on
// one-partition topics; `contacts_max_bytes` bounds 311.contacts records.
std::unique_ptr<events::EventLog> OpenTestLog(const std::string& prefix, int contacts_max_bytes) {
  log::KafkaLogOptions options;
  options.brokers = testing::TestBrokers();
  options.topic_prefix = prefix;
  options.transactional_id = prefix + "calls";
  options.topics = {{kRequests, 1, 1, {}},
                    {kContacts, 1, 1, {{"max.message.bytes", std::to_string(contacts_max_bytes)}}}};
  options.known_topics = {kRequests, kContacts};
  // New streams only, and no projections to wait for.
  options.head_of = [](const std::string&, const std::string&) -> base::Result<log::StreamHeadView> {
    return log::StreamHeadView{};
  };
  options.projected_past = [](const Positions&) { return true; };
  auto opened = log::OpenKafkaLog(options);
  EXPECT_TRUE(opened) << opened.error().message;
  return opened ? std::move(*opened) : nullptr;
}

// A read-only Kafka log on `prefix`'s topics.
std::unique_ptr<events::EventLog> OpenTestReader(const std::string& prefix) {
  log::KafkaLogOptions options;
  options.brokers = testing::TestBrokers();
  options.topic_prefix = prefix;
  options.read_only = true;
  options.known_topics = {kRequests, kContacts};
  auto opened = log::OpenKafkaLog(options);
  EXPECT_TRUE(opened) << opened.error().message;
  return opened ? std::move(*opened) : nullptr;
}

// The subjects a read_committed reader finds in `topic`, partition 0.
std::vector<std::string> SubjectsIn(events::EventLog& log, const std::string& topic) {
  std::vector<std::string> subjects;
  events::TopicPartition tp{topic, 0};
  for (uint64_t from = 0; from < log.EndOffset(tp);) {
    auto read = log.Read(tp, from, 100);
    EXPECT_TRUE(read) << read.error().message;
    if (!read || read->next == from) break;
    for (const auto& e : read->events) subjects.push_back(e.event.subject);
    from = read->next;
  }
  return subjects;
}

TEST(KafkaLogOnABroker, ACallOfSeveralRecordsIsStoredAllOrNothing) {
  std::string prefix = testing::TestTopicPrefix("atomic");
  auto kafka = OpenTestLog(prefix, 2048);
  ASSERT_TRUE(kafka);
  // The broker refuses the contact (too large for its topic) after the
  // request may already sit in 311.requests: the transaction must hide it.
  auto big = MakeRecord(kContacts, "CT-big", 0);
  std::mt19937 rng(7);
  std::string noise(16000, ' ');  // random letters: lz4 cannot shrink them below the limit
  for (char& c : noise) c = static_cast<char>('a' + rng() % 26);
  big.event.data["note"] = noise;
  auto refused = AppendAndWait(*kafka, {std::move(big), MakeRecord(kRequests, "SR-big", 0)});
  ASSERT_FALSE(refused) << "a call the broker refused in part was acknowledged";
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnavailable) << refused.error().message;
  base::Result<std::vector<events::StoredEvent>> stored = refused.error();
  for (int attempt = 0; attempt < 100 && !stored; ++attempt) {  // the log resyncs first
    stored = AppendAndWait(*kafka, {MakeRecord(kContacts, "CT-ok", 0), MakeRecord(kRequests, "SR-ok", 0)});
    if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(stored) << stored.error().message;

  auto reader = OpenTestReader(prefix);
  ASSERT_TRUE(reader);
  reader->TopicPartitions();  // learns the ends
  EXPECT_EQ(SubjectsIn(*reader, kRequests), std::vector<std::string>{"SR-ok"});
  EXPECT_EQ(SubjectsIn(*reader, kContacts), std::vector<std::string>{"CT-ok"});
}

// The message timestamp is the append time, not the event's own (an event
// of 1900 is appended now), and a reader gets it back with the event.
TEST(KafkaLogOnABroker, ReadersGetTheAppendTimeOfEveryEvent) {
  std::string prefix = testing::TestTopicPrefix("appended");
  auto kafka = OpenTestLog(prefix, 1 << 20);
  ASSERT_TRUE(kafka);
  int64_t before = events::NowMs();
  auto old = MakeRecord(kRequests, "SR-1900", 0);
  old.event.time_ms = -2'208'988'800'000;  // 1900-01-01
  auto stored = AppendAndWait(*kafka, {std::move(old), MakeRecord(kContacts, "CT-now", 0)});
  ASSERT_TRUE(stored) << stored.error().message;
  int64_t after = events::NowMs();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].appended_ms, (*stored)[1].appended_ms) << "one call, one time";
  EXPECT_GE((*stored)[0].appended_ms, before);
  EXPECT_LE((*stored)[0].appended_ms, after);

  auto reader = OpenTestReader(prefix);
  ASSERT_TRUE(reader);
  reader->TopicPartitions();
  for (const auto& where : *stored) {
    auto read = reader->Read(where.where, where.offset, 1);
    ASSERT_TRUE(read) << read.error().message;
    ASSERT_EQ(read->events.size(), 1u);
    EXPECT_EQ(read->events[0].event.subject, where.event.subject);
    EXPECT_EQ(read->events[0].appended_ms, where.appended_ms) << where.event.subject;
  }
}

TEST(KafkaLogOnABroker, RebuildStopsAtTheGivenPositionsWhenMarkersSitBetweenEvents) {
  std::string prefix = testing::TestTopicPrefix("rebuild");
  auto opened = OpenTestLog(prefix, 1'000'000);
  auto reader = OpenTestReader(prefix);
  ASSERT_TRUE(opened && reader);
  events::EventLog& kafka = *opened;

  // 311.requests[0]: SR-1 (a transaction's record) at 0, its marker at 1, SR-2 at 2; then SR-3.
  auto both = AppendAndWait(kafka, {MakeRecord(kContacts, "CT-1", 0), MakeRecord(kRequests, "SR-1", 0)});
  ASSERT_TRUE(both) << both.error().message;
  // The broker writes a commit's markers just after it answers the commit.
  events::TopicPartition requests{kRequests, 0};
  for (int i = 0; i < 250 && reader->EndOffset(requests) < both->back().offset + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reader->TopicPartitions();
  }
  auto second = AppendAndWait(kafka, {MakeRecord(kRequests, "SR-2", 0)});
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_GT(second->front().offset, both->back().offset + 1) << "no marker between the events";
  Positions until = {{{kRequests, 0}, second->front().offset + 1}, {{kContacts, 0}, both->front().offset + 1}};
  auto later = AppendAndWait(kafka, {MakeRecord(kRequests, "SR-3", 0)});
  ASSERT_TRUE(later) << later.error().message;

  ledger::testing::TempDir dir;
  auto store = projections::StateStore::Open(dir.Sub("state"), projections::OpenMode::kRebuild,
                                             ledger::testing::ShippedCatalog());
  ASSERT_TRUE(store) << store.error().message;
  auto rebuilt = Rebuild(kafka, **store, until, 1000);
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  EXPECT_EQ(rebuilt->events, 3u) << "the rebuild read past the positions it was given";
  EXPECT_EQ((*store)->Positions()[requests], second->front().offset + 1);
}

}  // namespace
}  // namespace ledger::app
