#include "log/embedded/log_format.h"

namespace ledger::log {
namespace {

constexpr size_t kOffsetBytes = 8;

void AppendBigEndian(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < kOffsetBytes; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace

base::Status CheckTopicName(std::string_view topic) {
  if (topic.empty())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "topic name is empty");
  if (topic.find('\0') != std::string_view::npos)
    return base::MakeError(base::ErrorCode::kInvalidArgument, "topic name contains NUL");
  return {};
}

std::string EventKey(std::string_view topic, uint64_t offset) {
  std::string key;
  key.reserve(topic.size() + 1 + kOffsetBytes);
  key.append(topic);
  key.push_back('\0');
  AppendBigEndian(key, offset);
  return key;
}

std::string TopicUpperBound(std::string_view topic) {
  std::string bound(topic);
  bound.push_back('\1');
  return bound;
}

std::optional<EventKeyParts> ParseEventKey(std::string_view key) {
  if (key.size() < kOffsetBytes + 2) return std::nullopt;
  size_t separator = key.size() - kOffsetBytes - 1;
  if (key[separator] != '\0') return std::nullopt;
  return EventKeyParts{key.substr(0, separator), ReadBigEndian(key.substr(separator + 1))};
}

std::string EncodeAppendTime(int64_t ms) {
  std::string value;
  AppendBigEndian(value, static_cast<uint64_t>(ms));
  return value;
}

base::Result<int64_t> DecodeAppendTime(std::string_view value) {
  if (value.size() != kOffsetBytes)
    return base::MakeError(base::ErrorCode::kCorruption, "append time is not 8 bytes");
  return static_cast<int64_t>(ReadBigEndian(value));
}

std::string EncodeStreamHead(const StreamHead& head) {
  std::string value;
  value.reserve(kOffsetBytes + head.hash.size());
  AppendBigEndian(value, head.version);
  value.append(head.hash);
  return value;
}

base::Result<StreamHead> DecodeStreamHead(std::string_view value) {
  if (value.size() < kOffsetBytes)
    return base::MakeError(base::ErrorCode::kCorruption,
                             "stream head is shorter than a version");
  return StreamHead{ReadBigEndian(value), std::string(value.substr(kOffsetBytes))};
}

}  // namespace ledger::log
