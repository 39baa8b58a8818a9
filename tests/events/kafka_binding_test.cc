// The Kafka binary content mode: what the Kafka reader decodes from a
// record's headers and value must be the event that was written and its
// canonical encoding, byte for byte, whether or not the value holds the
// canonical encoding of `data`. The reference builds the structured
// CloudEvent from the headers and parses the value with nlohmann.

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "events/event.h"
#include "events/event_types.h"
#include "tests/events/random_events.h"

namespace ledger::events {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Decoded {
  Event event;
  std::string encoded;
};

// What the Kafka reader keeps of a record: the event, from headers seen in
// place, and its canonical encoding, from the value. FromBinaryMessage on
// copied headers must say the same.
base::Result<Decoded> Decode(const Headers& headers, std::string_view value) {
  std::vector<MessageHeader> views;
  for (const auto& [name, text] : headers) views.push_back({name, text});
  base::Result<Event> e = FromBinaryMessage(views, value);
  base::Result<Event> from_copies = FromBinaryMessage(headers, value);
  EXPECT_EQ(e.ok(), from_copies.ok());
  if (!e) {
    if (!from_copies) {
      EXPECT_EQ(from_copies.error().message, e.error().message);
    }
    return e.error();
  }
  if (from_copies) {
    EXPECT_EQ(*from_copies, *e);
  }
  std::string encoded = EncodeCanonical(*e, value);
  return Decoded{std::move(*e), std::move(encoded)};
}

base::Result<Decoded> ReferenceDecode(const Headers& headers, std::string_view value) {
  Json envelope = Json::object();
  for (const auto& [name, text] : headers) {
    std::string attribute = name == "content-type" ? "datacontenttype" : name;
    if (attribute == name && !name.starts_with("ce_")) continue;
    if (attribute == name) attribute.erase(0, 3);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    bool number = ec == std::errc() && end == text.data() + text.size() && !text.empty();
    envelope[attribute] = attribute == "sequence" && number ? Json(n) : Json(text);
  }
  envelope.erase("data");
  Json data = Json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!data.is_discarded()) envelope["data"] = std::move(data);
  base::Result<Event> e = FromJson(envelope);
  if (!e) return base::MakeError(base::ErrorCode::kCorruption, "Kafka message: " + e.error().message);
  std::string encoded = ToJson(*e).dump(-1, ' ', false, Json::error_handler_t::replace);
  return Decoded{std::move(*e), std::move(encoded)};
}

void ExpectSameAsReference(const Headers& headers, std::string_view value) {
  base::Result<Decoded> actual = Decode(headers, value);
  base::Result<Decoded> expected = ReferenceDecode(headers, value);
  ASSERT_EQ(actual.ok(), expected.ok())
      << value << "\n" << (actual.ok() ? expected : actual).error().message;
  if (!expected.ok()) {
    EXPECT_EQ(actual.error().code, expected.error().code) << value;
    EXPECT_EQ(actual.error().message, expected.error().message) << value;
    return;
  }
  // Not the number types: nlohmann reads -0 as a signed 0, the reader as an
  // unsigned one, which encodes alike.
  EXPECT_EQ(actual->event, expected->event) << value;
  EXPECT_EQ(actual->encoded, expected->encoded) << value;
}

// `e` through ToBinaryMessage with `value` in place of the value it writes:
// the same event and canonical encoding as `e`, and as the reference.
void ExpectDecodesTo(const Event& e, const std::string& value) {
  BinaryMessage m = ToBinaryMessage(e);
  base::Result<Decoded> back = Decode(m.headers, value);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << value;
  EXPECT_EQ(back->event, e) << value;
  ExpectSameJson(back->event.data, e.data, "data");
  EXPECT_EQ(back->encoded, EncodeCanonical(e)) << value;
  ExpectSameAsReference(m.headers, value);
}

