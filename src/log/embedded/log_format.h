#pragma once
// The embedded log's on-disk format (internal to ledger_log).
//
// Column family `events`: topic + '\0' + offset (8 bytes, big-endian) ->
//   EncodeCanonical(sealed event). Big-endian offsets make RocksDB's bytewise
//   order the offset order, and '\0' (which no topic contains) makes every
//   key of one topic sort before any key of a longer topic sharing its prefix.
// Column family `streams`: StreamKey (topic + '\0' + subject) -> version (8 bytes,
//   big-endian) + hash of the stream's last event.
// Column family `append_times`: EventKey(topic, first offset a group commit
//   wrote to the topic) -> the group's time (UTC ms, 8 bytes, big-endian):
//   an event's append time is that of the greatest key at or before its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "log/stream_key.h"

namespace ledger::log {

inline constexpr char kEventsFamily[] = "events";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kAppendTimesFamily[] = "append_times";

// Where a stream stands: its version (0 = no events yet) and the hash its
// next event must name as prevhash.
struct StreamHead {
  uint64_t version = 0;
  std::string hash;
};

// A topic is usable as a key prefix: non-empty and free of '\0'.
base::Status CheckTopicName(std::string_view topic);

std::string EventKey(std::string_view topic, uint64_t offset);
// The first key of `topic` that sorts after every event key of it.
std::string TopicUpperBound(std::string_view topic);
struct EventKeyParts {
  std::string_view topic;
  uint64_t offset = 0;
};
// nullopt if `key` is not an event key.
std::optional<EventKeyParts> ParseEventKey(std::string_view key);

// An append time as stored, and back (kCorruption for another length).
std::string EncodeAppendTime(int64_t ms);
base::Result<int64_t> DecodeAppendTime(std::string_view value);

std::string EncodeStreamHead(const StreamHead& head);
// kCorruption if `value` is shorter than a version.
base::Result<StreamHead> DecodeStreamHead(std::string_view value);

}  // namespace ledger::log
