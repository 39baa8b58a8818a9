#include "events/event.h"

#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>
#include <random>

namespace ledger::events {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

uint64_t RandomBits() {
  // Seeded from 128 bits: one 32-bit seed allows only 2^32 streams, so two
  // threads or processes could repeat each other's "random" id bits.
  static thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return rng();
}

// Writes the low 5 * chars bits of `value` as base32, most significant first.
void AppendBase32(std::string& out, uint64_t value, int chars) {
  for (int i = chars - 1; i >= 0; --i) out.push_back(kCrockford[(value >> (5 * i)) & 31]);
}

// The 21 low bits of a short id at `time_ms`. Ids of one millisecond count up
// from a random start instead of drawing again: 21 fresh random bits repeat
// after ~1,700 ids of the same millisecond (birthday bound), counting up only
// after 2^21. Across processes the random start keeps collisions rare, and
// expected version 0 catches the rest.
uint64_t ShortIdLowBits(int64_t time_ms) {
  constexpr uint64_t kMask = (1ULL << 21) - 1;
  static std::mutex mu;
  static int64_t last_ms = std::numeric_limits<int64_t>::min();
  static uint64_t last_bits = 0;
  std::lock_guard lock(mu);
  last_bits = time_ms == last_ms ? (last_bits + 1) & kMask : RandomBits() & kMask;
  last_ms = time_ms;
  return last_bits;
}

std::string ShortId(std::string_view prefix, int64_t time_ms) {
  // 41 bits of ms time since 2020 (lasts 69 years) + 21 bits from
  // ShortIdLowBits, as 13 base32 characters that sort by time.
  constexpr int64_t kEpoch2020 = 1577836800000;
  uint64_t t = static_cast<uint64_t>(time_ms - kEpoch2020) & ((1ULL << 41) - 1);
  std::string out(prefix);
  AppendBase32(out, t >> 24, 4);  // top 17 bits of time in 4 chars (20 bits)
  AppendBase32(out, ((t & ((1ULL << 24) - 1)) << 21) | ShortIdLowBits(time_ms), 9);  // 45 bits
  return out;
}

Result<std::string> RequiredString(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("CloudEvent attribute '") + name + "' must be a non-empty string");
  return it->get<std::string>();
}

std::string OptionalString(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json ToJsonWithoutHash(const Event& e) {
  Json j = {{"specversion", "1.0"},    {"id", e.id},
            {"source", e.source},       {"type", e.type},
            {"time", FormatTime(e.time_ms)}, {"subject", e.subject},
            {"datacontenttype", e.datacontenttype}, {"data", e.data},
            {"sequence", e.sequence},   {"actor", e.actor}};
  if (!e.channel.empty()) j["channel"] = e.channel;
  if (!e.prevhash.empty()) j["prevhash"] = e.prevhash;
  return j;
}

// dump() throws on strings that are not UTF-8; replacing the bad bytes keeps
// the encoding total (and identical for every valid event).
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string Sha256Hex(std::string_view bytes) {
  static const bool sodium_ready = sodium_init() >= 0;
  (void)sodium_ready;
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  std::string hex(digest.size() * 2, '\0');
  sodium_bin2hex(hex.data(), hex.size() + 1, digest.data(), digest.size());
  return hex;
}

}  // namespace

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kIo: return "io_error";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kUnauthorized: return "unauthorized";
  }
  return "unknown";
}

Json ToJson(const Event& e) {
  Json j = ToJsonWithoutHash(e);
  if (!e.hash.empty()) j["hash"] = e.hash;
  return j;
}

Result<Event> FromJson(const Json& j) {
  if (!j.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "a CloudEvent must be a JSON object");
  auto spec = RequiredString(j, "specversion");
  if (!spec) return spec.error();
  if (*spec != "1.0")
    return MakeError(ErrorCode::kInvalidArgument, "CloudEvent 'specversion' must be \"1.0\"");
  Event e;
  for (auto [field, name] : {std::pair{&e.id, "id"}, {&e.source, "source"}, {&e.type, "type"},
                             {&e.subject, "subject"}, {&e.datacontenttype, "datacontenttype"}}) {
    auto v = RequiredString(j, name);
    if (!v) return v.error();
    *field = std::move(*v);
  }
  auto time = RequiredString(j, "time");
  if (!time) return time.error();
  auto ms = ParseTime(*time);
  if (!ms) return ms.error();
  e.time_ms = *ms;
  auto data = j.find("data");
  if (data == j.end() || !data->is_object())
    return MakeError(ErrorCode::kInvalidArgument, "CloudEvent attribute 'data' must be an object");
  e.data = *data;
  auto seq = j.find("sequence");
  if (seq != j.end()) {
    if (!seq->is_number_unsigned())
      return MakeError(ErrorCode::kInvalidArgument,
                       "CloudEvent 'sequence' must be an unsigned integer");
    e.sequence = seq->get<uint64_t>();
  }
  e.actor = OptionalString(j, "actor");
  e.channel = OptionalString(j, "channel");
  e.prevhash = OptionalString(j, "prevhash");
  e.hash = OptionalString(j, "hash");
  return e;
}

std::string EncodeCanonical(const Event& event) { return Dump(ToJson(event)); }

Result<Event> DecodeEvent(std::string_view bytes) {
  Json j = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorruption, "stored event is not valid JSON");
  auto e = FromJson(j);
  if (!e) return MakeError(ErrorCode::kCorruption, "stored event: " + e.error().message);
  return e;
}

std::string ComputeHash(const Event& event) { return Sha256Hex(Dump(ToJsonWithoutHash(event))); }

void SealEvent(Event& event, std::string_view prevhash) {
  event.prevhash = std::string(prevhash);
  event.hash = ComputeHash(event);
}

bool VerifyLink(const Event& event, std::string_view expected_prevhash) {
  return event.prevhash == expected_prevhash && event.hash == ComputeHash(event);
}

std::string FormatTime(int64_t time_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds{time_ms}};
  auto days = floor<std::chrono::days>(tp);
  year_month_day ymd{days};
  hh_mm_ss hms{tp - days};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()),
                long(hms.subseconds().count()));
  return buf;
}

Result<int64_t> ParseTime(std::string_view s) {
  using namespace std::chrono;
  auto bad = [&] {
    std::string message(1, '\'');
    message.append(s).append("' is not an RFC 3339 time such as 2026-11-23T14:08:00Z");
    return MakeError(ErrorCode::kInvalidArgument, std::move(message));
  };
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' ||
      !digits(8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) ||
      s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' || !digits(17, 2, sec))
    return bad();
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return bad();
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100, n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return bad();
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, om) || oh > 23 || om > 59)
      return bad();
    offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{frac_ms} -
            minutes{offset_min};
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string NewEventId(int64_t time_ms) {
  std::string out;
  out.reserve(26);
  AppendBase32(out, static_cast<uint64_t>(time_ms) & ((1ULL << 48) - 1), 10);
  uint64_t hi = RandomBits() & ((1ULL << 40) - 1), lo = RandomBits() & ((1ULL << 40) - 1);
  AppendBase32(out, hi, 8);
  AppendBase32(out, lo, 8);
  return out;
}

std::string NewRequestId(int64_t time_ms) { return ShortId("SR-", time_ms); }
std::string NewContactId(int64_t time_ms) { return ShortId("CT-", time_ms); }

}  // namespace ledger::events