// JSON text of `value` that parses to the same value (number types too) but
// is not its canonical encoding: whitespace, keys out of order, a key given
// twice (the last one counts), escapes where none is needed, floats written
// with an exponent.
class UncanonicalWriter {
 public:
  explicit UncanonicalWriter(RandomEvents& random) : random_(random) {}

  std::string Write(const Json& value) {
    std::string out;
    Append(out, value);
    return out;
  }

 private:
  void Space(std::string& out) {
    static const char* const kSpaces[] = {"", "", " ", "\n", "\t", "\r\n  "};
    out += kSpaces[random_.Between(0, std::size(kSpaces) - 1)];
  }

  void AppendString(std::string& out, const std::string& s) {
    out += '"';
    for (char c : s) {
      auto byte = static_cast<unsigned char>(c);
      char hex[8];
      bool must = byte < 0x20 || c == '"' || c == '\\';
      if (c == '/' && random_.Chance(0.5)) {
        out += "\\/";
      } else if ((must || (byte < 0x80 && random_.Chance(0.1))) && random_.Chance(0.5)) {
        std::snprintf(hex, sizeof hex, random_.Chance(0.5) ? "\\u%04X" : "\\u%04x", byte);
        out += hex;
      } else if (must) {
        std::string escaped = Json(std::string(1, c)).dump();
        out.append(escaped, 1, escaped.size() - 2);
      } else {
        out += c;
      }
    }
    out += '"';
  }

  void Append(std::string& out, const Json& value) {
    Space(out);
    if (value.is_object()) {
      std::vector<std::pair<std::string, const Json*>> members;
      for (const auto& [key, member] : value.items()) members.emplace_back(key, &member);
      std::shuffle(members.begin(), members.end(), rng_);
      out += '{';
      bool first = true;
      for (const auto& [key, member] : members) {
        for (int copy = random_.Chance(0.2) ? 2 : 1; copy > 0; --copy) {
          if (!first) out += ',';
          first = false;
          Space(out);
          AppendString(out, key);
          Space(out);
          out += ':';
          if (copy == 2) out += "[\"overridden\"]";
          else Append(out, *member);
        }
      }
      Space(out);
      out += '}';
    } else if (value.is_array()) {
      out += '[';
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ',';
        Append(out, value[i]);
      }
      Space(out);
      out += ']';
    } else if (value.is_string()) {
      AppendString(out, value.get_ref<const std::string&>());
    } else if (value.is_number_float()) {
      char text[40];
      const char* format = random_.Chance(0.5) ? "%.17e" : "%.17E";
      std::snprintf(text, sizeof text, format, value.get<double>());
      out += text;
    } else {
      out += value.dump();
    }
    Space(out);
  }

  RandomEvents& random_;
  std::mt19937_64 rng_{random_.Between(0, 1'000'000)};
};

Event NoteEvent() {
  Event e;
  e.id = "01KAQ6Z5X8V2D0M3N4P5Q6R7S8";
  e.source = "/v1/requests/SR-0A1B2C3D4E5F6/events";
  e.type = std::string(types::kRequestNoteAdded);
  e.time_ms = 1795442880123;
  e.subject = "SR-0A1B2C3D4E5F6";
  e.data = {{"visibility", "public"}, {"text", "crew on site"}};
  e.sequence = 2;
  e.actor = "dept:DOT:lee";
  e.channel = "phone";
  SealEvent(e, std::string(64, 'a'));
  return e;
}

TEST(KafkaBinding, RecordGivesBackTheEventAndItsCanonicalEncoding) {
  RandomEvents random(11);
  for (int i = 0; i < 5'000; ++i) {
    Event e = random.Next(/*finite=*/true);
    if (random.Chance(0.5)) SealEvent(e, random.Chance(0.3) ? std::string() : std::string(64, 'c'));
    BinaryMessage m = ToBinaryMessage(e);
    ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, m.value)) << "event " << i;
  }
}

