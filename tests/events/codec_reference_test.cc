// The hand-written canonical encoder, the simdjson decoder and FormatTime
// against the nlohmann/snprintf code they replaced, kept here as the
// reference: stored bytes and the hash chain must not change.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/event_types.h"
#include "tests/events/random_events.h"

namespace ledger::events {
namespace {

// ---- The reference: the nlohmann-based codec as it was. ----

std::string ReferenceFormatTime(int64_t time_ms) {
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

// The definition of the canonical encoding: nlohmann's compact dump of the
// CloudEvents JSON (keys sorted by its std::map). FormatTime is checked
// against snprintf on its own below.
std::string ReferenceEncode(const Event& e) {
  return ToJson(e).dump(-1, ' ', false, Json::error_handler_t::replace);
}

base::Result<std::string> ReferenceRequired(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                     std::string("CloudEvent attribute '") + name + "' must be a non-empty string");
  return it->get<std::string>();
}

std::string ReferenceOptional(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

base::Result<Event> ReferenceFromJson(const Json& j) {
  if (!j.is_object())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "a CloudEvent must be a JSON object");
  auto spec = ReferenceRequired(j, "specversion");
  if (!spec) return spec.error();
  if (*spec != "1.0")
    return base::MakeError(base::ErrorCode::kInvalidArgument, "CloudEvent 'specversion' must be \"1.0\"");
  Event e;
  for (auto [field, name] : {std::pair{&e.id, "id"}, {&e.source, "source"}, {&e.type, "type"},
                             {&e.subject, "subject"}, {&e.datacontenttype, "datacontenttype"}}) {
    auto v = ReferenceRequired(j, name);
    if (!v) return v.error();
    *field = std::move(*v);
  }
  auto time = ReferenceRequired(j, "time");
  if (!time) return time.error();
  auto ms = ParseTime(*time);
  if (!ms) return ms.error();
  e.time_ms = *ms;
  auto data = j.find("data");
  if (data == j.end() || !data->is_object())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "CloudEvent attribute 'data' must be an object");
  e.data = *data;
  auto seq = j.find("sequence");
  if (seq != j.end()) {
    if (!seq->is_number_unsigned())
      return base::MakeError(base::ErrorCode::kInvalidArgument,
                       "CloudEvent 'sequence' must be an unsigned integer");
    e.sequence = seq->get<uint64_t>();
  }
  e.actor = ReferenceOptional(j, "actor");
  e.channel = ReferenceOptional(j, "channel");
  e.onbehalfof = ReferenceOptional(j, "onbehalfof");
  e.idempotency = ReferenceOptional(j, "idempotency");
  e.prevhash = ReferenceOptional(j, "prevhash");
  e.hash = ReferenceOptional(j, "hash");
  return e;
}

base::Result<Event> ReferenceDecode(std::string_view bytes) {
  Json j = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return base::MakeError(base::ErrorCode::kCorruption, "stored event is not valid JSON");
  auto e = ReferenceFromJson(j);
  if (!e) return base::MakeError(base::ErrorCode::kCorruption, "stored event: " + e.error().message);
  return e;
}

void ExpectSameDecoding(std::string_view bytes) {
  base::Result<Event> actual = DecodeEvent(bytes);
  base::Result<Event> expected = ReferenceDecode(bytes);
  ASSERT_EQ(actual.ok(), expected.ok())
      << bytes << "\n" << (actual.ok() ? expected : actual).error().message;
  if (!expected.ok()) {
    EXPECT_EQ(actual.error().code, expected.error().code) << bytes;
    EXPECT_EQ(actual.error().message, expected.error().message) << bytes;
    return;
  }
  EXPECT_EQ(*actual, *expected) << bytes;
  ExpectSameJson(actual->data, expected->data, "data");
}

// ---- Tests. ----

TEST(CodecReference, CanonicalBytesMatchTheNlohmannEncoding) {
  RandomEvents random(1);
  for (int i = 0; i < 10'000; ++i) {
    Event e = random.Next(/*finite=*/random.Chance(0.5));
    if (random.Chance(0.3)) e.data["bad"] = random.Text(/*valid=*/false);
    if (random.Chance(0.1)) e.actor = random.Text(/*valid=*/false);
    ASSERT_EQ(EncodeCanonical(e), ReferenceEncode(e)) << "event " << i;
  }
}

TEST(CodecReference, EveryByteIsEscapedAlikeAtEveryPositionOfAWord) {
  Event e = RandomEvents(8).Next(/*finite=*/true);
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t at = 0; at < 17; ++at) {
      std::string s(17, 'a');
      s[at] = static_cast<char>(byte);
      e.actor = s;
      e.data = {{s, s.substr(0, at + 1)}};
      ASSERT_EQ(EncodeCanonical(e), ReferenceEncode(e)) << "byte " << byte << " at " << at;
    }
  }
}

TEST(CodecReference, DecodeGivesBackTheEventWithNlohmannNumberTypes) {
  RandomEvents random(2);
  for (int i = 0; i < 10'000; ++i) {
    Event e = random.Next(/*finite=*/true);
    std::string bytes = EncodeCanonical(e);
    base::Result<Event> back = DecodeEvent(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << bytes;
    ASSERT_EQ(*back, e) << bytes;
    ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(bytes)) << "event " << i;
    ASSERT_EQ(EncodeCanonical(*back), bytes);
  }
}

