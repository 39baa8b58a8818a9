#pragma once
// The CloudEvents 1.0 envelope of every ledger event, its canonical
// encoding and the per-stream hash chain. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace ledger::events {

using Json = nlohmann::json;

// One immutable fact. `data` keeps the resident's personal fields (name,
// phone, email, street address) only under data["personal"], the one part
// a later version encrypts; nothing else in the envelope may hold them.
struct Event {
  std::string id;       // unique, time-ordered (see NewEventId)
  std::string source;   // which intake or service, e.g. "/intake/http"
  std::string type;     // gov311.<noun>.<verb>.v<N>
  int64_t time_ms = 0;  // event time, UTC milliseconds since the epoch
  std::string subject;  // request id or contact id: the stream
  std::string datacontenttype = "application/json";
  Json data = Json::object();
  // Extensions.
  uint64_t sequence = 0;  // version within the subject's stream, from 1; set at append
  std::string actor;      // who did it, as authenticated: "key:front-desk", "connector:nyc"
  // The person the actor names as having acted for it (the call-taker at a
  // shared desk), as the client gave it; empty if none. Never replaces actor.
  std::string onbehalfof;
  // The Idempotency-Key of the command that appended the event, when its
  // client sent one, as "<request digest: 64 hex> <ms accepted> <key>"
  // (see commands::IdempotencyKey); empty otherwise.
  std::string idempotency;
  std::string channel;    // contact channel when known (phone, email, ...), else empty
  std::string prevhash;   // hash of the previous event of the stream; empty for the first
  std::string hash;       // hex SHA-256 of the canonical encoding without `hash`; set at append

  bool operator==(const Event&) const = default;
};

// CloudEvents JSON form (structured mode): every attribute at top level,
// `time` as RFC 3339 UTC with milliseconds, extensions lower-case.
Json ToJson(const Event& event);
// Inverse of ToJson. Fails with kInvalidArgument naming the bad attribute.
base::Result<Event> FromJson(const Json& json);

// Canonical encoding: ToJson with keys sorted and no whitespace. This exact
// byte string is what is stored and what the hash chain covers.
std::string EncodeCanonical(const Event& event);
// The same bytes for an event whose `data` was parsed from `data_json`: when
// those bytes already are EncodeCanonicalJson(event.data), as ToBinaryMessage
// writes them, they are copied instead of serialising `data` again.
// REQUIRES: `data_json` is JSON that parses to event.data.
std::string EncodeCanonical(const Event& event, std::string_view data_json);
// Parses a canonical (or any CloudEvents JSON) encoding; kCorruption on failure.
// Numbers in `data` get the types nlohmann's parser gives them (unsigned for
// non-negative integers), so the result re-encodes to the same bytes. Unlike
// Json::parse it rejects integers beyond 64 bits and nesting deeper than 1024
// levels, which no canonical encoding holds.
base::Result<Event> DecodeEvent(std::string_view bytes);

// The canonical encoding of one JSON value (as `data` sits inside
// EncodeCanonical): keys sorted, no whitespace.
std::string EncodeCanonicalJson(const Json& value);

// CloudEvents Kafka protocol binding, binary content mode: every attribute
// but `data` is a header (`ce_<name>`; `datacontenttype` is `content-type`),
// the value is the canonical encoding of `data`, the key is the subject.
// Absent optional extensions (channel, prevhash) have no header.
struct BinaryMessage {
  std::string key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string value;
};
BinaryMessage ToBinaryMessage(const Event& event);
// Inverse of ToBinaryMessage; headers it does not know are ignored. The
// event re-encodes canonically to the bytes its hash covers. kCorruption
// naming the bad attribute or header.
base::Result<Event> FromBinaryMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                                std::string_view value);
// A header of a received message, seen in place.
struct MessageHeader {
  std::string_view name;
  std::string_view value;
};
// FromBinaryMessage for headers seen in place: what the Kafka reader calls,
// without copying a record's headers.
base::Result<Event> FromBinaryMessage(std::span<const MessageHeader> headers, std::string_view value);

// Hash of `event` with its `hash` attribute left out (prevhash included):
// lower-case hex SHA-256 of that canonical encoding.
std::string ComputeHash(const Event& event);
// Sets event.prevhash = prevhash and event.hash = ComputeHash(event).
void SealEvent(Event& event, std::string_view prevhash);
// The two ways a log seals an event it is about to store; every append
// goes through one of them. Each is SealEvent, then the stored form
// (EncodeCanonical for the embedded log, ToBinaryMessage for Kafka), and
// then the invariant that those bytes (and for Kafka the canonical encoding
// too, which the projections keep as history) decode back to the same event: an
// event that would not (a time outside the stored range, text that is not
// UTF-8, ...) is refused with kInvalidArgument, so nothing is stored that
// cannot be read back. The event is sealed in place either way.
base::Result<std::string> SealAndEncode(Event& event, std::string_view prevhash);
base::Result<BinaryMessage> SealToBinaryMessage(Event& event, std::string_view prevhash);
// True if event.hash matches its content and event.prevhash == expected_prevhash.
bool VerifyLink(const Event& event, std::string_view expected_prevhash);

// The times the ledger stores: 0001-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z, the years a four-digit RFC 3339 time can name
// once its offset is applied (the importers need 1900 and earlier).
inline constexpr int64_t kMinTimeMs = -62'135'596'800'000;
inline constexpr int64_t kMaxTimeMs = 253'402'300'799'999;
// Offsets further from UTC than ±18:00 (as java.time and ISO 8601 allow) are refused.
inline constexpr int kMaxOffsetMinutes = 18 * 60;

// Event::idempotency in parts: the client's key (1-255 printable ASCII
// characters), the digest of the request it came with, and when the ledger
// accepted that request.
struct IdempotencyMark {
  std::string digest;  // 64 lower-case hex characters
  int64_t accepted_ms = 0;
  std::string key;
};
std::string FormatIdempotency(const IdempotencyMark& mark);
// nullopt unless `text` is a FormatIdempotency result.
std::optional<IdempotencyMark> ParseIdempotency(std::string_view text);

// RFC 3339 UTC with milliseconds: "2026-11-23T14:08:00.123Z".
// REQUIRES: kMinTimeMs <= time_ms <= kMaxTimeMs (else the text is not RFC 3339).
std::string FormatTime(int64_t time_ms);
// Accepts RFC 3339 with Z or an offset within ±18:00, optional fraction
// (digits past milliseconds dropped), seconds 00-59 (leap seconds are
// refused). kInvalidArgument unless the UTC result lies within
// [kMinTimeMs, kMaxTimeMs].
base::Result<int64_t> ParseTime(std::string_view text);
int64_t NowMs();

// Unique, time-ordered ids. Event ids are ULIDs (26 Crockford base32
// characters: 48-bit ms time + 80 random bits) and sort by creation time.
std::string NewEventId(int64_t time_ms);
// The event id of a fact that must be recorded once whatever appends it
// (a deadline passing, a row of an imported file): a ULID whose time is
// `time_ms` and whose 80 other bits are a BLAKE2b hash of `source_key`.
// The same key gives the same id.
std::string DerivedEventId(int64_t time_ms, std::string_view source_key);
// Short ids people can read out on the phone: "SR-" / "CT-" + 13 characters
// (41-bit ms time + 21 random bits). Callers must append with expected
// version 0 so that a collision is caught as a conflict and retried.
std::string NewRequestId(int64_t time_ms);
std::string NewContactId(int64_t time_ms);

}  // namespace ledger::events
