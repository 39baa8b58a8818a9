// The embedded log's contract, one process, one writer.

#include "log/embedded/embedded_log.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "log/embedded/log_format.h"
#include "tests/log/log_test_support.h"

namespace ledger::log {
namespace {

using base::ErrorCode;
using testing::AppendAndWait;
using testing::ChainVerifies;
using testing::MakeRecord;
using testing::OpenOrDie;
using testing::StreamEvents;
using testing::TempDir;

constexpr char kRequests[] = "311.requests";
constexpr char kContacts[] = "311.contacts";

TEST(EmbeddedLog, AppendedEventsReadBackChainedFromOffsetZero) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  std::vector<events::StoredEvent> acked;
  for (uint64_t version = 0; version < 3; ++version) {
    auto result = AppendAndWait(*log, {MakeRecord(kRequests, "SR-1", version)});
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->size(), 1u);
    acked.push_back((*result)[0]);
  }

  auto read = log->Read({kRequests, 0}, 0, 10);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->events.size(), 3u);
  EXPECT_EQ(read->next, 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read->events[i].offset, i);
    EXPECT_EQ(read->events[i].event.sequence, i + 1);
    EXPECT_EQ(read->events[i].event, acked[i].event);
    EXPECT_EQ(acked[i].offset, i);
  }
  EXPECT_TRUE(read->events[0].event.prevhash.empty());
  EXPECT_TRUE(ChainVerifies(StreamEvents(*log, kRequests, "SR-1")));
  EXPECT_EQ(log->EndOffset({kRequests, 0}), 3u);
  EXPECT_EQ(log->EndOffset({kContacts, 0}), 0u);
}

TEST(EmbeddedLog, ReadHonoursStartMaxAndPartition) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(AppendAndWait(*log, {MakeRecord(kRequests, "SR-1")}).ok());
  ASSERT_TRUE(AppendAndWait(*log, {MakeRecord("311.requestsX", "SR-9")}).ok());

  auto middle = log->Read({kRequests, 0}, 2, 2);
  ASSERT_TRUE(middle.ok());
  ASSERT_EQ(middle->events.size(), 2u);
  EXPECT_EQ(middle->events[0].offset, 2u);
  EXPECT_EQ(middle->events[1].offset, 3u);
  EXPECT_EQ(middle->next, 4u);
  auto tail = log->Read({kRequests, 0}, 4, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->events.size(), 1u);  // stops at its own topic, not the next one
  EXPECT_EQ(tail->events[0].event.subject, "SR-1");
  auto other_partition = log->Read({kRequests, 1}, 0, 100);
  ASSERT_TRUE(other_partition.ok());
  EXPECT_TRUE(other_partition->events.empty());
  EXPECT_EQ(other_partition->next, 0u);
  EXPECT_EQ(log->EndOffset({kRequests, 1}), 0u);
  auto topics = log->TopicPartitions();
  EXPECT_EQ(topics, (std::vector<events::TopicPartition>{{kRequests, 0}, {"311.requestsX", 0}}));
}

TEST(EmbeddedLog, ExpectedVersionZeroOnExistingStreamConflicts) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  ASSERT_TRUE(AppendAndWait(*log, {MakeRecord(kRequests, "SR-1", 0)}).ok());

  auto again = AppendAndWait(*log, {MakeRecord(kRequests, "SR-1", 0)});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "request SR-1 is at version 1, not 0");
  EXPECT_EQ(log->EndOffset({kRequests, 0}), 1u);
}

TEST(EmbeddedLog, MultiRecordAppendAcrossTopicsIsAtomic) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  auto both =
      AppendAndWait(*log, {MakeRecord(kContacts, "CT-1", 0), MakeRecord(kRequests, "SR-1", 0)});
  ASSERT_TRUE(both.ok()) << both.error().message;
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].where.topic, kContacts);
  EXPECT_EQ((*both)[1].where.topic, kRequests);

  // The contact would be fine; the request's stale version refuses both.
  auto refused =
      AppendAndWait(*log, {MakeRecord(kContacts, "CT-2", 0), MakeRecord(kRequests, "SR-1", 0)});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(log->EndOffset({kContacts, 0}), 1u);
  EXPECT_EQ(log->EndOffset({kRequests, 0}), 1u);
  EXPECT_TRUE(StreamEvents(*log, kContacts, "CT-2").empty());
}

TEST(EmbeddedLog, RecordsOfOneCallChainOnTheSameStream) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  auto result = AppendAndWait(
      *log, {MakeRecord(kRequests, "SR-1", 0), MakeRecord(kRequests, "SR-1", 1),
             MakeRecord(kRequests, "SR-1")});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(ChainVerifies(StreamEvents(*log, kRequests, "SR-1")));
  EXPECT_EQ(StreamEvents(*log, kRequests, "SR-1").size(), 3u);
}

