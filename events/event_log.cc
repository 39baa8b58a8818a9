#include "events/event_log.h"

namespace ledger::events {

base::Error StaleVersion(const std::string& subject, uint64_t at, uint64_t expected) {
  return base::MakeError(base::ErrorCode::kConflict, "request " + subject + " is at version " + std::to_string(at) +
                                             ", not " + std::to_string(expected));
}

base::Result<Event> NextOfStream(const AppendRecord& record, uint64_t version) {
  if (record.expected_version && *record.expected_version != version)
    return StaleVersion(record.event.subject, version, *record.expected_version);
  Event event = record.event;
  event.sequence = version + 1;
  return event;
}

}  // namespace ledger::events
