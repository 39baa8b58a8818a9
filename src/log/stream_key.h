#pragma once
// Shared by both logs (internal to ledger_log): how a stream, one subject's
// events on one topic, is named as a key. The embedded log stores stream
// heads under it; the Kafka log caches them by it.

#include <string>
#include <string_view>

namespace ledger::log {

// topic + '\0' + subject. '\0' is in no topic name, so keys of different
// topics never collide.
inline std::string StreamKey(std::string_view topic, std::string_view subject) {
  std::string key;
  key.reserve(topic.size() + 1 + subject.size());
  key.append(topic);
  key.push_back('\0');
  key.append(subject);
  return key;
}

}  // namespace ledger::log
