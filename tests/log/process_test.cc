// The log beside other processes: a second writer is refused, a read-only
// reader follows the writer, and a writer killed with SIGKILL loses nothing
// it acknowledged.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <semaphore>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log/embedded/embedded_log.h"
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

// Written by the child for every acknowledged append; under PIPE_BUF, so
// each write reaches the pipe whole.
struct Ack {
  uint64_t offset;
  char id[26];
};
constexpr size_t kIdBytes = sizeof(Ack::id);

// Child side: appends to four streams, many appends in flight, and reports
// each acknowledgement, until it is killed.
[[noreturn]] void AppendUntilKilled(const std::string& path, int ack_fd) {
  auto log = OpenEmbeddedLog({.path = path});
  if (!log) _exit(2);
  std::counting_semaphore<64> in_flight(64);
  for (uint64_t i = 0;; ++i) {
    in_flight.acquire();
    auto record = MakeRecord(kRequests, "SR-" + std::to_string(i % 4));
    (*log)->Append({record}, [&in_flight, ack_fd](testing::AppendResult result) {
      if (!result || result->size() != 1 || result->front().event.id.size() != kIdBytes) _exit(3);
      Ack ack{result->front().offset, {}};
      std::memcpy(ack.id, result->front().event.id.data(), kIdBytes);
      if (write(ack_fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) _exit(4);
      in_flight.release();
    });
  }
}

TEST(EmbeddedLogProcess, AcknowledgedAppendsSurviveSigkill) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    AppendUntilKilled(dir.path(), fds[1]);
  }
  close(fds[1]);

  std::map<uint64_t, std::string> acked;  // offset -> event id
  Ack ack;
  bool killed = false;
  while (read(fds[0], &ack, sizeof ack) == static_cast<ssize_t>(sizeof ack)) {
    acked[ack.offset] = std::string(ack.id, kIdBytes);
    if (!killed && acked.size() >= 500) {
      ASSERT_EQ(kill(child, SIGKILL), 0);
      killed = true;
    }
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_GE(acked.size(), 500u);

  auto log = OpenOrDie(dir.path());
  ASSERT_TRUE(log);
  EXPECT_GT(log->EndOffset({kRequests, 0}), acked.rbegin()->first);
  for (const auto& [offset, id] : acked) {
    auto stored = log->Read({kRequests, 0}, offset, 1);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    ASSERT_EQ(stored->events.size(), 1u) << "acknowledged offset " << offset << " is missing";
    EXPECT_EQ(stored->events[0].offset, offset);
    EXPECT_EQ(stored->events[0].event.id, id);
  }
  for (int s = 0; s < 4; ++s)
    EXPECT_TRUE(ChainVerifies(StreamEvents(*log, kRequests, "SR-" + std::to_string(s))));
  // The chains continue where the killed writer stopped.
  auto next = AppendAndWait(*log, {MakeRecord(kRequests, "SR-0")});
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_TRUE(ChainVerifies(StreamEvents(*log, kRequests, "SR-0")));
}

TEST(EmbeddedLogProcess, SecondWriterInSameProcessIsRefused) {
  TempDir dir;
  auto first = OpenOrDie(dir.path());
  ASSERT_TRUE(first);
  auto second = OpenEmbeddedLog({.path = dir.path()});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message.find("is in use by another process"), std::string::npos)
      << second.error().message;
  EXPECT_TRUE(AppendAndWait(*first, {MakeRecord(kRequests, "SR-1")}).ok());
}

TEST(EmbeddedLogProcess, WriterInAnotherProcessMakesOpenFailUnavailable) {
  TempDir dir;
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    close(done[1]);
    auto log = OpenEmbeddedLog({.path = dir.path()});
    char state = log ? 'r' : 'f';
    if (write(ready[1], &state, 1) != 1) _exit(2);
    while (read(done[0], &state, 1) > 0) {
    }
    _exit(0);  // the process's death releases the directory
  }
  close(ready[1]);
  close(done[0]);
  char state = 0;
  ASSERT_EQ(read(ready[0], &state, 1), 1);
  ASSERT_EQ(state, 'r');

  auto refused = OpenEmbeddedLog({.path = dir.path()});
  close(done[1]);
  close(ready[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("is in use by another process"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(OpenOrDie(dir.path()));
}

TEST(EmbeddedLogProcess, ReadOnlyLogSeesEventsAppendedAfterItOpened) {
  TempDir dir;
  auto writer = OpenOrDie(dir.path());
  ASSERT_TRUE(writer);
  ASSERT_TRUE(AppendAndWait(*writer, {MakeRecord(kRequests, "SR-1", 0)}).ok());
  auto reader = OpenOrDie(dir.path(), /*read_only=*/true);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->EndOffset({kRequests, 0}), 1u);

  auto record = MakeRecord(kRequests, "SR-1", 1);
  record.copy_topics = {"311.dept.DOT"};
  ASSERT_TRUE(AppendAndWait(*writer, {record}).ok());
  ASSERT_TRUE(AppendAndWait(*writer, {MakeRecord(kRequests, "SR-2", 0)}).ok());
  reader->WaitForAppend({{{kRequests, 0}, 1}}, std::chrono::milliseconds(1));

  EXPECT_EQ(reader->EndOffset({kRequests, 0}), 3u);
  EXPECT_EQ(reader->TopicPartitions(),
            (std::vector<events::TopicPartition>{{"311.dept.DOT", 0}, {kRequests, 0}}));
  auto seen = reader->Read({kRequests, 0}, 0, 10);
  auto written = writer->Read({kRequests, 0}, 0, 10);
  ASSERT_TRUE(seen.ok());
  ASSERT_TRUE(written.ok());
  ASSERT_EQ(seen->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(seen->events[i].event, written->events[i].event);
  EXPECT_TRUE(ChainVerifies(StreamEvents(*reader, kRequests, "SR-1")));

  auto refused = AppendAndWait(*reader, {MakeRecord(kRequests, "SR-3")});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

TEST(EmbeddedLogProcess, ReadOnlyOpenOfEmptyDirectoryIsNotFound) {
  TempDir dir;
  auto reader = OpenEmbeddedLog({.path = dir.path(), .read_only = true});
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace ledger::log
