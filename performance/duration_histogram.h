#pragma once
// DurationHistogram: a mergeable histogram of durations in milliseconds
// whose quantiles are within 1% of the true value (logarithmic buckets, as
// in DDSketch). The department views keep one per department-day for time
// to close and first response; weeks, months and years merge the days.
//
//   bucket 0        holds 0 ms
//   bucket i >= 1   holds the durations d with g^(i-2) < d <= g^(i-1),
//                   g = (1 + a) / (1 - a), a = kRelativeError (1 ms is in 1)
//
// The q-quantile of n durations is the one of rank max(1, ceil(q * n)) in
// ascending order (the "nearest rank" definition: q = 0.5 of 1, 2, 3, 4
// is 2); the histogram answers 2 g^(i-1) / (g + 1) for the bucket i that
// holds that rank (0 for bucket 0), which is within a of it.
//
// Merging adds bucket counts, so merging the histograms of two sets of
// durations equals the histogram of both sets, bucket for bucket.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ledger::performance {

class DurationHistogram {
 public:
  static constexpr double kRelativeError = 0.01;
  // Durations up to 10,000 years in ms fit: more is refused, not clipped.
  static constexpr int64_t kMaxMillis = 315'576'000'000'000;

  // Counts one duration; kInvalidArgument (and nothing counted) if it is
  // negative or over kMaxMillis.
  base::Status Add(int64_t millis);
  void Merge(const DurationHistogram& other);
  // Takes back `other`, a part of what was merged here (a view as it stood
  // before `other` was added). False, and nothing changed, if `other`
  // holds a duration this does not.
  bool Subtract(const DurationHistogram& other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The estimated q-quantile (0 <= q <= 1) in ms; nullopt when empty.
  std::optional<double> Quantile(double q) const;

  // A compact form for RocksDB values (varints: bucket deltas and counts),
  // and its inverse; kCorruption for bytes Encode did not write.
  std::string Encode() const;
  static base::Result<DurationHistogram> Decode(std::string_view bytes);

  bool operator==(const DurationHistogram&) const = default;

 private:
  // (bucket index, durations in it), by bucket, none empty: a range of
  // days merges thousands of these, and a sorted vector merges in one pass.
  std::vector<std::pair<uint32_t, uint64_t>> buckets_;
  uint64_t count_ = 0;
};

// The bucket of `millis` (0 <= millis <= kMaxMillis), and the value a
// bucket answers for: exposed for the tests and the reference script.
uint32_t BucketOf(int64_t millis);
double BucketValue(uint32_t bucket);

}  // namespace ledger::performance
