#pragma once
// Shared by the log tests: a real temporary directory, events to append,
// and a blocking wrapper around the asynchronous Append.

#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

#include "events/event_log.h"
#include "log/embedded/embedded_log.h"

namespace ledger::log::testing {

using ledger::testing::TempDir;

inline events::Event MakeEvent(const std::string& subject, const std::string& note = "called") {
  events::Event event;
  event.time_ms = events::NowMs();
  event.id = events::NewEventId(event.time_ms);
  event.source = "/test";
  event.type = "gov311.request.note_added.v1";
  event.subject = subject;
  event.actor = "agent:test";
  event.data = {{"note", note}, {"visibility", "internal"}};
  return event;
}

inline events::AppendRecord MakeRecord(const std::string& topic, const std::string& subject,
                                       std::optional<uint64_t> expected_version = std::nullopt) {
  events::AppendRecord record;
  record.topic = topic;
  record.event = MakeEvent(subject);
  record.expected_version = expected_version;
  return record;
}

using AppendResult = base::Result<std::vector<events::StoredEvent>>;

inline std::future<AppendResult> AppendAsync(events::EventLog& log,
                                             std::vector<events::AppendRecord> records) {
  auto promise = std::make_shared<std::promise<AppendResult>>();
  auto future = promise->get_future();
  log.Append(std::move(records),
             [promise](AppendResult result) { promise->set_value(std::move(result)); });
  return future;
}

inline AppendResult AppendAndWait(events::EventLog& log,
                                  std::vector<events::AppendRecord> records) {
  return AppendAsync(log, std::move(records)).get();
}

inline std::unique_ptr<events::EventLog> OpenOrDie(const std::string& path,
                                                   bool read_only = false) {
  auto log = OpenEmbeddedLog({.path = path, .read_only = read_only});
  if (!log) {
    ADD_FAILURE() << "open " << path << ": " << log.error().message;
    return nullptr;
  }
  return std::move(*log);
}

// Every event of `subject` on `topic`, in offset order.
inline std::vector<events::Event> StreamEvents(events::EventLog& log, const std::string& topic,
                                               const std::string& subject) {
  std::vector<events::Event> stream;
  auto all = log.Read({topic, 0}, 0, 1'000'000);
  EXPECT_TRUE(all.ok());
  if (!all) return stream;
  for (auto& stored : all->events)
    if (stored.event.subject == subject) stream.push_back(stored.event);
  return stream;
}

// True if the events form one hash chain with sequences 1, 2, ...
inline ::testing::AssertionResult ChainVerifies(const std::vector<events::Event>& stream) {
  std::string prevhash;
  for (size_t i = 0; i < stream.size(); ++i) {
    if (stream[i].sequence != i + 1)
      return ::testing::AssertionFailure()
             << "event " << i << " has sequence " << stream[i].sequence;
    if (!events::VerifyLink(stream[i], prevhash))
      return ::testing::AssertionFailure() << "event " << i << " does not link to its predecessor";
    prevhash = stream[i].hash;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ledger::log::testing
