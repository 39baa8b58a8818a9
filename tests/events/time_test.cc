#include <gtest/gtest.h>

#include <string>

#include "events/event.h"

namespace ledger::events {
namespace {

constexpr int64_t kNov23 = 1795442880123;  // 2026-11-23T14:08:00.123Z

int64_t Parsed(std::string_view text) {
  Result<int64_t> ms = ParseTime(text);
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
       }) {
    Result<int64_t> ms = ParseTime(bad);
    ASSERT_FALSE(ms.ok()) << "accepted '" << bad << "' as " << *ms;
    EXPECT_EQ(ms.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(ms.error().message.find(std::string(bad)), std::string::npos)
        << ms.error().message;
  }
}

}  // namespace
}  // namespace ledger::events
