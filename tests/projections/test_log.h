#pragma once
// Builds sealed, positioned events by hand for projection tests, the way
// the log would store them: per-stream sequence and hash chain, per-topic
// offsets.

#include "tests/support/temp_dir.h"
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <map>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/event_log.h"
#include "events/event_types.h"

namespace ledger::projections::fixtures {

namespace types = events::types;
using events::Json;

// Base time of the tests: 2026-03-02T09:00:00Z.
inline constexpr int64_t kT0 = 1772442000000;
inline constexpr int64_t kMinute = 60'000;
inline constexpr int64_t kDay = 86'400'000;

class TestLog {
 public:
  // Appends a request event (subject = request id) to 311.requests.
  events::StoredEvent Request(const std::string& id, std::string_view type, Json data,
                               int64_t time_ms, std::string channel = "") {
    return Append(std::string(events::topics::kRequests), id, type, std::move(data), time_ms,
                  std::move(channel));
  }
  // Appends a contact.received event to 311.contacts.
  events::StoredEvent Contact(const std::string& id, Json data, int64_t time_ms) {
    std::string channel = data.value("channel", "");
    return Append(std::string(events::topics::kContacts), id, types::kContactReceived,
                  std::move(data), time_ms, std::move(channel));
  }
  // Appends an event to any topic (e.g. a department copy).
  events::StoredEvent Append(const std::string& topic, const std::string& subject,
                              std::string_view type, Json data, int64_t time_ms,
                              std::string channel = "") {
    events::Event e;
    e.id = events::NewEventId(time_ms);
    e.source = "/tests";
    e.type = std::string(type);
    e.time_ms = time_ms;
    e.subject = subject;
    e.data = std::move(data);
    e.actor = "agent:test";
    e.channel = std::move(channel);
    auto& stream = streams_[subject];
    e.sequence = ++stream.version;
    events::SealEvent(e, stream.last_hash);
    stream.last_hash = e.hash;
    auto& topic_events = by_topic_[topic];
    topic_events.push_back({{topic, 0}, topic_events.size(), std::move(e), append_ms_});
    return topic_events.back();
  }
  // The append time of the events appended from now on (0 until set).
  void AppendAt(int64_t ms) { append_ms_ = ms; }

  const std::vector<events::StoredEvent>& Topic(const std::string& topic) {
    return by_topic_[topic];
  }
  const std::vector<events::StoredEvent>& Requests() {
    return Topic(std::string(events::topics::kRequests));
  }
  const std::vector<events::StoredEvent>& Contacts() {
    return Topic(std::string(events::topics::kContacts));
  }

 private:
  struct Stream {
    uint64_t version = 0;
    std::string last_hash;
  };
  std::map<std::string, Stream> streams_;
  std::map<std::string, std::vector<events::StoredEvent>> by_topic_;
  int64_t append_ms_ = 0;
};

inline Json SubmittedData(const std::string& service, const std::string& department,
                          int64_t deadline_ms, const std::string& contact_id = "") {
  Json data = {{"service_code", service},
               {"service_name", service + " service"},
               {"department", department},
               {"description", "reported by test"},
               {"location", {{"address", "100 Main St"}, {"lat", 39.1}, {"lon", -77.2}}},
               {"attributes", Json::object()},
               {"customer_kind", "resident"},
               {"priority", "normal"},
               {"sla_deadline", events::FormatTime(deadline_ms)},
               {"personal", {{"name", "Ana Resident"}, {"phone", "555-0100"}}}};
  if (!contact_id.empty()) data["contact_id"] = contact_id;
  return data;
}

inline Json ContactData(const std::string& request_id) {
  Json data = {{"channel", "phone"},
               {"language", "en"},
               {"agent", "ana"},
               {"wait_seconds", 30},
               {"handle_seconds", 120},
               {"abandoned", false},
               {"outcome", request_id.empty() ? "information" : "linked_to_request"},
               {"personal", {{"name", "Caller"}}}};
  if (!request_id.empty()) data["request_id"] = request_id;
  return data;
}

// A fresh directory under the system temp dir, removed with the object.
using ledger::testing::TempDir;

}  // namespace ledger::projections::fixtures
