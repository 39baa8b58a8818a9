// The canonical encoding, the hash chain over it and FormatTime. The bytes
// are written by hand but must equal, byte for byte, what nlohmann's
// compact dump of ToJson(event) wrote when the first events were stored:
// the stored log and every hash depend on them. tests/events/
// codec_reference_test.cc holds the nlohmann encoding as the reference;
// kafka_binding_test.cc holds it for encodings that reuse a Kafka value.

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "events/event.h"
#include "events/internal/canonical_json.h"

namespace ledger::events {
namespace {

// Writes `value` in decimal, zero-padded to `width` digits.
char* WriteDigits(char* p, uint64_t value, int width) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int i = n; i < width; ++i) *p++ = '0';
  while (n > 0) *p++ = digits[--n];
  return p;
}

constexpr size_t kMaxTimeSize = 40;

// FormatTime into `p`, as snprintf("%04d-%02u-%02uT%02d:%02d:%02d.%03dZ")
// wrote it before: days become year/month/day by H. Hinnant's
// civil_from_days.
char* WriteTime(char* p, int64_t time_ms) {
  constexpr int64_t kMsPerDay = 86'400'000;
  int64_t days = time_ms / kMsPerDay;
  int64_t ms_of_day = time_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const int64_t z = days + 719'468;  // days since 0000-03-01
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const auto day_of_era = static_cast<uint64_t>(z - era * 146'097);
  const uint64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const uint64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const uint64_t month_from_march = (5 * day_of_year + 2) / 153;
  const uint64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const uint64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const int64_t year = static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);

  if (year < 0) {
    *p++ = '-';
    p = WriteDigits(p, static_cast<uint64_t>(-year), 3);
  } else {
    p = WriteDigits(p, static_cast<uint64_t>(year), 4);
  }
  const auto ms = static_cast<uint64_t>(ms_of_day);
  const std::pair<char, uint64_t> fields[] = {
      {'-', month}, {'-', day}, {'T', ms / 3'600'000}, {':', ms / 60'000 % 60},
      {':', ms / 1000 % 60}};
  for (auto [separator, value] : fields) {
    *p++ = separator;
    p = WriteDigits(p, value, 2);
  }
  *p++ = '.';
  p = WriteDigits(p, ms % 1000, 3);
  *p++ = 'Z';
  return p;
}

// Writes the canonical encoding of `e` without `hash` into `out` and returns
// the offset where `"hash":"...",` belongs: `hash` sorts between
// `datacontenttype` and `id`. Keys come in the order of nlohmann's std::map.
// `canonical_data`, if set, is EncodeCanonicalJson(e.data).
size_t AppendWithoutHash(EncodingBuffer& out, const Event& e,
                         std::optional<std::string_view> canonical_data = std::nullopt) {
  out.Append(R"({"actor":)");
  AppendString(out, e.actor);
  if (!e.channel.empty()) {
    out.Append(R"(,"channel":)");
    AppendString(out, e.channel);
  }
  out.Append(R"(,"data":)");
  if (canonical_data)
    out.Append(*canonical_data);
  else
    AppendJson(out, e.data);
  out.Append(R"(,"datacontenttype":)");
  AppendString(out, e.datacontenttype);
  out.Append(',');
  const size_t hash_at = out.size();
  out.Append(R"("id":)");
  AppendString(out, e.id);
  if (!e.idempotency.empty()) {
    out.Append(R"(,"idempotency":)");
    AppendString(out, e.idempotency);
  }
  if (!e.onbehalfof.empty()) {
    out.Append(R"(,"onbehalfof":)");
    AppendString(out, e.onbehalfof);
  }
  if (!e.prevhash.empty()) {
    out.Append(R"(,"prevhash":)");
    AppendString(out, e.prevhash);
  }
  out.Append(R"(,"sequence":)");
  char* p = out.Room(24);
  out.Commit(std::to_chars(p, p + 24, e.sequence).ptr);
  out.Append(R"(,"source":)");
  AppendString(out, e.source);
  out.Append(R"(,"specversion":"1.0","subject":)");
  AppendString(out, e.subject);
  out.Append(R"(,"time":")");
  out.Commit(WriteTime(out.Room(kMaxTimeSize), e.time_ms));  // nothing to escape
  out.Append(R"(","type":)");
  AppendString(out, e.type);
  out.Append('}');
  return hash_at;
}

// The canonical bytes: what AppendWithoutHash wrote into `buffer`, with
// `hash` (if any) at `hash_at`.
std::string WithHash(EncodingBuffer& buffer, size_t hash_at, std::string_view hash) {
  const size_t end = buffer.size();
  if (hash.empty()) return std::string(buffer.View(0, end));
  buffer.Append(R"("hash":)");
  AppendString(buffer, hash);
  buffer.Append(',');
  std::string out;
  out.reserve(buffer.size());
  out.append(buffer.View(0, hash_at))
      .append(buffer.View(end, buffer.size()))
      .append(buffer.View(hash_at, end));
  return out;
}

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

std::string EncodeCanonical(const Event& event) {
  EncodingBuffer& buffer = ClearedBuffer();
  size_t hash_at = AppendWithoutHash(buffer, event);
  return WithHash(buffer, hash_at, event.hash);
}

std::string EncodeCanonical(const Event& event, std::string_view data_json) {
  if (!IsCanonicalJson(data_json)) return EncodeCanonical(event);
  EncodingBuffer& buffer = ClearedBuffer();
  size_t hash_at = AppendWithoutHash(buffer, event, data_json);
  return WithHash(buffer, hash_at, event.hash);
}

std::string EncodeCanonicalJson(const Json& value) {
  EncodingBuffer& buffer = ClearedBuffer();
  AppendJson(buffer, value);
  return std::string(buffer.View(0, buffer.size()));
}

std::string ComputeHash(const Event& event) {
  EncodingBuffer& buffer = ClearedBuffer();
  AppendWithoutHash(buffer, event);
  return Sha256Hex(buffer.View(0, buffer.size()));
}

void SealEvent(Event& event, std::string_view prevhash) {
  event.prevhash = std::string(prevhash);
  event.hash = ComputeHash(event);
}

namespace {
// The invariant every sealed event meets before any log may store it.
base::Status CheckReadsBack(const Event& event, const base::Result<Event>& decoded) {
  if (!decoded)
    return base::MakeError(base::ErrorCode::kInvalidArgument, "event " + event.id +
                                                      " cannot be stored: it would not read back (" +
                                                      decoded.error().message + ")");
  if (!(*decoded == event))
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                     "event " + event.id + " cannot be stored: it would read back changed");
  return {};
}
}  // namespace

