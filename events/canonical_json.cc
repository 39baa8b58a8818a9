// The canonical JSON writer: see events/internal/canonical_json.h.

#include "events/internal/canonical_json.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>

namespace ledger::events {

// Encodings are built in one buffer per thread, which keeps its capacity.
EncodingBuffer& ClearedBuffer() {
  static thread_local EncodingBuffer buffer;
  buffer.Clear();
  return buffer;
}

namespace {

// How many bytes nlohmann's dump (ensure_ascii off) adds to each byte of a
// valid UTF-8 string: 1 for \" \\ \b \f \n \r \t, 5 for the other control
// characters (\u00xx), 0 for everything else, which it copies.
constexpr std::array<uint8_t, 256> kEscapeExtra = [] {
  std::array<uint8_t, 256> extra{};
  for (int c = 0; c < 0x20; ++c) extra[c] = 5;
  for (unsigned char c : {'\b', '\t', '\n', '\f', '\r', '"', '\\'}) extra[c] = 1;
  return extra;
}();

char* WriteEscaped(char* p, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"': p = std::copy_n("\\\"", 2, p); break;
      case '\\': p = std::copy_n("\\\\", 2, p); break;
      case '\b': p = std::copy_n("\\b", 2, p); break;
      case '\f': p = std::copy_n("\\f", 2, p); break;
      case '\n': p = std::copy_n("\\n", 2, p); break;
      case '\r': p = std::copy_n("\\r", 2, p); break;
      case '\t': p = std::copy_n("\\t", 2, p); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          p = std::copy_n("\\u00", 4, p);
          *p++ = "0123456789abcdef"[(c >> 4) & 0xf];
          *p++ = "0123456789abcdef"[c & 0xf];
        } else {
          *p++ = c;
        }
    }
  }
  return p;
}

// True if `s` holds no control character, quote, backslash or non-ASCII
// byte: nothing nlohmann's dump would escape or check. Tests eight bytes at
// a time with the exact "has a byte less than n" bit trick.
bool IsPlainAscii(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  auto special = [](uint64_t w) {
    auto zero_byte = [](uint64_t v) { return (v - kOnes) & ~v; };
    uint64_t control = (w - kOnes * 0x20) & ~w;
    uint64_t quote = zero_byte(w ^ (kOnes * '"'));
    uint64_t backslash = zero_byte(w ^ (kOnes * '\\'));
    return ((control | quote | backslash | w) & kHigh) != 0;
  };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (special(w)) return false;
  }
  uint64_t tail = kOnes * 'a';  // padding that is plain itself
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  return !special(tail);
}

}  // namespace

// Appends `s` as a JSON string, byte for byte as nlohmann's dump writes it.
// Strings that are not UTF-8 go through nlohmann itself: its replacement of
// bad bytes (error_handler_t::replace) is subtle, re-reading the byte after
// a broken sequence, and such strings are rare.
void AppendString(EncodingBuffer& out, std::string_view s) {
  if (IsPlainAscii(s)) {  // the common case, copied as it is
    char* p = out.Room(s.size() + 2);
    *p++ = '"';
    p = std::copy(s.begin(), s.end(), p);
    *p++ = '"';
    out.Commit(p);
    return;
  }
  if (!simdjson::validate_utf8(s.data(), s.size())) {
    out.Append(Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace));
    return;
  }
  size_t extra = 0;
  for (char c : s) extra += kEscapeExtra[static_cast<unsigned char>(c)];
  char* p = out.Room(s.size() + extra + 2);
  *p++ = '"';
  p = WriteEscaped(p, s);
  *p++ = '"';
  out.Commit(p);
}

namespace {

void AppendNumber(EncodingBuffer& out, const Json& number) {
  char* p = out.Room(64);  // nlohmann's own number buffer size
  if (number.is_number_unsigned()) {
    p = std::to_chars(p, p + 64, number.get<uint64_t>()).ptr;
  } else if (number.is_number_integer()) {
    p = std::to_chars(p, p + 64, number.get<int64_t>()).ptr;
  } else if (double d = number.get<double>(); !std::isfinite(d)) {
    p = std::copy_n("null", 4, p);
  } else {
    // The Grisu2 digits nlohmann dumps, which are not always the shortest
    // that std::to_chars would give.
    p = nlohmann::detail::to_chars(p, p + 64, d);
  }
  out.Commit(p);
}

}  // namespace

// Appends `value` byte for byte as nlohmann's compact dump writes it.
void AppendJson(EncodingBuffer& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      char separator = '{';
      for (const auto& [key, member] : value.get_ref<const Json::object_t&>()) {
        out.Append(separator);
        separator = ',';
        AppendString(out, key);
        out.Append(':');
        AppendJson(out, member);
      }
      out.Append(separator == '{' ? "{}" : "}");
      return;
    }
    case Json::value_t::array: {
      char separator = '[';
      for (const Json& item : value.get_ref<const Json::array_t&>()) {
        out.Append(separator);
        separator = ',';
        AppendJson(out, item);
      }
      out.Append(separator == '[' ? "[]" : "]");
      return;
    }
    case Json::value_t::string: AppendString(out, value.get_ref<const std::string&>()); return;
    case Json::value_t::boolean: out.Append(value.get<bool>() ? "true" : "false"); return;
    case Json::value_t::null: out.Append("null"); return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: AppendNumber(out, value); return;
    case Json::value_t::binary:  // never in events; nlohmann knows its form
    case Json::value_t::discarded:
      out.Append(value.dump(-1, ' ', false, Json::error_handler_t::replace));
      return;
  }
}

