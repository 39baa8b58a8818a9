#include <gtest/gtest.h>

#include <string>

#include "events/event.h"

namespace ledger::events {
namespace {

constexpr int64_t kNov23 = 1795442880123;  // 2026-11-23T14:08:00.123Z

int64_t Parsed(std::string_view text) {
  base::Result<int64_t> ms = ParseTime(text);
  EXPECT_TRUE(ms.ok()) << text << ": " << (ms.ok() ? "" : ms.error().message);
  return ms.ok() ? *ms : -1;
}

TEST(EventTime, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTime(kNov23), "2026-11-23T14:08:00.123Z");
  EXPECT_EQ(FormatTime(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatTime(-1), "1969-12-31T23:59:59.999Z");
}

TEST(EventTime, FormatThenParseGivesSameTime) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, kNov23, int64_t{951782400000},
                     int64_t{4102444799999}, int64_t{-86400001}}) {
    EXPECT_EQ(Parsed(FormatTime(ms)), ms) << FormatTime(ms);
  }
}

TEST(EventTime, ParsesOffsetsToUtc) {
  EXPECT_EQ(Parsed("2026-11-23T16:08:00.123+02:00"), kNov23);
  EXPECT_EQ(Parsed("2026-11-23T08:38:00.123-05:30"), kNov23);
  EXPECT_EQ(Parsed("2026-11-24T00:08:00.123+10:00"), kNov23) << "offset crossing midnight";
  EXPECT_EQ(Parsed("2026-11-23T14:08:00.123z"), kNov23);
}

TEST(EventTime, ParsesFractionsOfAnyLength) {
  EXPECT_EQ(Parsed("2026-11-23T14:08:00Z"), kNov23 - 123);
  EXPECT_EQ(Parsed("2026-11-23T14:08:00.5Z"), kNov23 - 123 + 500);
  EXPECT_EQ(Parsed("2026-11-23T14:08:00.12Z"), kNov23 - 3);
  EXPECT_EQ(Parsed("2026-11-23T14:08:00.123456789Z"), kNov23) << "sub-ms digits are dropped";
}

TEST(EventTime, RejectsWhatIsNotRfc3339) {
  for (std::string_view bad : {
           "2026-02-30T10:00:00Z",        // no Feb 30
           "2027-02-29T10:00:00Z",        // not a leap year
           "2026-11-23T14:08:00",         // no zone
           "2026-11-23",                  // no time
           "garbage",                     //
           "",                            //
           "2026-13-01T00:00:00Z",        // month 13
           "2026-11-23T24:00:00Z",        // hour 24
           "2026-11-23T14:60:00Z",        // minute 60
           "2026-11-23T14:08:00.Z",       // empty fraction
           "2026-11-23T14:08:00+0200",    // offset without colon
           "2026-11-23T14:08:00+25:00",   // offset hour 25
           "2026-11-23T14:08:00+02:75",   // offset minute 75
           "2026-11-23T14:08:00Z junk",   // trailing text
           "2026/11/23T14:08:00Z",        // wrong separators
           "2016-12-31T23:59:60Z",        // leap second: refused, see ParseTime
           "2026-11-23T14:08:00+18:01",   // offset beyond +18:00
           "2026-11-23T14:08:00-19:00",   // offset beyond -18:00
           "10000-01-01T00:00:00Z",       // five-digit year
           "-001-12-31T23:59:00.000Z",    // what an unchecked year 0 once became
       }) {
    base::Result<int64_t> ms = ParseTime(bad);
    ASSERT_FALSE(ms.ok()) << "accepted '" << bad << "' as " << *ms;
    EXPECT_EQ(ms.error().code, base::ErrorCode::kInvalidArgument);
    EXPECT_NE(ms.error().message.find(std::string(bad)), std::string::npos)
        << ms.error().message;
  }
}

TEST(EventTime, AcceptsEveryTimeFromYear1ToYear9999AfterTheOffset) {
  EXPECT_EQ(Parsed("0001-01-01T00:00:00Z"), kMinTimeMs);
  EXPECT_EQ(Parsed("9999-12-31T23:59:59.999Z"), kMaxTimeMs);
  EXPECT_EQ(Parsed("0000-12-31T23:00:00-01:00"), kMinTimeMs) << "year 0 local is year 1 in UTC";
  EXPECT_EQ(Parsed("1900-01-01T00:00:00Z"), -2'208'988'800'000) << "the importers' 1900 dates";
  EXPECT_EQ(Parsed("2026-11-24T08:08:00.123+18:00"), kNov23);
  EXPECT_EQ(Parsed("2026-11-22T20:08:00.123-18:00"), kNov23);
  EXPECT_EQ(FormatTime(kMinTimeMs), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTime(kMaxTimeMs), "9999-12-31T23:59:59.999Z");
}

TEST(EventTime, RefusesTimesOutsideYears1To9999AfterTheOffset) {
  for (std::string_view outside : {
           "0000-01-01T00:00:00+00:01",  // year 0 minus a minute: the stored -001 of the report
           "0000-12-31T23:59:59.999Z",   // one millisecond before year 1
           "0001-01-01T00:00:00+00:01",  // a minute before year 1 in UTC
           "9999-12-31T23:59:59.999-00:01",  // a minute into year 10000 in UTC
           "9999-12-31T23:00:00-18:00",
       }) {
    base::Result<int64_t> ms = ParseTime(outside);
    ASSERT_FALSE(ms.ok()) << "accepted '" << outside << "' as " << *ms;
    EXPECT_EQ(ms.error().code, base::ErrorCode::kInvalidArgument);
    EXPECT_NE(ms.error().message.find("outside years 0001 to 9999"), std::string::npos)
        << ms.error().message;
  }
}

}  // namespace
}  // namespace ledger::events