TEST(KafkaBinding, DecodedSealedEventsStillChain) {
  Event first = NoteEvent();
  Event second = NoteEvent();
  second.sequence = 3;
  second.data["text"] = "fixed \"the\" main\n";
  SealEvent(second, first.hash);
  for (const Event* e : {&first, &second}) {
    BinaryMessage m = ToBinaryMessage(*e);
    base::Result<Decoded> back = Decode(m.headers, m.value);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(VerifyLink(back->event, e->prevhash));
    base::Result<Event> stored = DecodeEvent(back->encoded);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(*stored, *e);
  }
}

TEST(KafkaBinding, ValueThatIsNotCanonicalDecodesToTheSameEvent) {
  RandomEvents random(12);
  UncanonicalWriter writer(random);
  for (int i = 0; i < 5'000; ++i) {
    Event e = random.Next(/*finite=*/true);
    ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, writer.Write(e.data))) << "event " << i;
  }
}

// The reader copies a value into the encoding only if it is canonical: one
// spelling that is not must be enough to encode `data` afresh.
TEST(KafkaBinding, ValueWithOneNonCanonicalSpellingDecodesToTheSameEvent) {
  Event e = NoteEvent();
  e.data = {{"a", "x\ny\x1f/"}, {"b", {{"c", 38.0}, {"d", -1}}}, {"e", {0u, true, nullptr}}};
  const std::string canonical = EncodeCanonicalJson(e.data);
  ASSERT_EQ(canonical, R"({"a":"x\ny\u001f/","b":{"c":38.0,"d":-1},"e":[0,true,null]})");
  ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, canonical));
  const std::pair<std::string_view, std::string_view> respellings[] = {
      {R"(\n)", R"(\u000a)"},        {R"(\u001f)", R"(\u001F)"},
      {"/", R"(\/)"},                {R"("x)", R"("\u0078)"},
      {"38.0", "3.8e1"},             {"38.0", "38.00"},
      {"38.0", "3.80E1"},            {"[0", "[-0"},
      {"{", "{ "},                   {":", ": "},
      {R"(,"e")", R"(, "e")"},        {"null]", "null ]"},
      {R"("c":38.0,"d":-1)", R"("d":-1,"c":38.0)"},
      {R"("c":38.0)", R"("c":1,"c":38.0)"},
      {R"({"a")", R"({"b":null,"a")"}};
  for (const auto& [from, to] : respellings) {
    std::string value = canonical;
    value.replace(value.find(from), from.size(), to);
    ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, value)) << value;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, canonical + " "));
  ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, "\n" + canonical));
}

TEST(KafkaBinding, UnicodeAndEscapesDecodeToTheSameEvent) {
  Event e = NoteEvent();
  e.data = {{"text", "Zoë € 中文 😀 \u2028 \x7f tab\there \"quoted\" back\\slash\n\r\b\f\x01\x1f/"},
            {"é", "key with an accent"},
            {"\"", "key that is a quote"},
            {"a\nb", "key with a newline"}};
  std::string canonical = EncodeCanonicalJson(e.data);
  ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, canonical));
  const std::string spellings[] = {
      R"({"text":"Zo\u00eb \u20ac \u4e2d\u6587 \ud83d\ude00 \u2028 \u007f tab\u0009here )"
      R"(\"quoted\" back\\slash\n\r\b\f\u0001\u001F\/","\u00e9":"key with an accent",)"
      R"("\"":"key that is a quote","a\u000ab":"key with a newline"})",
      R"({"a\nb":"key with a newline","\u0022":"key that is a quote","é":"key with an accent",)"
      R"("text":"Zoë € 中文 😀 )" "\u2028 \x7f" R"( tab\there \"quoted\" back\\slash\n\r\b\f\u0001\u001f/"})"};
  for (const std::string& spelled : spellings)
    ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, spelled)) << spelled;
}

