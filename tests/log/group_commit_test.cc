// Group commit: many appends share one WriteBatch and one fsync, and the
// calls of a group are checked in order against each other.

#include <chrono>
#include <future>
#include <iostream>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "log/embedded/embedded_log.h"
#include "log/embedded/embedded_log_stats.h"
#include "tests/log/log_test_support.h"

namespace ledger::log {
namespace {

using base::ErrorCode;
using testing::AppendAndWait;
using testing::AppendAsync;
using testing::ChainVerifies;
using testing::MakeRecord;
using testing::StreamEvents;
using testing::TempDir;

constexpr char kRequests[] = "311.requests";

// Holds the writer thread inside an append's callback, so that the calls
// queued meanwhile are all taken by the next group.
class WriterPause {
 public:
  explicit WriterPause(events::EventLog& log) {
    log.Append({MakeRecord(kRequests, "SR-PAUSE")}, [this](testing::AppendResult) {
      entered_.set_value();
      release_.get_future().wait();
    });
    entered_.get_future().wait();
  }
  void Release() { release_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> release_;
};

TEST(GroupCommit, QueuedCallsShareOneWriteAndCheckVersionsInOrder) {
  TempDir dir;
  auto opened = OpenEmbeddedLog({.path = dir.path()});
  ASSERT_TRUE(opened.ok());
  auto& log = **opened;
  ASSERT_TRUE(AppendAndWait(log, {MakeRecord(kRequests, "SR-A", 0)}).ok());  // offset 0

  WriterPause pause(log);  // offset 1
  auto before = ReadEmbeddedLogStats(log);
  auto stale =
      AppendAsync(log, {MakeRecord(kRequests, "SR-C", 0), MakeRecord(kRequests, "SR-A", 5)});
  auto fresh = AppendAsync(log, {MakeRecord(kRequests, "SR-A", 1)});
  auto chained = AppendAsync(log, {MakeRecord(kRequests, "SR-A", 2)});  // sees `fresh`
  auto raced = AppendAsync(log, {MakeRecord(kRequests, "SR-A", 2)});    // lost to `chained`
  pause.Release();

  auto stale_result = stale.get();
  ASSERT_FALSE(stale_result.ok());
  EXPECT_EQ(stale_result.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale_result.error().message, "request SR-A is at version 1, not 5");
  auto fresh_result = fresh.get();
  ASSERT_TRUE(fresh_result.ok()) << fresh_result.error().message;
  EXPECT_EQ((*fresh_result)[0].offset, 2u);
  auto chained_result = chained.get();
  ASSERT_TRUE(chained_result.ok()) << chained_result.error().message;
  EXPECT_EQ((*chained_result)[0].offset, 3u);
  EXPECT_EQ((*chained_result)[0].event.sequence, 3u);
  auto raced_result = raced.get();
  ASSERT_FALSE(raced_result.ok());
  EXPECT_EQ(raced_result.error().message, "request SR-A is at version 3, not 2");

  auto after = ReadEmbeddedLogStats(log);
  EXPECT_EQ(after.group_commits - before.group_commits, 1u);
  EXPECT_EQ(after.appends_stored - before.appends_stored, 2u);
  EXPECT_EQ(log.EndOffset({kRequests, 0}), 4u);
  EXPECT_TRUE(ChainVerifies(StreamEvents(log, kRequests, "SR-A")));
  // The refused call left no trace of its first record either.
  EXPECT_TRUE(StreamEvents(log, kRequests, "SR-C").empty());
  EXPECT_TRUE(AppendAndWait(log, {MakeRecord(kRequests, "SR-C", 0)}).ok());
}

TEST(GroupCommit, GroupsHoldAtMostMaxGroupEvents) {
  TempDir dir;
  auto opened = OpenEmbeddedLog({.path = dir.path(), .max_group_events = 2});
  ASSERT_TRUE(opened.ok());
  auto& log = **opened;
  WriterPause pause(log);
  auto before = ReadEmbeddedLogStats(log);
  std::vector<std::future<testing::AppendResult>> pending;
  for (int i = 0; i < 5; ++i) pending.push_back(AppendAsync(log, {MakeRecord(kRequests, "SR-1")}));
  pause.Release();
  for (auto& future : pending) EXPECT_TRUE(future.get().ok());
  EXPECT_EQ(ReadEmbeddedLogStats(log).group_commits - before.group_commits, 3u);  // 2 + 2 + 1
}

TEST(GroupCommit, ConcurrentAppendersAreAllAcknowledgedWithDenseOffsets) {
  constexpr int kThreads = 8;
  constexpr uint64_t kAppendsPerThread = 500;
  TempDir dir;
  auto opened = OpenEmbeddedLog({.path = dir.path()});
  ASSERT_TRUE(opened.ok());
  auto& log = **opened;

  std::vector<std::vector<uint64_t>> offsets(kThreads);
  std::vector<int> failures(kThreads, 0);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> appenders;
  for (int t = 0; t < kThreads; ++t) {
    appenders.emplace_back([&, t] {
      std::string subject = "SR-T" + std::to_string(t);
      for (uint64_t version = 0; version < kAppendsPerThread; ++version) {
        auto result = AppendAndWait(log, {MakeRecord(kRequests, subject, version)});
        if (!result) {
          ++failures[t];
          continue;
        }
        offsets[t].push_back((*result)[0].offset);
      }
    });
  }
  for (auto& appender : appenders) appender.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  constexpr uint64_t kTotal = kThreads * kAppendsPerThread;
  std::set<uint64_t> unique;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0);
    unique.insert(offsets[t].begin(), offsets[t].end());
  }
  ASSERT_EQ(unique.size(), kTotal);
  EXPECT_EQ(*unique.begin(), 0u);
  EXPECT_EQ(*unique.rbegin(), kTotal - 1);
  EXPECT_EQ(log.EndOffset({kRequests, 0}), kTotal);
  auto all = log.Read({kRequests, 0}, 0, kTotal + 1);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->events.size(), kTotal);
  for (int t = 0; t < kThreads; ++t) {
    auto stream = StreamEvents(log, kRequests, "SR-T" + std::to_string(t));
    EXPECT_EQ(stream.size(), kAppendsPerThread);
    EXPECT_TRUE(ChainVerifies(stream));
  }
  auto stats = ReadEmbeddedLogStats(log);
  EXPECT_EQ(stats.appends_stored, kTotal);
  EXPECT_LT(stats.group_commits, kTotal);
  std::cout << kTotal << " appends from " << kThreads << " threads in " << seconds << " s ("
            << kTotal / seconds << "/s), " << stats.group_commits << " group commits\n";
}

