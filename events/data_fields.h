#pragma once
// Reading fields of an event's `data` in a fold: a missing or mistyped
// field reads as empty (or 0), never throws. Events are validated before
// they reach the log, but a fold must not take a projector down over one
// odd field.

#include <cstdint>
#include <string>
#include <string_view>

#include "events/event.h"

namespace ledger::events {

// The string at `key`, as a view into `data` (valid while `data` lives);
// empty if absent or not a string.
inline std::string_view StringField(const Json& data, const char* key) {
  auto it = data.find(key);
  return it != data.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                             : std::string_view();
}

// The time (RFC 3339) at `key` in UTC ms; 0 if absent or not a valid time.
inline int64_t TimeField(const Json& data, const char* key) {
  auto text = StringField(data, key);
  if (text.empty()) return 0;
  auto ms = ParseTime(text);
  return ms ? *ms : 0;
}

}  // namespace ledger::events
