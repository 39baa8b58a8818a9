#include "events/event.h"

#include <simdjson.h>
#include <sodium.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>

namespace ledger::events {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Id bits from libsodium's CSPRNG (getrandom): ids are not guessable from
// the ids seen before, as a seeded mt19937_64's would be.
uint64_t RandomBits() {
  static const bool sodium_ready = sodium_init() >= 0;
  (void)sodium_ready;  // sodium_init is thread-safe and idempotent
  uint64_t bits;
  randombytes_buf(&bits, sizeof bits);
  return bits;
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

// Every envelope attribute, in the order std::map sorts the keys: the order
// of the canonical encoding.
enum Attribute {
  kActor, kChannel, kData, kDataContentType, kHash, kId, kIdempotency, kOnBehalfOf, kPrevHash,
  kSequence, kSource, kSpecVersion, kSubject, kTime, kType, kAttributeCount
};
constexpr std::array<std::string_view, kAttributeCount> kAttributeNames = {
    "actor", "channel", "data", "datacontenttype", "hash", "id", "idempotency", "onbehalfof", "prevhash",
    "sequence", "source", "specversion", "subject", "time", "type"};

// The rules of a CloudEvent, applied to an envelope read through `Envelope`:
//   std::optional<std::string_view> String(Attribute) — set if a string;
//   bool Has(Attribute);
//   std::optional<Json> ObjectData() — `data` if it is an object;
//   std::optional<uint64_t> Unsigned(Attribute) — set if an unsigned integer.
// FromJson (nlohmann) and DecodeEvent (simdjson) share it, so they accept the
// same events and report the same errors.
template <typename Envelope>
base::Result<Event> BuildEvent(const Envelope& envelope) {
  auto required = [&](Attribute a) -> base::Result<std::string_view> {
    std::optional<std::string_view> s = envelope.String(a);
    if (!s || s->empty())
      return base::MakeError(base::ErrorCode::kInvalidArgument, "CloudEvent attribute '" +
                                                        std::string(kAttributeNames[a]) +
                                                        "' must be a non-empty string");
    return *s;
  };
  auto spec = required(kSpecVersion);
  if (!spec) return spec.error();
  if (*spec != "1.0")
    return base::MakeError(base::ErrorCode::kInvalidArgument, "CloudEvent 'specversion' must be \"1.0\"");
  Event e;
  for (auto [field, a] : {std::pair{&e.id, kId}, {&e.source, kSource}, {&e.type, kType},
                          {&e.subject, kSubject}, {&e.datacontenttype, kDataContentType}}) {
    auto v = required(a);
    if (!v) return v.error();
    field->assign(*v);
  }
  auto time = required(kTime);
  if (!time) return time.error();
  auto ms = ParseTime(*time);
  if (!ms) return ms.error();
  e.time_ms = *ms;
  std::optional<Json> data = envelope.ObjectData();
  if (!data)
    return base::MakeError(base::ErrorCode::kInvalidArgument, "CloudEvent attribute 'data' must be an object");
  e.data = std::move(*data);
  if (envelope.Has(kSequence)) {
    std::optional<uint64_t> seq = envelope.Unsigned(kSequence);
    if (!seq)
      return base::MakeError(base::ErrorCode::kInvalidArgument,
                       "CloudEvent 'sequence' must be an unsigned integer");
    e.sequence = *seq;
  }
  for (auto [field, a] : {std::pair{&e.actor, kActor}, {&e.channel, kChannel},
                          {&e.idempotency, kIdempotency}, {&e.onbehalfof, kOnBehalfOf},
                          {&e.prevhash, kPrevHash}, {&e.hash, kHash}})
    *field = std::string(envelope.String(a).value_or(std::string_view()));
  return e;
}

// A CloudEvent held as nlohmann JSON. REQUIRES: json.is_object().
class JsonEnvelope {
 public:
  explicit JsonEnvelope(const Json& json) : json_(json) {}
  bool Has(Attribute a) const { return Find(a) != nullptr; }
  std::optional<std::string_view> String(Attribute a) const {
    const Json* v = Find(a);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return v->get_ref<const std::string&>();
  }
  std::optional<Json> ObjectData() const {
    const Json* v = Find(kData);
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return *v;
  }
  std::optional<uint64_t> Unsigned(Attribute a) const {
    const Json* v = Find(a);
    if (v == nullptr || !v->is_number_unsigned()) return std::nullopt;
    return v->get<uint64_t>();
  }

 private:
  const Json* Find(Attribute a) const {
    auto it = json_.find(kAttributeNames[a]);
    return it == json_.end() ? nullptr : &*it;
  }
  const Json& json_;
};

// nlohmann's value for a simdjson one, with the number types nlohmann's own
// parser picks (unsigned for every non-negative integer, signed for negative
// ones), so a decoded event re-encodes to the same bytes.
Json ToJsonValue(simdjson::dom::element v) {
  using simdjson::dom::element_type;
  switch (v.type()) {
    case element_type::OBJECT: {
      Json j = Json::object();
      auto& members = j.get_ref<Json::object_t&>();
      // Keys arrive sorted from a canonical encoding, so the end is the right
      // hint and costs one key comparison.
      const simdjson::dom::object object = v.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair member : object) {
        size_t before = members.size();
        auto it = members.emplace_hint(members.end(), member.key, ToJsonValue(member.value));
        // A repeated key: the last one wins, as in nlohmann.
        if (members.size() == before) it->second = ToJsonValue(member.value);
      }
      return j;
    }
    case element_type::ARRAY: {
      Json j = Json::array();
      auto& items = j.get_ref<Json::array_t&>();
      const simdjson::dom::array array = v.get_array().value_unsafe();
      for (simdjson::dom::element item : array)
        items.push_back(ToJsonValue(item));
      return j;
    }
    case element_type::STRING: return std::string(v.get_string().value_unsafe());
    case element_type::INT64: {
      int64_t n = v.get_int64().value_unsafe();
      return n < 0 ? Json(n) : Json(static_cast<uint64_t>(n));
    }
    case element_type::UINT64: return v.get_uint64().value_unsafe();
    case element_type::DOUBLE: return v.get_double().value_unsafe();
    case element_type::BOOL: return v.get_bool().value_unsafe();
    case element_type::NULL_VALUE: return nullptr;
  }
  return nullptr;  // unreachable: the switch covers every element_type
}

// A CloudEvent parsed by simdjson. Later duplicates of a key win, as they do
// in nlohmann.
class DomEnvelope {
 public:
  explicit DomEnvelope(simdjson::dom::object object) {
    // Canonical keys come in kAttributeNames order, so the search starts
    // after the last match and mostly succeeds at once.
    size_t next = 0;
    for (simdjson::dom::key_value_pair member : object) {
      for (size_t tried = 0; tried < kAttributeCount; ++tried) {
        size_t a = (next + tried) % kAttributeCount;
        if (kAttributeNames[a] == member.key) {
          attributes_[a] = member.value;
          next = a + 1;
          break;
        }
      }
    }
  }
  bool Has(Attribute a) const { return attributes_[a].has_value(); }
  std::optional<std::string_view> String(Attribute a) const {
    if (!attributes_[a] || !attributes_[a]->is_string()) return std::nullopt;
    return attributes_[a]->get_string().value_unsafe();
  }
  std::optional<Json> ObjectData() const {
    if (!attributes_[kData] || !attributes_[kData]->is_object()) return std::nullopt;
    return ToJsonValue(*attributes_[kData]);
  }
  std::optional<uint64_t> Unsigned(Attribute a) const {
    if (!attributes_[a] || !attributes_[a]->is_uint64()) return std::nullopt;
    return attributes_[a]->get_uint64().value_unsafe();
  }

