// DurationHistogram: quantiles within 1% of the nearest-rank value, exact
// merges, and a stored form that reads back or is refused.
#include "performance/duration_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace ledger::performance {
namespace {

constexpr double kBound = DurationHistogram::kRelativeError * (1 + 1e-9);

// The nearest-rank q-quantile of `values`, as the header defines it.
double NearestRank(std::vector<int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  auto rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * values.size())));
  return static_cast<double>(values[rank - 1]);
}

void ExpectWithinBound(double estimate, double exact) {
  if (exact == 0) {
    EXPECT_EQ(estimate, 0);
  } else {
    EXPECT_LE(std::abs(estimate - exact) / exact, kBound) << "estimate " << estimate << " exact " << exact;
  }
}

DurationHistogram Of(const std::vector<int64_t>& values) {
  DurationHistogram h;
  for (auto v : values) EXPECT_TRUE(h.Add(v).ok()) << v;
  return h;
}

TEST(DurationHistogram, EveryDurationIsAnsweredWithinOnePercent) {
  for (int64_t d = 0; d <= 200'000; ++d) {
    double answered = BucketValue(BucketOf(d));
    if (d == 0) ASSERT_EQ(answered, 0);
    else ASSERT_LE(std::abs(answered - d) / d, kBound) << d;
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(1, DurationHistogram::kMaxMillis);
  for (int i = 0; i < 200'000; ++i) {
    int64_t d = any(rng);
    ASSERT_LE(std::abs(BucketValue(BucketOf(d)) - d) / d, kBound) << d;
  }
  int64_t max = DurationHistogram::kMaxMillis;
  EXPECT_LE(std::abs(BucketValue(BucketOf(max)) - max) / max, kBound);
}

TEST(DurationHistogram, QuantilesOfRealisticCloseTimesAreWithinOnePercent) {
  // Lognormal close times (median ~2 days) and a few instant closes.
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> close_ms(std::log(2 * 86'400'000.0), 1.5);
  for (size_t n : {1u, 2u, 7u, 100u, 5'000u, 100'000u}) {
    std::vector<int64_t> values;
    for (size_t i = 0; i < n; ++i)
      values.push_back(i % 50 == 3 ? 0 : std::min<int64_t>(static_cast<int64_t>(close_ms(rng)), DurationHistogram::kMaxMillis));
    auto h = Of(values);
    ASSERT_EQ(h.count(), n);
    for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " q=" + std::to_string(q));
      ExpectWithinBound(*h.Quantile(q), NearestRank(values, q));
    }
  }
}

TEST(DurationHistogram, NearestRankOfASmallSet) {
  auto h = Of({1, 2, 3, 4});
  ExpectWithinBound(*h.Quantile(0.5), 2);
  ExpectWithinBound(*h.Quantile(0.51), 3);
  ExpectWithinBound(*h.Quantile(0.0), 1);
  ExpectWithinBound(*h.Quantile(1.0), 4);
}

TEST(DurationHistogram, OutOfRangeDurationsAndQuantilesAreRefused) {
  DurationHistogram h;
  EXPECT_FALSE(h.Quantile(0.5).has_value());  // empty
  for (int64_t bad : {int64_t{-1}, DurationHistogram::kMaxMillis + 1, std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max()}) {
    auto added = h.Add(bad);
    ASSERT_FALSE(added.ok()) << bad;
    EXPECT_EQ(added.error().code, base::ErrorCode::kInvalidArgument);
    EXPECT_NE(added.error().message.find("got " + std::to_string(bad)), std::string::npos) << added.error().message;
  }
  EXPECT_EQ(h.count(), 0u);
  ASSERT_TRUE(h.Add(0).ok());
  ASSERT_TRUE(h.Add(DurationHistogram::kMaxMillis).ok());
  for (double q : {-0.1, 1.1, std::nan(""), std::numeric_limits<double>::infinity()})
    EXPECT_FALSE(h.Quantile(q).has_value()) << q;
  EXPECT_EQ(*h.Quantile(0.5), 0);
  ExpectWithinBound(*h.Quantile(1), static_cast<double>(DurationHistogram::kMaxMillis));
}

TEST(DurationHistogram, MergingDaysEqualsCountingTheirDurationsTogether) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int64_t> ms(0, 30LL * 86'400'000);
  std::vector<int64_t> all;
  DurationHistogram month;
  for (int day = 0; day < 30; ++day) {
    std::vector<int64_t> values(1 + day * 7);
    for (auto& v : values) v = ms(rng);
    month.Merge(Of(values));
    all.insert(all.end(), values.begin(), values.end());
  }
  EXPECT_EQ(month, Of(all));
  EXPECT_EQ(month.count(), all.size());
  for (double q : {0.5, 0.9}) ExpectWithinBound(*month.Quantile(q), NearestRank(all, q));
  DurationHistogram empty;
  month.Merge(empty);
  EXPECT_EQ(month, Of(all));
}

TEST(DurationHistogram, SubtractingAPartGivesTheRestBackAndRefusesWhatItDoesNotHold) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> ms(0, 90LL * 86'400'000);
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> part(1 + round), rest(round * 3);
    for (auto& v : part) v = ms(rng);
    for (auto& v : rest) v = ms(rng);
    DurationHistogram both = Of(rest);
    both.Merge(Of(part));
    DurationHistogram taken = both;
    ASSERT_TRUE(taken.Subtract(Of(part)));
    EXPECT_EQ(taken, Of(rest)) << "round " << round;
    DurationHistogram unchanged = Of(rest);
    std::vector<int64_t> more = part;
    more.push_back(ms(rng));
    if (!unchanged.Subtract(Of(more))) EXPECT_EQ(unchanged, Of(rest)) << "refused, nothing changed";
  }
  DurationHistogram one = Of({1000});
  EXPECT_FALSE(one.Subtract(Of({1000, 1000})));
  EXPECT_FALSE(one.Subtract(Of({5000})));
  EXPECT_EQ(one, Of({1000}));
}

TEST(DurationHistogram, TheStoredFormReadsBack) {
  for (const std::vector<int64_t>& values :
       {std::vector<int64_t>{}, {0}, {0, 0, 1}, {DurationHistogram::kMaxMillis}, {5, 86'400'000, 3, 5, 17}}) {
    auto h = Of(values);
    auto back = DurationHistogram::Decode(h.Encode());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, h);
  }
}

TEST(DurationHistogram, BytesItDidNotWriteAreRefused) {
  std::string good = Of({0, 3, 3, 86'400'000}).Encode();
  // Every cut of a good form, and every kind of damage.
  for (size_t len = 0; len < good.size(); ++len) {
    auto cut = DurationHistogram::Decode(good.substr(0, len));
    ASSERT_FALSE(cut.ok()) << len;
    EXPECT_EQ(cut.error().code, base::ErrorCode::kCorruption);
  }
  std::string two_buckets_same = std::string("\x01\x02", 2) + std::string("\x05\x01\x00\x01", 4);
  std::string zero_count = std::string("\x01\x01\x05\x00", 4);
  std::string far_bucket = std::string("\x01\x01", 2) + std::string("\xff\xff\xff\xff\x0f\x01", 6);
  std::string overlong = std::string("\x01\x01", 2) + std::string(11, '\xff') + "\x01";
  for (const auto& bad : {good + "x", std::string("\x02") + good.substr(1), two_buckets_same, zero_count,
                          far_bucket, overlong}) {
    auto decoded = DurationHistogram::Decode(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, base::ErrorCode::kCorruption);
  }
}

}  // namespace
}  // namespace ledger::performance