// An event's append time is its group commit's: the same for every event
// of a group, on copies too, however a read starts, and kept across a
// reopen; the next group's is not earlier.
TEST(GroupCommit, EveryEventCarriesItsGroupCommitsAppendTime) {
  TempDir dir;
  int64_t before = events::NowMs();
  std::vector<int64_t> acked;
  {
    auto opened = OpenEmbeddedLog({.path = dir.path()});
    ASSERT_TRUE(opened.ok());
    auto& log = **opened;
    ASSERT_TRUE(AppendAndWait(log, {MakeRecord(kRequests, "SR-A", 0)}).ok());  // offset 0
    std::vector<std::future<testing::AppendResult>> pending;
    {
      WriterPause pause(log);  // offset 1, a group of its own
      for (int i = 0; i < 3; ++i) {
        auto record = MakeRecord(kRequests, "SR-G" + std::to_string(i), 0);
        record.copy_topics = {"311.dept.DOT"};
        pending.push_back(AppendAsync(log, {std::move(record)}));
      }
      pause.Release();
    }
    for (auto& future : pending) {
      auto result = future.get();
      ASSERT_TRUE(result.ok()) << result.error().message;
      ASSERT_EQ(result->size(), 2u);  // the event and its copy
      for (const auto& stored : *result) acked.push_back(stored.appended_ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(AppendAndWait(log, {MakeRecord(kRequests, "SR-Z", 0)}).ok());  // offset 5
  }
  int64_t after = events::NowMs();
  ASSERT_EQ(acked.size(), 6u);
  for (int64_t ms : acked) EXPECT_EQ(ms, acked[0]) << "one group, one time";
  EXPECT_GE(acked[0], before);
  EXPECT_LE(acked[0], after);

  auto reopened = OpenEmbeddedLog({.path = dir.path()});
  ASSERT_TRUE(reopened.ok());
  auto& log = **reopened;
  for (uint64_t from = 0; from < 6; ++from) {
    auto read = log.Read({kRequests, 0}, from, 10);
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read->events.size(), 6 - from);
    for (const auto& stored : read->events) {
      EXPECT_GE(stored.appended_ms, before) << "offset " << stored.offset << " read from " << from;
      EXPECT_LE(stored.appended_ms, after) << "offset " << stored.offset << " read from " << from;
      if (stored.offset >= 2 && stored.offset <= 4) EXPECT_EQ(stored.appended_ms, acked[0]) << stored.offset;
      if (stored.offset == 5) EXPECT_GE(stored.appended_ms, acked[0]);
    }
  }
  auto copies = log.Read({"311.dept.DOT", 0}, 1, 10);
  ASSERT_TRUE(copies.ok());
  ASSERT_EQ(copies->events.size(), 2u);
  for (const auto& stored : copies->events) EXPECT_EQ(stored.appended_ms, acked[0]);
}

}  // namespace
}  // namespace ledger::log