TEST(EmbeddedLog, InvalidRecordsAreRefusedWithoutStoringAnything) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  auto empty = AppendAndWait(*log, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  auto bad_topic = MakeRecord(kRequests, "SR-1");
  bad_topic.copy_topics = {std::string("311.dept\0DOT", 12)};
  auto refused = AppendAndWait(*log, {bad_topic});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  auto no_subject = AppendAndWait(*log, {MakeRecord(kRequests, "")});
  ASSERT_FALSE(no_subject.ok());
  EXPECT_EQ(no_subject.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(log->TopicPartitions().empty());
}

TEST(EmbeddedLog, CopiesAreStoredByteIdenticalOnCopyTopics) {
  TempDir dir;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_TRUE(log);
    ASSERT_TRUE(AppendAndWait(*log, {MakeRecord("311.dept.PW", "SR-0")}).ok());
    auto record = MakeRecord(kRequests, "SR-1", 0);
    record.copy_topics = {"311.dept.DOT", "311.dept.PW"};
    auto result = AppendAndWait(*log, {record});
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->size(), 3u);
    EXPECT_EQ((*result)[0].where.topic, kRequests);
    EXPECT_EQ((*result)[1].where.topic, "311.dept.DOT");
    EXPECT_EQ((*result)[1].offset, 0u);
    EXPECT_EQ((*result)[2].where.topic, "311.dept.PW");
    EXPECT_EQ((*result)[2].offset, 1u);
    EXPECT_EQ((*result)[1].event, (*result)[0].event);
    EXPECT_EQ((*result)[2].event, (*result)[0].event);
  }
  // Look at the stored bytes themselves, under the documented key layout.
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {kEventsFamily, {}}, {kStreamsFamily, {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly({}, dir.path(), families, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string primary, dot, pw;
  ASSERT_TRUE(db->Get({}, handles[1], EventKey(kRequests, 0), &primary).ok());
  ASSERT_TRUE(db->Get({}, handles[1], EventKey("311.dept.DOT", 0), &dot).ok());
  ASSERT_TRUE(db->Get({}, handles[1], EventKey("311.dept.PW", 1), &pw).ok());
  EXPECT_EQ(dot, primary);
  EXPECT_EQ(pw, primary);
  auto decoded = events::DecodeEvent(primary);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(events::EncodeCanonical(*decoded), primary);
  EXPECT_TRUE(events::VerifyLink(*decoded, ""));
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
}

TEST(EmbeddedLog, ReopenRecoversEndOffsetsAndContinuesChains) {
  TempDir dir;
  std::string last_hash;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_TRUE(log);
    for (uint64_t version = 0; version < 3; ++version) {
      auto result = AppendAndWait(*log, {MakeRecord(kRequests, "SR-1", version)});
      ASSERT_TRUE(result.ok());
      last_hash = (*result)[0].event.hash;
    }
    ASSERT_TRUE(
        AppendAndWait(*log, {MakeRecord(kContacts, "CT-1"), MakeRecord(kContacts, "CT-2")}).ok());
  }
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->EndOffset({kRequests, 0}), 3u);
  EXPECT_EQ(log->EndOffset({kContacts, 0}), 2u);
  EXPECT_EQ(log->TopicPartitions(),
            (std::vector<events::TopicPartition>{{kContacts, 0}, {kRequests, 0}}));

  auto stale = AppendAndWait(*log, {MakeRecord(kRequests, "SR-1", 0)});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  auto next = AppendAndWait(*log, {MakeRecord(kRequests, "SR-1", 3)});
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ((*next)[0].offset, 3u);
  EXPECT_EQ((*next)[0].event.sequence, 4u);
  EXPECT_EQ((*next)[0].event.prevhash, last_hash);
  EXPECT_TRUE(ChainVerifies(StreamEvents(*log, kRequests, "SR-1")));
}

TEST(EmbeddedLog, ClosingCompletesQueuedAppends) {
  TempDir dir;
  std::vector<std::future<testing::AppendResult>> pending;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_TRUE(log);
    for (int i = 0; i < 200; ++i)
      pending.push_back(testing::AppendAsync(*log, {MakeRecord(kRequests, "SR-1")}));
  }
  for (auto& future : pending) {
    auto result = future.get();
    EXPECT_TRUE(result.ok());
  }
  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->EndOffset({kRequests, 0}), 200u);
  EXPECT_TRUE(ChainVerifies(StreamEvents(*log, kRequests, "SR-1")));
}

}  // namespace
}  // namespace ledger::log

namespace ledger::log {
namespace {

// A reader that has seen offset N of a topic is woken by offset N+1 even if
// it was appended before the reader started waiting, and is not woken by
// other topics or by what it has already seen.
TEST(EmbeddedLog, WaitForAppendSeesWhatLandedBeforeTheWaitAndNothingElse) {
  testing::TempDir dir;
  auto log = testing::OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  events::TopicPartition requests{"311.requests", 0}, contacts{"311.contacts", 0};
  ASSERT_TRUE(testing::AppendAndWait(*log, {testing::MakeRecord("311.requests", "SR-1")}).ok());
  // Already there: true at once, however long the timeout.
  EXPECT_TRUE(log->WaitForAppend({{requests, 0}}, std::chrono::hours(1)));
  // Seen already, and a topic with nothing: false after the timeout.
  EXPECT_FALSE(log->WaitForAppend({{requests, 1}, {contacts, 0}}, std::chrono::milliseconds(20)));
  ASSERT_TRUE(testing::AppendAndWait(*log, {testing::MakeRecord("311.contacts", "CT-1")}).ok());
  EXPECT_TRUE(log->WaitForAppend({{requests, 1}, {contacts, 0}}, std::chrono::hours(1)));
}

}  // namespace
}  // namespace ledger::log
