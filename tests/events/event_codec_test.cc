#include <gtest/gtest.h>

#include <string>

#include "events/event.h"
#include "events/event_types.h"

namespace ledger::events {
namespace {

constexpr int64_t kNov23 = 1795442880123;  // 2026-11-23T14:08:00.123Z

Event FullEvent() {
  Event e;
  e.id = "01KAQ6Z5X8V2D0M3N4P5Q6R7S8";
  e.source = "/intake/phone";
  e.type = std::string(types::kRequestSubmitted);
  e.time_ms = kNov23;
  e.subject = "SR-0A1B2C3D4E5F6";
  e.data = {{"service_code", "POTHOLE"},
            {"department", "DOT"},
            {"location", {{"address", "1 Main St"}, {"lat", 39.08}, {"lon", -77.15}}},
            {"attributes", {{"size", "large"}}},
            {"personal", {{"name", "Zoë Ortiz"}, {"phone", "+1 240 555 0100"}}}};
  e.sequence = 7;
  e.actor = "agent:ana";
  e.channel = "phone";
  e.prevhash = std::string(64, 'a');
  e.hash = std::string(64, 'b');
  return e;
}

TEST(EventCodec, JsonRoundTripKeepsEveryAttribute) {
  Event original = FullEvent();
  base::Result<Event> back = FromJson(ToJson(original));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, original);
}

TEST(EventCodec, JsonFormIsCloudEvents) {
  Json j = ToJson(FullEvent());
  EXPECT_EQ(j["specversion"], "1.0");
  EXPECT_EQ(j["time"], "2026-11-23T14:08:00.123Z");
  EXPECT_EQ(j["datacontenttype"], "application/json");
  EXPECT_EQ(j["sequence"], 7);
}

TEST(EventCodec, FromJsonNamesTheMissingAttribute) {
  Json j = ToJson(FullEvent());
  j.erase("source");
  base::Result<Event> e = FromJson(j);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message.find("'source'"), std::string::npos) << e.error().message;
}

TEST(EventCodec, CanonicalEncodingSortsKeysWithoutWhitespace) {
  Event e;
  e.id = "01KAQ6Z5X8V2D0M3N4P5Q6R7S8";
  e.source = "/intake/http";
  e.type = std::string(types::kRequestNoteAdded);
  e.time_ms = kNov23;
  e.subject = "SR-0A1B2C3D4E5F6";
  e.data = {{"visibility", "public"}, {"text", "crew on site"}};
  e.sequence = 2;
  e.actor = "dept:DOT:lee";
  EXPECT_EQ(EncodeCanonical(e),
            R"({"actor":"dept:DOT:lee","data":{"text":"crew on site","visibility":"public"},)"
            R"("datacontenttype":"application/json","id":"01KAQ6Z5X8V2D0M3N4P5Q6R7S8",)"
            R"("sequence":2,"source":"/intake/http","specversion":"1.0",)"
            R"("subject":"SR-0A1B2C3D4E5F6","time":"2026-11-23T14:08:00.123Z",)"
            R"("type":"gov311.request.note_added.v1"})");
}

TEST(EventCodec, EqualEventsEncodeToSameBytes) {
  Event a = FullEvent();
  Event b = FullEvent();
  // Same content built in another order.
  b.data = Json::object();
  b.data["personal"] = {{"phone", "+1 240 555 0100"}, {"name", "Zoë Ortiz"}};
  b.data["attributes"] = {{"size", "large"}};
  b.data["location"] = {{"lon", -77.15}, {"lat", 39.08}, {"address", "1 Main St"}};
  b.data["department"] = "DOT";
  b.data["service_code"] = "POTHOLE";
  EXPECT_EQ(EncodeCanonical(a), EncodeCanonical(b));
  EXPECT_EQ(EncodeCanonical(a), EncodeCanonical(a));
}

TEST(EventCodec, DecodeInvertsCanonicalEncoding) {
  Event original = FullEvent();
  base::Result<Event> back = DecodeEvent(EncodeCanonical(original));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, original);
}

TEST(EventCodec, DecodeRejectsGarbageAsCorruption) {
  std::string canonical = EncodeCanonical(FullEvent());
  for (std::string bytes : {std::string("not json"), std::string(), std::string("{}"),
                            std::string("[1,2]"), canonical.substr(0, canonical.size() / 2),
                            std::string("\xff\xfe\x00\x01", 4)}) {
    base::Result<Event> e = DecodeEvent(bytes);
    ASSERT_FALSE(e.ok()) << bytes;
    EXPECT_EQ(e.error().code, base::ErrorCode::kCorruption) << bytes;
  }
}

TEST(EventCodec, DecodeRejectsEventWithBadTimeAsCorruption) {
  Json j = ToJson(FullEvent());
  j["time"] = "yesterday";
  base::Result<Event> e = DecodeEvent(j.dump());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, base::ErrorCode::kCorruption);
}

TEST(EventCodec, CanonicalEncodingOfInvalidUtf8DoesNotThrow) {
  Event e = FullEvent();
  e.data["description"] = std::string("bad \xC3 byte");
  std::string bytes;
  ASSERT_NO_THROW(bytes = EncodeCanonical(e));
  EXPECT_TRUE(DecodeEvent(bytes).ok());
}

}  // namespace
}  // namespace ledger::events