TEST(KafkaBinding, NumbersKeepTheTypeTheirSpellingGives) {
  Event e = NoteEvent();
  struct Case {
    const char* value;
    Json data;
  };
  const Case cases[] = {
      {R"({"n":38})", {{"n", 38u}}},
      {R"({"n":38.0})", {{"n", 38.0}}},
      {R"({"n":3.8e1})", {{"n", 38.0}}},
      {R"({"n":-38})", {{"n", -38}}},
      {R"({"n":0})", {{"n", 0u}}},
      {R"({"n":-0})", {{"n", 0u}}},
      {R"({"n":-0.0})", {{"n", -0.0}}},
      {R"({"n":0.10})", {{"n", 0.1}}},
      {R"({"n":1E2})", {{"n", 100.0}}},
      {R"({"n":1e+21})", {{"n", 1e21}}},
      {R"({"n":39.0612,"m":-77.1198})", {{"n", 39.0612}, {"m", -77.1198}}},
      {R"({"n":18446744073709551615})", {{"n", 18446744073709551615u}}},
      {R"({"n":9223372036854775807})", {{"n", 9223372036854775807u}}},
      {R"({"n":-9223372036854775808})", {{"n", std::numeric_limits<int64_t>::min()}}},
      {R"({"n":[1,-1,1.5,-1.5e-300,5e-324,1.7976931348623157e308]})",
       {{"n", {1u, -1, 1.5, -1.5e-300, 5e-324, 1.7976931348623157e308}}}},
  };
  for (const Case& c : cases) {
    e.data = c.data;
    ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, c.value)) << c.value;
  }
  EXPECT_EQ(EncodeCanonicalJson(Json{{"n", 38u}}), R"({"n":38})");
  EXPECT_EQ(EncodeCanonicalJson(Json{{"n", 38.0}}), R"({"n":38.0})");
}

TEST(KafkaBinding, EmptyDataAndAbsentOptionalAttributesDecode) {
  Event e = NoteEvent();
  e.data = Json::object();
  e.channel.clear();
  e.prevhash.clear();
  e.hash.clear();
  e.actor.clear();
  e.sequence = 0;
  BinaryMessage m = ToBinaryMessage(e);
  ASSERT_EQ(m.headers.size(), 9u);  // no channel, prevhash or hash header
  ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, m.value));
  for (std::string value : {"{ }", " {}", "{}\n"})
    ASSERT_NO_FATAL_FAILURE(ExpectDecodesTo(e, value));
  Headers without_actor_and_sequence;
  for (const auto& h : m.headers)
    if (h.first != "ce_actor" && h.first != "ce_sequence") without_actor_and_sequence.push_back(h);
  base::Result<Decoded> back = Decode(without_actor_and_sequence, "{}");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->event, e);
  EXPECT_EQ(back->encoded, EncodeCanonical(e));
}

TEST(KafkaBinding, UnknownHeadersAreIgnoredAndTheLastOfARepeatedOneCounts) {
  Event e = NoteEvent();
  BinaryMessage m = ToBinaryMessage(e);
  Headers headers = {{"traceparent", "00-abc"}, {"ce_subject", "SR-EARLIER"}, {"ce_unknown", "x"},
                     {"ce_data", "not the data"}, {"ce_", ""}, {"CE_id", "upper case"}};
  headers.insert(headers.end(), m.headers.begin(), m.headers.end());
  // Names near those of attributes, after the real headers: had one of them
  // been taken for an attribute, it would have overwritten it.
  for (const char* name : {"ce_t", "ce_ti", "ce_times", "ce_typ", "ce_sourc", "ce_s", "ce_subjects",
                           "ce_specversio", "ce_sequenc", "ce_d", "ce_dat", "ce_datacontenttyp",
                           "ce_x", "ce_hashes", "ce_i", "ce_ids", "ce_actors", "ce_chan", "ce_prev",
                           "content-typ", "content-types", "ce_content-type", "c", "ce", "id"})
    headers.emplace_back(name, "");
  headers.emplace_back("ce_datacontenttype", "text/plain");
  base::Result<Decoded> back = Decode(headers, m.value);
  ASSERT_TRUE(back.ok()) << back.error().message;
  Event expected = e;
  expected.datacontenttype = "text/plain";
  EXPECT_EQ(back->event, expected);
  EXPECT_EQ(back->encoded, EncodeCanonical(expected));
  ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(headers, m.value));
}