namespace {

// Whether JSON bytes are exactly what AppendJson writes for the value they
// parse to (as FromBinaryMessage parses them), so that they can stand for
// it. Only spellings that provably round-trip are accepted: no whitespace,
// keys in strictly rising byte order without escapes (so no duplicates),
// only the escapes WriteEscaped writes, integers as std::to_chars writes
// them (so never -0) and floats as nlohmann::detail::to_chars does. Anything
// else is "no", which costs an encoding, never a wrong byte.
class CanonicalJsonCheck {
 public:
  explicit CanonicalJsonCheck(std::string_view bytes) : bytes_(bytes) {}

  bool Holds() { return Value(0) && at_ == bytes_.size(); }

 private:
  // Deeper values do not parse (simdjson's limit); this bounds recursion
  // for callers that break the REQUIRES.
  static constexpr int kMaxDepth = 1024;

  bool Value(int depth) {
    if (at_ >= bytes_.size() || depth > kMaxDepth) return false;
    switch (bytes_[at_]) {
      case '{': return Object(depth + 1);
      case '[': return Array(depth + 1);
      case '"': return String(nullptr);
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }

  bool Object(int depth) {
    ++at_;  // '{'
    if (Take('}')) return true;
    std::string_view previous;
    for (bool first = true;; first = false) {
      std::string_view key;
      // Unescaped keys compare as std::map compares the keys they stand for.
      if (!String(&key) || (!first && key <= previous) || !Take(':') || !Value(depth)) return false;
      previous = key;
      if (Take('}')) return true;
      if (!Take(',')) return false;
    }
  }

  bool Array(int depth) {
    ++at_;  // '['
    if (Take(']')) return true;
    for (;;) {
      if (!Value(depth)) return false;
      if (Take(']')) return true;
      if (!Take(',')) return false;
    }
  }

  // A string at `at_`. With `plain_key`, escapes make it "no" and the
  // characters are stored there.
  bool String(std::string_view* plain_key) {
    if (!Take('"')) return false;
    const size_t begin = at_;
    for (;;) {
      at_ = PlainRunEnd(at_);
      if (at_ >= bytes_.size()) return false;
      const char c = bytes_[at_];
      if (c == '"') break;
      if (c != '\\' || plain_key != nullptr || !Escape()) return false;
    }
    if (plain_key != nullptr) *plain_key = bytes_.substr(begin, at_ - begin);
    ++at_;  // '"'
    return true;
  }

  // The end of the run from `from` of bytes WriteEscaped copies as they are;
  // non-ASCII ones are among them, as the REQUIRES makes them UTF-8. (A
  // local index: stores to at_ could alias the bytes read.)
  size_t PlainRunEnd(size_t from) const {
    while (from < bytes_.size() && kEscapeExtra[static_cast<unsigned char>(bytes_[from])] == 0)
      ++from;
    return from;
  }

  // The escape at `at_` if it is the one WriteEscaped writes for its character.
  bool Escape() {
    if (at_ + 1 >= bytes_.size()) return false;
    const char c = bytes_[at_ + 1];
    if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
      at_ += 2;
      return true;
    }
    // \u00xx, lower-case hex, for the control characters without a short form.
    constexpr std::string_view kHex = "0123456789abcdef";
    if (c != 'u' || at_ + 6 > bytes_.size() || bytes_.substr(at_ + 2, 2) != "00") return false;
    size_t high = kHex.find(bytes_[at_ + 4]), low = kHex.find(bytes_[at_ + 5]);
    if (high == std::string_view::npos || low == std::string_view::npos) return false;
    if (kEscapeExtra[high * 16 + low] != 5) return false;
    at_ += 6;
    return true;
  }

  bool Number() {
    const size_t begin = at_;
    bool is_float = false;
    for (; at_ < bytes_.size(); ++at_) {
      const char c = bytes_[at_];
      if (c == '.' || c == 'e' || c == 'E')
        is_float = true;
      else if ((c < '0' || c > '9') && c != '-' && c != '+')
        break;
    }
    std::string_view token = bytes_.substr(begin, at_ - begin);
    const char* first = token.data();
    const char* last = first + token.size();
    char canonical[64];
    char* end = canonical;
    if (is_float) {
      double d;
      auto [parsed, ec] = std::from_chars(first, last, d);
      if (ec != std::errc() || parsed != last || !std::isfinite(d)) return false;
      end = nlohmann::detail::to_chars(canonical, canonical + sizeof canonical, d);
    } else if (token.starts_with('-')) {
      int64_t n;
      auto [parsed, ec] = std::from_chars(first, last, n);
      if (ec != std::errc() || parsed != last) return false;
      end = std::to_chars(canonical, canonical + sizeof canonical, n).ptr;
    } else {
      uint64_t n;
      auto [parsed, ec] = std::from_chars(first, last, n);
      if (ec != std::errc() || parsed != last) return false;
      end = std::to_chars(canonical, canonical + sizeof canonical, n).ptr;
    }
    return token == std::string_view(canonical, end - canonical);
  }

  bool Literal(std::string_view word) {
    if (bytes_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  bool Take(char c) {
    if (at_ >= bytes_.size() || bytes_[at_] != c) return false;
    ++at_;
    return true;
  }

  std::string_view bytes_;
  size_t at_ = 0;
};

}  // namespace

bool IsCanonicalJson(std::string_view bytes) { return CanonicalJsonCheck(bytes).Holds(); }

}  // namespace ledger::events