 private:
  std::array<std::optional<simdjson::dom::element>, kAttributeCount> attributes_;
};

// simdjson reads up to SIMDJSON_PADDING bytes past the input, which a
// string_view does not promise, so the bytes are copied into a padded buffer.
// One per thread: the parser keeps its allocations from event to event.
struct DomDecoder {
  simdjson::dom::parser parser;
  std::string padded;

  simdjson::simdjson_result<simdjson::dom::element> Parse(std::string_view bytes) {
    if (padded.size() < bytes.size() + simdjson::SIMDJSON_PADDING)
      padded.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(padded.data(), bytes.data(), bytes.size());
    return parser.parse(padded.data(), bytes.size(), /*realloc_if_needed=*/false);
  }
};

// The attribute a Kafka header carries: `ce_<name>`, or `content-type` for
// datacontenttype. The first letter of the name picks the one candidate:
// every record has a dozen headers, and the reader decodes every record.
std::optional<Attribute> HeaderAttribute(std::string_view header) {
  if (header == "content-type") return kDataContentType;
  if (!header.starts_with("ce_") || header.size() == 3) return std::nullopt;
  const std::string_view name = header.substr(3);
  Attribute a;
  switch (name[0]) {
    case 'a': a = kActor; break;
    case 'c': a = kChannel; break;
    case 'd': a = name.size() == 4 ? kData : kDataContentType; break;
    case 'h': a = kHash; break;
    case 'i': a = name.size() == 2 ? kId : kIdempotency; break;
    case 'o': a = kOnBehalfOf; break;
    case 'p': a = kPrevHash; break;
    case 's':
      a = name.size() == 6 ? kSource : name.size() == 7 ? kSubject
                                     : name.size() == 8 ? kSequence : kSpecVersion;
      break;
    case 't': a = name.size() > 1 && name[1] == 'i' ? kTime : kType; break;
    default: return std::nullopt;
  }
  if (kAttributeNames[a] != name) return std::nullopt;
  return a;
}

// A CloudEvent in binary content mode: attributes from Kafka headers
// (`ce_<name>`, `content-type`), `data` from the parsed message value
// (absent if it did not parse). Later duplicates of a header win.
class HeaderEnvelope {
 public:
  HeaderEnvelope(std::span<const MessageHeader> headers,
                 std::optional<simdjson::dom::element> data)
      : data_(data) {
    for (const auto& [name, value] : headers)
      if (std::optional<Attribute> a = HeaderAttribute(name)) attributes_[*a] = value;
  }
  bool Has(Attribute a) const { return attributes_[a].has_value(); }
  std::optional<std::string_view> String(Attribute a) const { return attributes_[a]; }
  std::optional<Json> ObjectData() const {
    if (!data_ || !data_->is_object()) return std::nullopt;
    return ToJsonValue(*data_);
  }
  std::optional<uint64_t> Unsigned(Attribute a) const {
    if (!attributes_[a]) return std::nullopt;
    std::string_view text = *attributes_[a];
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return n;
  }