TEST(KafkaBinding, BrokenRecordsFailAsCorruptionNamingWhatIsWrong) {
  constexpr std::string_view kNoObject =
      "Kafka message: CloudEvent attribute 'data' must be an object";
  const Event e = NoteEvent();
  const BinaryMessage m = ToBinaryMessage(e);
  for (std::string value : {"", "null", "[]", "\"text\"", "1", "{", "{\"a\":1}x", "{\"a\":01}",
                            "{\"a\":\"\xff\"}"}) {
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(m.headers, value)) << value;
    EXPECT_FALSE(Decode(m.headers, value).ok()) << value;
  }
  // Beyond what nlohmann reads: integers past 64 bits, doubles past the
  // largest, nesting deeper than 1024 levels.
  const std::string deep = "{\"a\":" + std::string(1024, '[') + std::string(1024, ']') + "}";
  for (const std::string& value : {std::string("{\"a\":123456789012345678901234}"),
                                   std::string("{\"a\":-9223372036854775809}"),
                                   std::string("{\"a\":1e400}"), deep}) {
    base::Result<Decoded> refused = Decode(m.headers, value);
    ASSERT_FALSE(refused.ok()) << value;
    EXPECT_EQ(refused.error().code, base::ErrorCode::kCorruption);
    EXPECT_EQ(refused.error().message, kNoObject);
  }
  base::Result<Decoded> no_object = Decode(m.headers, "[]");
  ASSERT_FALSE(no_object.ok());
  EXPECT_EQ(no_object.error().code, base::ErrorCode::kCorruption);
  EXPECT_EQ(no_object.error().message, kNoObject);

  const std::pair<const char*, const char*> wrong[] = {
      {"ce_specversion", "0.3"}, {"ce_specversion", ""}, {"ce_id", ""},
      {"ce_time", "yesterday"},  {"ce_time", ""},        {"ce_sequence", "-1"},
      {"ce_sequence", "7x"},     {"ce_sequence", ""},    {"ce_sequence", "18446744073709551616"},
      {"content-type", ""},      {"ce_source", ""},      {"ce_type", ""},
      {"ce_subject", ""}};
  for (const auto& [name, text] : wrong) {
    Headers changed = m.headers;
    for (auto& h : changed)
      if (h.first == name) h.second = text;
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(changed, m.value)) << name << "=" << text;
    EXPECT_FALSE(Decode(changed, m.value).ok()) << name << "=" << text;
  }
  for (const auto& [name, text] : m.headers) {
    Headers without;
    for (const auto& h : m.headers)
      if (h.first != name) without.push_back(h);
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(without, m.value)) << "without " << name;
  }
  base::Result<Decoded> no_time = Decode({{"ce_specversion", "1.0"}, {"ce_id", "x"}}, "{}");
  ASSERT_FALSE(no_time.ok());
  EXPECT_EQ(no_time.error().message,
            "Kafka message: CloudEvent attribute 'source' must be a non-empty string");
}

TEST(KafkaBinding, DamagedValuesFailOrDecodeAsTheReferenceDoes) {
  RandomEvents random(13);
  const char kReplacements[] = "\"{}[],:x \\.-e0";
  for (int i = 0; i < 3'000; ++i) {
    Event e = random.Next(/*finite=*/true);
    BinaryMessage m = ToBinaryMessage(e);
    for (int n = static_cast<int>(random.Between(1, 3)); n > 0 && !m.value.empty(); --n) {
      size_t at = random.Between(0, static_cast<int64_t>(m.value.size()) - 1);
      if (random.Chance(0.5))
        m.value.erase(at, 1);
      else
        m.value[at] = kReplacements[random.Between(0, sizeof kReplacements - 2)];
    }
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(m.headers, m.value)) << "event " << i;
  }
}

}  // namespace
}  // namespace ledger::events
