// Channel views: each contact and each submitted request changes its
// channel's local day exactly as DESIGN.md's "Per channel per day" says.
#include "performance/channel_day.h"

#include <gtest/gtest.h>

#include <limits>

#include "events/event_types.h"
#include "tests/support/shipped_catalog.h"

namespace ledger::performance {
namespace {

namespace types = events::types;
using events::Json;

events::Event Contact(Json data, const char* time = "2026-11-24T03:00:00.000Z") {
  events::Event e;
  e.type = std::string(types::kContactReceived);
  e.time_ms = *events::ParseTime(time);
  e.data = std::move(data);
  return e;
}

TEST(ChannelDay, AnAnsweredCallCountsItsWaitHandleAndLanguage) {
  auto change = FoldChannelEvent(Contact({{"channel", "phone"}, {"language", "es"}, {"wait_seconds", 42.5},
                                          {"handle_seconds", 180}, {"abandoned", false}, {"outcome", "information"}}),
                                 *testing::ShippedCatalog());
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->channel, "phone");
  EXPECT_EQ(change->day, "2026-11-23");  // 22:00 in New York
  ChannelFigures expected;
  expected.contacts = 1;
  expected.waited = 1;
  expected.wait_ms_sum = 42'500;
  expected.answered = 1;
  expected.handled = 1;
  expected.handle_ms_sum = 180'000;
  expected.information_only = 1;
  expected.languages = {{"es", 1}};
  EXPECT_EQ(change->delta, expected);
}

TEST(ChannelDay, AbandonedAndRequestCreatingContacts) {
  auto abandoned = FoldChannelEvent(Contact({{"channel", "phone"}, {"language", "en"}, {"wait_seconds", 300},
                                             {"handle_seconds", 0}, {"abandoned", true}, {"outcome", "abandoned"}}),
                                    *testing::ShippedCatalog());
  ASSERT_TRUE(abandoned.has_value());
  EXPECT_EQ(abandoned->delta.abandoned, 1u);
  EXPECT_EQ(abandoned->delta.answered, 0u);
  EXPECT_EQ(abandoned->delta.handled, 0u);  // handle time counts answered contacts only
  EXPECT_EQ(abandoned->delta.information_only, 0u);
  EXPECT_EQ(abandoned->delta.wait_ms_sum, 300'000u);
  for (const char* outcome : {"created_request", "linked_to_request"}) {
    auto c = FoldChannelEvent(Contact({{"channel", "email"}, {"language", "en"}, {"abandoned", false},
                                       {"outcome", outcome}, {"request_id", "SR-1"}}),
                              *testing::ShippedCatalog());
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->delta.information_only, 0u) << outcome;
    EXPECT_EQ(c->delta.waited, 0u);  // no wait given: not in the average
  }
}

TEST(ChannelDay, OddDurationsAreLeftOutNotCounted) {
  for (Json wait : {Json(-1), Json(1e300), Json("12"), Json(nullptr), Json(std::numeric_limits<double>::quiet_NaN())}) {
    auto c = FoldChannelEvent(Contact({{"channel", "tty"}, {"language", "en"}, {"wait_seconds", wait}, {"abandoned", false},
                                       {"outcome", "referred"}}),
                              *testing::ShippedCatalog());
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->delta.contacts, 1u);
    EXPECT_EQ(c->delta.waited, 0u) << wait;
    EXPECT_EQ(c->delta.wait_ms_sum, 0u) << wait;
  }
}

TEST(ChannelDay, RequestsCountTowardTheirChannelAndOtherEventsTowardNone) {
  events::Event submitted;
  submitted.type = std::string(types::kRequestSubmitted);
  submitted.time_ms = *events::ParseTime("2026-11-23T15:00:00.000Z");
  submitted.channel = "walk_in";
  auto c = FoldChannelEvent(submitted, *testing::ShippedCatalog());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->channel, "walk_in");
  EXPECT_EQ(c->delta.requests_created, 1u);
  EXPECT_EQ(c->delta.contacts, 0u);
  submitted.channel.clear();
  EXPECT_EQ(FoldChannelEvent(submitted, *testing::ShippedCatalog())->channel, "unknown");
  submitted.type = std::string(types::kRequestClosed);
  EXPECT_FALSE(FoldChannelEvent(submitted, *testing::ShippedCatalog()).has_value());
}

TEST(ChannelDay, DaysMergeAndTheStoredFormReadsBackOrIsRefused) {
  ChannelFigures week;
  for (int day = 0; day < 7; ++day) {
    auto c = FoldChannelEvent(Contact({{"channel", "phone"}, {"language", day % 2 ? "es" : "en"}, {"wait_seconds", day},
                                       {"handle_seconds", 60}, {"abandoned", day == 3}, {"outcome", "information"}}),
                              *testing::ShippedCatalog());
    week.Merge(c->delta);
  }
  EXPECT_EQ(week.contacts, 7u);
  EXPECT_EQ(week.wait_ms_sum, 21'000u);
  EXPECT_EQ(week.abandoned, 1u);
  EXPECT_EQ(week.handled, 6u);
  EXPECT_EQ(week.languages, (std::map<std::string, uint64_t>{{"en", 4}, {"es", 3}}));
  for (const ChannelFigures& f : {ChannelFigures{}, week}) {
    auto back = ChannelFigures::Decode(f.Encode());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, f);
  }
  std::string good = week.Encode();
  for (size_t len = 0; len < good.size(); ++len) EXPECT_FALSE(ChannelFigures::Decode(good.substr(0, len)).ok()) << len;
  std::string twice = good;
  // Both languages "en": the second name's letters replaced.
  auto es = twice.rfind("es");
  twice.replace(es, 2, "en");
  for (const auto& bad : {good + "x", std::string("\x02") + good.substr(1), twice}) {
    auto decoded = ChannelFigures::Decode(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, base::ErrorCode::kCorruption);
  }
}

// Taking back a merged part gives the rest back, languages included.
TEST(ChannelDay, SubtractingAMergedPartGivesTheRestBack) {
  ChannelFigures a, b;
  a.contacts = 3;
  a.answered = 2;
  a.languages = {{"en", 2}, {"es", 1}};
  b.contacts = 1;
  b.abandoned = 1;
  b.languages = {{"es", 1}};
  ChannelFigures both = a;
  both.Merge(b);
  ChannelFigures taken = both;
  ASSERT_TRUE(taken.Subtract(a));
  EXPECT_EQ(taken, b);
  EXPECT_EQ(taken.languages.count("en"), 0u) << "an emptied language is gone";
  ChannelFigures unchanged = b;
  EXPECT_FALSE(unchanged.Subtract(a));
  EXPECT_EQ(unchanged, b);
}

}  // namespace
}  // namespace ledger::performance
