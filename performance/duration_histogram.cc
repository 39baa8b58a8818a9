#include "performance/duration_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "performance/internal/stored_form.h"

namespace ledger::performance {
namespace {

using base::ErrorCode;
using base::MakeError;
using internal::GetVarint;
using internal::PutVarint;

constexpr double kGamma = (1 + DurationHistogram::kRelativeError) / (1 - DurationHistogram::kRelativeError);
const double kLogGamma = std::log(kGamma);
constexpr char kVersion = 1;  // the first byte of Encode's form

}  // namespace

uint32_t BucketOf(int64_t millis) {
  if (millis <= 0) return 0;
  return static_cast<uint32_t>(std::ceil(std::log(static_cast<double>(millis)) / kLogGamma)) + 1;
}

double BucketValue(uint32_t bucket) {
  if (bucket == 0) return 0;
  return 2 * std::pow(kGamma, static_cast<double>(bucket) - 1) / (kGamma + 1);
}

base::Status DurationHistogram::Add(int64_t millis) {
  if (millis < 0 || millis > kMaxMillis)
    return MakeError(ErrorCode::kInvalidArgument,
                     "a duration must be between 0 and " + std::to_string(kMaxMillis) + " ms, got " +
                         std::to_string(millis));
  uint32_t bucket = BucketOf(millis);
  auto at = std::lower_bound(buckets_.begin(), buckets_.end(), std::pair<uint32_t, uint64_t>{bucket, 0});
  if (at != buckets_.end() && at->first == bucket) ++at->second;
  else buckets_.insert(at, {bucket, 1});
  ++count_;
  return {};
}

void DurationHistogram::Merge(const DurationHistogram& other) {
  if (other.buckets_.empty()) return;
  if (buckets_.empty()) {
    *this = other;
    return;
  }
  std::vector<std::pair<uint32_t, uint64_t>> merged;
  merged.reserve(buckets_.size() + other.buckets_.size());
  auto a = buckets_.cbegin();
  auto b = other.buckets_.cbegin();
  while (a != buckets_.end() || b != other.buckets_.end()) {
    if (b == other.buckets_.end() || (a != buckets_.end() && a->first < b->first)) {
      merged.push_back(*a++);
    } else if (a == buckets_.end() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.emplace_back(a->first, a->second + b->second);
      ++a, ++b;
    }
  }
  buckets_ = std::move(merged);
  count_ += other.count_;
}

bool DurationHistogram::Subtract(const DurationHistogram& other) {
  if (other.count_ > count_) return false;
  // Both sorted: each of other's buckets is found after the one before it.
  std::vector<size_t> at;
  at.reserve(other.buckets_.size());
  size_t i = 0;
  for (const auto& [bucket, n] : other.buckets_) {
    while (i < buckets_.size() && buckets_[i].first < bucket) ++i;
    if (i == buckets_.size() || buckets_[i].first != bucket || buckets_[i].second < n) return false;
    at.push_back(i);
  }
  for (size_t k = 0; k < at.size(); ++k) buckets_[at[k]].second -= other.buckets_[k].second;
  std::erase_if(buckets_, [](const auto& b) { return b.second == 0; });
  count_ -= other.count_;
  return true;
}

std::optional<double> DurationHistogram::Quantile(double q) const {
  if (count_ == 0 || !(q >= 0 && q <= 1)) return std::nullopt;
  auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (const auto& [bucket, n] : buckets_) {
    seen += n;
    if (seen >= rank) return BucketValue(bucket);
  }
  return BucketValue(buckets_.back().first);
}

std::string DurationHistogram::Encode() const {
  std::string out(1, kVersion);
  PutVarint(out, buckets_.size());
  uint32_t previous = 0;
  for (const auto& [bucket, n] : buckets_) {
    PutVarint(out, bucket - previous);
    PutVarint(out, n);
    previous = bucket;
  }
  return out;
}

base::Result<DurationHistogram> DurationHistogram::Decode(std::string_view bytes) {
  auto corrupt = [](const std::string& why) {
    return MakeError(ErrorCode::kCorruption, "duration histogram: " + why);
  };
  if (bytes.empty() || bytes[0] != kVersion) return corrupt("unknown version");
  size_t at = 1;
  auto buckets = GetVarint(bytes, at);
  const uint32_t max_bucket = BucketOf(kMaxMillis);
  if (!buckets || *buckets > max_bucket + 1) return corrupt("bad bucket count");
  DurationHistogram h;
  h.buckets_.reserve(*buckets);
  uint64_t bucket = 0;
  for (uint64_t i = 0; i < *buckets; ++i) {
    auto delta = GetVarint(bytes, at);
    auto n = GetVarint(bytes, at);
    if (!delta || !n) return corrupt("cut short");
    if ((i > 0 && *delta == 0) || *n == 0) return corrupt("buckets out of order or empty");
    if (*delta > max_bucket) return corrupt("bucket past the largest duration");
    bucket += *delta;
    if (bucket > max_bucket) return corrupt("bucket past the largest duration");
    if (h.count_ > std::numeric_limits<uint64_t>::max() - *n) return corrupt("count overflows");
    h.buckets_.emplace_back(static_cast<uint32_t>(bucket), *n);
    h.count_ += *n;
  }
  if (at != bytes.size()) return corrupt("trailing bytes");
  return h;
}

}  // namespace ledger::performance
