#pragma once
// The pieces of the performance library's stored forms (internal to
// ledger_performance): varints (7 bits a byte, low first), zigzag for
// signed values, and strings behind their length.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger::performance::internal {

inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads a varint at `at`, moving past it; nullopt if it is cut or over 64 bits.
inline std::optional<uint64_t> GetVarint(std::string_view bytes, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && at < bytes.size(); shift += 7) {
    auto byte = static_cast<uint8_t>(bytes[at++]);
    if (shift == 63 && byte > 1) return std::nullopt;
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
  }
  return std::nullopt;
}

// Signed values as varints: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

inline void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out += s;
}

// Reads a string PutString wrote at `at`, moving past it; false if it is cut.
inline bool GetString(std::string_view bytes, size_t& at, std::string& s) {
  auto size = GetVarint(bytes, at);
  if (!size || *size > bytes.size() - at) return false;
  s.assign(bytes.substr(at, *size));
  at += *size;
  return true;
}

}  // namespace ledger::performance::internal