 private:
  std::array<std::optional<std::string_view>, kAttributeCount> attributes_;
  std::optional<simdjson::dom::element> data_;
};

}  // namespace

BinaryMessage ToBinaryMessage(const Event& e) {
  BinaryMessage m;
  m.key = e.subject;
  m.value = EncodeCanonicalJson(e.data);
  m.headers = {{"ce_specversion", "1.0"}, {"ce_id", e.id},           {"ce_source", e.source},
               {"ce_type", e.type},       {"ce_time", FormatTime(e.time_ms)},
               {"ce_subject", e.subject}, {"content-type", e.datacontenttype},
               {"ce_sequence", std::to_string(e.sequence)}, {"ce_actor", e.actor}};
  if (!e.channel.empty()) m.headers.emplace_back("ce_channel", e.channel);
  if (!e.idempotency.empty()) m.headers.emplace_back("ce_idempotency", e.idempotency);
  if (!e.onbehalfof.empty()) m.headers.emplace_back("ce_onbehalfof", e.onbehalfof);
  if (!e.prevhash.empty()) m.headers.emplace_back("ce_prevhash", e.prevhash);
  if (!e.hash.empty()) m.headers.emplace_back("ce_hash", e.hash);
  return m;
}

base::Result<Event> FromBinaryMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                                std::string_view value) {
  std::vector<MessageHeader> views;
  views.reserve(headers.size());
  for (const auto& [name, text] : headers) views.push_back({name, text});
  return FromBinaryMessage(views, value);
}

base::Result<Event> FromBinaryMessage(std::span<const MessageHeader> headers, std::string_view value) {
  static thread_local DomDecoder decoder;
  simdjson::dom::element root;
  std::optional<simdjson::dom::element> data;
  if (decoder.Parse(value).get(root) == simdjson::SUCCESS) data = root;
  base::Result<Event> e = BuildEvent(HeaderEnvelope(headers, data));
  if (!e) return base::MakeError(base::ErrorCode::kCorruption, "Kafka message: " + e.error().message);
  return e;
}