TEST(CodecReference, SealingHashesTheEncodingWithoutHash) {
  RandomEvents random(3);
  for (int i = 0; i < 1'000; ++i) {
    Event e = random.Next(/*finite=*/true);
    std::string prevhash = random.Chance(0.2) ? std::string() : random.Text();
    Event sealed = e;
    SealEvent(sealed, prevhash);
    Event unhashed = sealed;
    unhashed.hash.clear();
    base::Result<Event> back = DecodeEvent(ReferenceEncode(unhashed));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(sealed.hash, ComputeHash(*back));
    EXPECT_TRUE(VerifyLink(sealed, prevhash));

    Event sealed_and_encoded = e;
    base::Result<std::string> bytes = SealAndEncode(sealed_and_encoded, prevhash);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    EXPECT_EQ(sealed_and_encoded, sealed);
    EXPECT_EQ(*bytes, ReferenceEncode(sealed));
  }
}

TEST(CodecReference, HashOfAKnownEventIsUnchanged) {
  Event e;
  e.id = "01KAQ6Z5X8V2D0M3N4P5Q6R7S8";
  e.source = "/intake/http";
  e.type = std::string(types::kRequestNoteAdded);
  e.time_ms = 1795442880123;
  e.subject = "SR-0A1B2C3D4E5F6";
  e.data = {{"visibility", "public"}, {"text", "crew on site é \"/\\\n"}};
  e.sequence = 2;
  e.actor = "dept:DOT:lee";
  e.channel = "phone";
  // SHA-256 of the bytes the nlohmann-based codec wrote for this event.
  base::Result<std::string> bytes = SealAndEncode(e, std::string(64, 'a'));
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_EQ(e.hash, "f9394dbf31a0029e37b74654da65337d52a74e7b64ea27ca910dee2277525df2");
  EXPECT_EQ(*bytes, ReferenceEncode(e));
}

TEST(CodecReference, DecodeAgreesWithNlohmannOnDamagedBytes) {
  RandomEvents random(4);
  const char kReplacements[] = "\"{}[],:x \\";
  for (int i = 0; i < 3'000; ++i) {
    Event e = random.Next(/*finite=*/true);
    std::string bytes = EncodeCanonical(e);
    for (int n = static_cast<int>(random.Between(1, 3)); n > 0 && !bytes.empty(); --n) {
      size_t at = random.Between(0, static_cast<int64_t>(bytes.size()) - 1);
      if (random.Chance(0.5))
        bytes.erase(at, 1);
      else
        bytes[at] = kReplacements[random.Between(0, sizeof kReplacements - 2)];
    }
    ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(bytes)) << "event " << i;
  }
}

TEST(CodecReference, DecodeAgreesWithNlohmannOnWrongAttributes) {
  Event e = RandomEvents(5).Next(/*finite=*/true);
  const Json valid = Json::parse(EncodeCanonical(e));
  const Json replacements[] = {nullptr, "", "x", 1, -1, 1.5, true, Json::array(), Json::object(),
                               "2026-11-23T14:08:00Z", "1.0"};
  for (const auto& [key, value] : valid.items()) {
    Json without = valid;
    without.erase(key);
    ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(without.dump())) << "without " << key;
    for (const Json& replacement : replacements) {
      Json changed = valid;
      changed[key] = replacement;
      ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(changed.dump())) << key << "=" << replacement;
    }
  }
  for (std::string bytes : {"[]", "\"event\"", "1", "null", "{} {}", " {\"a\":1} ", "{\"a\":1}x"})
    ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(bytes));
}

TEST(CodecReference, DecodeReadsAnyKeyOrderAndKeepsTheLastDuplicate) {
  Event e = RandomEvents(6).Next(/*finite=*/true);
  const Json j = Json::parse(EncodeCanonical(e));
  std::vector<std::string> members;
  for (const auto& [key, value] : j.items())
    members.push_back(Json(key).dump() + ":" + value.dump());
  std::string reversed = "{";
  for (auto it = members.rbegin(); it != members.rend(); ++it)
    reversed += (it == members.rbegin() ? "" : ",") + *it;
  reversed += R"(,"subject":"first","extra":[1,{"x":null}],"subject":"last"})";
  base::Result<Event> back = DecodeEvent(reversed);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->subject, "last");
  back->subject = e.subject;
  EXPECT_EQ(*back, e);
  ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(reversed));
  ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(j.dump(2)));

  e.data = {{"z", 1}};
  std::string bytes = EncodeCanonical(e);
  bytes.replace(bytes.find(R"("data":{"z":1})"), 14,
                R"("data":{"k":1,"k":[2],"n":{"x":1,"x":"y"},"z":1})");
  back = DecodeEvent(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->data, Json::parse(R"({"k":[2],"n":{"x":"y"},"z":1})"));
  ASSERT_NO_FATAL_FAILURE(ExpectSameDecoding(bytes));
}

TEST(CodecReference, FormatTimeMatchesSnprintf) {
  RandomEvents random(7);
  for (int i = 0; i < 100'000; ++i) {
    // Years -9999..9999 plus every millisecond boundary case nearby.
    int64_t ms = static_cast<int64_t>(random.Between(-377'705'116'800'000, 253'402'300'799'999));
    ASSERT_EQ(FormatTime(ms), ReferenceFormatTime(ms)) << ms;
  }
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{86'399'999}, int64_t{-86'400'000},
                     int64_t{-86'400'001}, int64_t{951'782'400'000}, int64_t{-62'167'219'200'000},
                     int64_t{-62'167'219'200'001}, int64_t{253'402'300'799'999}})
    EXPECT_EQ(FormatTime(ms), ReferenceFormatTime(ms)) << ms;
}

}  // namespace
}  // namespace ledger::events
