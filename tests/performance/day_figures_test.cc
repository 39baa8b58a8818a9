// DayFigures: days merge into ranges figure by figure, and the stored form
// reads back or is refused.
#include "performance/day_figures.h"

#include <gtest/gtest.h>

#include <limits>

namespace ledger::performance {
namespace {

DayFigures Day(uint64_t base, int64_t backlog, std::initializer_list<int64_t> close_ms) {
  DayFigures d;
  d.opened = base + 1;
  d.closed = base + 2;
  d.closed_duplicate = base;
  d.reopened = base + 3;
  d.transferred_in = base + 4;
  d.transferred_out = base + 5;
  d.backlog_change = backlog;
  d.sla_met = base + 6;
  d.sla_counted = base + 7;
  d.sla_without_deadline = base + 8;
  for (auto ms : close_ms) EXPECT_TRUE(d.time_to_close.Add(ms).ok());
  EXPECT_TRUE(d.first_response.Add(static_cast<int64_t>(base % 1000) * 1000).ok());
  d.surveys = base + 9;
  d.survey_score_sum = 4 * (base + 9);
  d.surveys_4_or_5 = base + 2;
  return d;
}

TEST(DayFigures, AWeekIsTheMergeOfItsDaysFigureByFigure) {
  DayFigures week;
  DayFigures expected;
  for (uint64_t day = 0; day < 7; ++day) {
    DayFigures d = Day(day * 10, static_cast<int64_t>(day) - 3, {int64_t(day) * 3'600'000, 86'400'000});
    week.Merge(d);
    expected.opened += d.opened;
    expected.closed += d.closed;
    expected.closed_duplicate += d.closed_duplicate;
    expected.reopened += d.reopened;
    expected.transferred_in += d.transferred_in;
    expected.transferred_out += d.transferred_out;
    expected.backlog_change += d.backlog_change;
    expected.sla_met += d.sla_met;
    expected.sla_counted += d.sla_counted;
    expected.sla_without_deadline += d.sla_without_deadline;
    expected.time_to_close.Merge(d.time_to_close);
    expected.first_response.Merge(d.first_response);
    expected.surveys += d.surveys;
    expected.survey_score_sum += d.survey_score_sum;
    expected.surveys_4_or_5 += d.surveys_4_or_5;
  }
  EXPECT_EQ(week, expected);
  EXPECT_EQ(week.opened, 7u + 210u);
  EXPECT_EQ(week.backlog_change, 0 + 1 + 2 + 3 - 3 - 2 - 1);
  EXPECT_EQ(week.time_to_close.count(), 14u);
}

// A view as it stood before some changes: the merge less them, exactly;
// taking back more than was merged is refused and changes nothing.
TEST(DayFigures, SubtractingAMergedPartGivesTheRestBack) {
  DayFigures earlier = Day(10, 3, {60'000, 3'600'000});
  DayFigures later = Day(20, -5, {86'400'000});
  DayFigures both = earlier;
  both.Merge(later);
  DayFigures taken = both;
  ASSERT_TRUE(taken.Subtract(later));
  EXPECT_EQ(taken, earlier);
  EXPECT_EQ(taken.Encode(), earlier.Encode()) << "no emptied bucket is left behind";
  ASSERT_TRUE(taken.Subtract(earlier));
  EXPECT_EQ(taken, DayFigures{});

  DayFigures unchanged = earlier;
  EXPECT_FALSE(unchanged.Subtract(both)) << "more than it holds";
  EXPECT_EQ(unchanged, earlier);
  DayFigures other_bucket;
  other_bucket.time_to_close.Add(7).ok();
  DayFigures counts_only = earlier;
  counts_only.time_to_close = DurationHistogram();
  counts_only.time_to_close.Add(8'000'000).ok();
  counts_only.time_to_close.Add(9'000'000).ok();
  EXPECT_FALSE(counts_only.Subtract(other_bucket)) << "a duration it does not hold";
  EXPECT_EQ(counts_only.time_to_close.count(), 2u);
}

TEST(DayFigures, TheStoredFormReadsBack) {
  uint64_t big = std::numeric_limits<uint64_t>::max() - 20;
  for (const DayFigures& d : {DayFigures{}, Day(0, 0, {}), Day(5, -12, {0, 1, 86'400'000}),
                              Day(big, std::numeric_limits<int64_t>::min(), {DurationHistogram::kMaxMillis}),
                              Day(1, std::numeric_limits<int64_t>::max(), {7})}) {
    auto back = DayFigures::Decode(d.Encode());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, d);
  }
}

TEST(DayFigures, BytesItDidNotWriteAreRefused) {
  std::string good = Day(3, -2, {5, 6000}).Encode();
  for (size_t len = 0; len < good.size(); ++len) {
    auto cut = DayFigures::Decode(good.substr(0, len));
    ASSERT_FALSE(cut.ok()) << len;
    EXPECT_EQ(cut.error().code, base::ErrorCode::kCorruption);
  }
  std::string wrong_version = good;
  wrong_version[0] = 2;
  std::string damaged_histogram = good;
  damaged_histogram[damaged_histogram.size() - 1] = 0;  // the last bucket's count: 0
  for (const auto& bad : {good + "x", wrong_version, damaged_histogram}) {
    auto decoded = DayFigures::Decode(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, base::ErrorCode::kCorruption);
  }
}

}  // namespace
}  // namespace ledger::performance