Json ToJson(const Event& e) {
  Json j = {{"specversion", "1.0"},
            {"id", e.id},
            {"source", e.source},
            {"type", e.type},
            {"time", FormatTime(e.time_ms)},
            {"subject", e.subject},
            {"datacontenttype", e.datacontenttype},
            {"data", e.data},
            {"sequence", e.sequence},
            {"actor", e.actor}};
  if (!e.channel.empty()) j["channel"] = e.channel;
  if (!e.idempotency.empty()) j["idempotency"] = e.idempotency;
  if (!e.onbehalfof.empty()) j["onbehalfof"] = e.onbehalfof;
  if (!e.prevhash.empty()) j["prevhash"] = e.prevhash;
  if (!e.hash.empty()) j["hash"] = e.hash;
  return j;
}

base::Result<Event> FromJson(const Json& j) {
  if (!j.is_object())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "a CloudEvent must be a JSON object");
  return BuildEvent(JsonEnvelope(j));
}

base::Result<Event> DecodeEvent(std::string_view bytes) {
  static thread_local DomDecoder decoder;
  simdjson::dom::element root;
  if (decoder.Parse(bytes).get(root) != simdjson::SUCCESS)
    return base::MakeError(base::ErrorCode::kCorruption, "stored event is not valid JSON");
  if (!root.is_object())
    return base::MakeError(base::ErrorCode::kCorruption, "stored event: a CloudEvent must be a JSON object");
  base::Result<Event> e = BuildEvent(DomEnvelope(root.get_object().value_unsafe()));
  if (!e) return base::MakeError(base::ErrorCode::kCorruption, "stored event: " + e.error().message);
  return e;
}

base::Result<int64_t> ParseTime(std::string_view s) {
  using namespace std::chrono;
  auto bad = [&] {
    std::string message(1, '\'');
    message.append(s).append("' is not an RFC 3339 time such as 2026-11-23T14:08:00Z");
    return base::MakeError(base::ErrorCode::kInvalidArgument, std::move(message));
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
  // No leap seconds: :60 is refused, as every stored time must round-trip.
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return bad();
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
        !digits(pos + 4, 2, om) || om > 59 || oh * 60 + om > kMaxOffsetMinutes)
      return bad();
    offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{frac_ms} -
            minutes{offset_min};
  int64_t ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  if (ms < kMinTimeMs || ms > kMaxTimeMs) {
    std::string message(1, '\'');
    message.append(s).append("' is outside years 0001 to 9999 (UTC)");
    return base::MakeError(base::ErrorCode::kInvalidArgument, std::move(message));
  }
  return ms;
}

std::string FormatIdempotency(const IdempotencyMark& mark) {
  return mark.digest + ' ' + std::to_string(mark.accepted_ms) + ' ' + mark.key;
}

std::optional<IdempotencyMark> ParseIdempotency(std::string_view text) {
  constexpr size_t kDigest = 64;
  if (text.size() < kDigest + 4 || text[kDigest] != ' ') return std::nullopt;
  IdempotencyMark mark;
  mark.digest = std::string(text.substr(0, kDigest));
  const char* begin = text.data() + kDigest + 1;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), mark.accepted_ms);
  if (ec != std::errc() || end == begin || end == text.data() + text.size() || *end != ' ')
    return std::nullopt;
  mark.key = std::string(end + 1, text.data() + text.size());
  if (mark.key.empty()) return std::nullopt;
  return mark;
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

std::string DerivedEventId(int64_t time_ms, std::string_view source_key) {
  unsigned char hash[10];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(source_key.data()),
                     source_key.size(), nullptr, 0);
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 5; ++i) hi = hi << 8 | hash[i];
  for (int i = 5; i < 10; ++i) lo = lo << 8 | hash[i];
  std::string out;
  out.reserve(26);
  AppendBase32(out, static_cast<uint64_t>(time_ms) & ((1ULL << 48) - 1), 10);
  AppendBase32(out, hi, 8);
  AppendBase32(out, lo, 8);
  return out;
}

std::string NewRequestId(int64_t time_ms) { return ShortId("SR-", time_ms); }
std::string NewContactId(int64_t time_ms) { return ShortId("CT-", time_ms); }

}  // namespace ledger::events
