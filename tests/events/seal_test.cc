// The seal is the one gate before storage: what it lets through reads back
// as the same event, in both stored forms; what would not is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "events/event.h"
#include "events/event_types.h"
#include "tests/events/random_events.h"

namespace ledger::events {
namespace {

TEST(Seal, EveryEventTypeReadsBackUnchangedFromBothStoredForms) {
  RandomEvents random(11);
  for (std::string_view type : types::kAll) {
    for (int i = 0; i < 300; ++i) {
      Event e = random.Next(/*finite=*/true);
      e.type = std::string(type);
      std::string prevhash = random.Chance(0.5) ? std::string() : std::string(64, 'c');
      SCOPED_TRACE(std::string(type) + " #" + std::to_string(i) + " at " + FormatTime(e.time_ms));

      Event for_embedded = e;
      base::Result<std::string> bytes = SealAndEncode(for_embedded, prevhash);
      ASSERT_TRUE(bytes.ok()) << bytes.error().message;
      base::Result<Event> stored = DecodeEvent(*bytes);
      ASSERT_TRUE(stored.ok()) << stored.error().message;
      EXPECT_EQ(*stored, for_embedded);
      ExpectSameJson(stored->data, for_embedded.data, "data");
      EXPECT_TRUE(VerifyLink(*stored, prevhash));

      Event for_kafka = e;
      base::Result<BinaryMessage> message = SealToBinaryMessage(for_kafka, prevhash);
      ASSERT_TRUE(message.ok()) << message.error().message;
      base::Result<Event> received = FromBinaryMessage(message->headers, message->value);
      ASSERT_TRUE(received.ok()) << received.error().message;
      EXPECT_EQ(*received, for_kafka);
      EXPECT_EQ(for_kafka.hash, for_embedded.hash) << "both forms seal the same hash";

      base::Result<Event> from_json = FromJson(ToJson(for_embedded));
      ASSERT_TRUE(from_json.ok()) << from_json.error().message;
      EXPECT_EQ(*from_json, for_embedded);
    }
  }
}

TEST(Seal, RefusesWhatWouldNotReadBackInBothStoredForms) {
  struct Case {
    std::string name;
    std::function<void(Event&)> spoil;
  };
  const std::vector<Case> cases = {
      {"a millisecond before year 1", [](Event& e) { e.time_ms = kMinTimeMs - 1; }},
      {"a millisecond after year 9999", [](Event& e) { e.time_ms = kMaxTimeMs + 1; }},
      {"the year -1 of an unchecked offset", [](Event& e) { e.time_ms = kMinTimeMs - 60'000 * 60 * 24; }},
      {"text that is not UTF-8", [](Event& e) { e.data["text"] = "bad \xff\xfe bytes"; }},
      {"an actor that is not UTF-8", [](Event& e) { e.actor = "agent:\xc3"; }},
      {"a number that is not finite",
       [](Event& e) { e.data["score"] = std::numeric_limits<double>::infinity(); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Event e = RandomEvents(12).Next(/*finite=*/true);
    e.time_ms = 1795442880123;
    c.spoil(e);
    Event for_embedded = e;
    base::Result<std::string> bytes = SealAndEncode(for_embedded, "");
    ASSERT_FALSE(bytes.ok());
    EXPECT_EQ(bytes.error().code, base::ErrorCode::kInvalidArgument);
    EXPECT_NE(bytes.error().message.find("cannot be stored"), std::string::npos) << bytes.error().message;
    Event for_kafka = e;
    base::Result<BinaryMessage> message = SealToBinaryMessage(for_kafka, "");
    ASSERT_FALSE(message.ok());
    EXPECT_EQ(message.error().code, base::ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ledger::events
