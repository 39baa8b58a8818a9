#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/event.h"
#include "events/event_types.h"

namespace ledger::events {
namespace {

Event StreamEvent(uint64_t sequence, std::string_view type, Json data) {
  Event e;
  e.id = NewEventId(1795442880123 + static_cast<int64_t>(sequence));
  e.source = "/intake/http";
  e.type = std::string(type);
  e.time_ms = 1795442880123 + static_cast<int64_t>(sequence);
  e.subject = "SR-0A1B2C3D4E5F6";
  e.data = std::move(data);
  e.sequence = sequence;
  e.actor = "agent:ana";
  return e;
}

Event Note(uint64_t sequence, std::string text) {
  return StreamEvent(sequence, types::kRequestNoteAdded,
                     {{"visibility", "internal"}, {"text", std::move(text)}});
}

TEST(HashChain, SealedEventVerifies) {
  Event e = Note(1, "first");
  SealEvent(e, "");
  EXPECT_EQ(e.hash.size(), 64u);
  EXPECT_EQ(e.hash.find_first_not_of("0123456789abcdef"), std::string::npos) << e.hash;
  EXPECT_TRUE(VerifyLink(e, ""));
}

TEST(HashChain, TamperedDataBreaksTheLink) {
  Event e = Note(1, "first");
  SealEvent(e, "");
  e.data["text"] = "rewritten";
  EXPECT_FALSE(VerifyLink(e, ""));
}

TEST(HashChain, TamperedPrevhashBreaksTheLink) {
  Event e = Note(2, "second");
  std::string prev(64, 'c');
  SealEvent(e, prev);
  EXPECT_TRUE(VerifyLink(e, prev));
  e.prevhash = std::string(64, 'd');
  EXPECT_FALSE(VerifyLink(e, prev));
  EXPECT_FALSE(VerifyLink(e, e.prevhash)) << "hash no longer covers the new prevhash";
}

TEST(HashChain, VerifyLinkRejectsWrongPredecessor) {
  Event e = Note(2, "second");
  SealEvent(e, std::string(64, 'c'));
  EXPECT_FALSE(VerifyLink(e, std::string(64, 'e')));
  EXPECT_FALSE(VerifyLink(e, ""));
}

TEST(HashChain, ChainOfThreeVerifiesLinkByLink) {
  std::vector<Event> stream = {
      StreamEvent(1, types::kRequestSubmitted, {{"service_code", "POTHOLE"}}),
      StreamEvent(2, types::kRequestAssigned, {{"department", "DOT"}, {"assignee", "crew-4"}}),
      StreamEvent(3, types::kRequestResolved, {{"resolution_code", "repaired"}})};
  std::string prev;
  for (Event& e : stream) {
    SealEvent(e, prev);
    prev = e.hash;
  }
  EXPECT_TRUE(VerifyLink(stream[0], ""));
  EXPECT_TRUE(VerifyLink(stream[1], stream[0].hash));
  EXPECT_TRUE(VerifyLink(stream[2], stream[1].hash));
  // Skipping the middle event is detected.
  EXPECT_FALSE(VerifyLink(stream[2], stream[0].hash));
}

TEST(HashChain, SealSurvivesCanonicalRoundTrip) {
  Event e = Note(1, "Zoë called back");
  SealEvent(e, std::string(64, 'f'));
  base::Result<Event> stored = DecodeEvent(EncodeCanonical(e));
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_TRUE(VerifyLink(*stored, std::string(64, 'f')));
}

TEST(HashChain, HashCoversEnvelopeNotOnlyData) {
  Event a = Note(1, "same");
  Event b = a;
  b.actor = "agent:bob";
  EXPECT_NE(ComputeHash(a), ComputeHash(b));
}

}  // namespace
}  // namespace ledger::events