base::Result<std::string> SealAndEncode(Event& event, std::string_view prevhash) {
  event.prevhash = std::string(prevhash);
  EncodingBuffer& buffer = ClearedBuffer();
  size_t hash_at = AppendWithoutHash(buffer, event);
  event.hash = Sha256Hex(buffer.View(0, buffer.size()));
  std::string bytes = WithHash(buffer, hash_at, event.hash);
  if (auto status = CheckReadsBack(event, DecodeEvent(bytes)); !status) return status.error();
  return bytes;
}

base::Result<BinaryMessage> SealToBinaryMessage(Event& event, std::string_view prevhash) {
  // The canonical form too: the projections keep it as the request's history.
  if (auto canonical = SealAndEncode(event, prevhash); !canonical) return canonical.error();
  BinaryMessage message = ToBinaryMessage(event);
  if (auto status = CheckReadsBack(event, FromBinaryMessage(message.headers, message.value)); !status)
    return status.error();
  return message;
}

bool VerifyLink(const Event& event, std::string_view expected_prevhash) {
  return event.prevhash == expected_prevhash && event.hash == ComputeHash(event);
}

std::string FormatTime(int64_t time_ms) {
  char buf[kMaxTimeSize];
  return std::string(buf, WriteTime(buf, time_ms));
}

}  // namespace ledger::events
