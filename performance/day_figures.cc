#include "performance/day_figures.h"

#include <array>

#include "performance/internal/stored_form.h"

namespace ledger::performance {
namespace {

using internal::GetString;
using internal::GetVarint;
using internal::PutString;
using internal::PutVarint;
constexpr char kVersion = 1;  // the first byte of Encode's form

// The counters in their stored order (a new one goes at the end, with a new version).
std::array<uint64_t DayFigures::*, 15> Counters() {
  return {&DayFigures::opened,          &DayFigures::closed,         &DayFigures::closed_duplicate,
          &DayFigures::reopened,        &DayFigures::transferred_in, &DayFigures::transferred_out,
          &DayFigures::sla_met,         &DayFigures::sla_counted,    &DayFigures::sla_without_deadline,
          &DayFigures::surveys,         &DayFigures::survey_score_sum, &DayFigures::surveys_4_or_5,
          &DayFigures::handoffs,        &DayFigures::closed_after_handoff, &DayFigures::breached};
}

base::Error Corrupt(const std::string& why) {
  return base::MakeError(base::ErrorCode::kCorruption, "department-day figures: " + why);
}

// Reads the counters and backlog_change into `f`, leaving `at` at the histograms.
base::Status DecodeCounters(std::string_view bytes, size_t& at, DayFigures& f) {
  if (bytes.empty() || bytes[0] != kVersion) return Corrupt("unknown version");
  at = 1;
  for (auto counter : Counters()) {
    auto v = GetVarint(bytes, at);
    if (!v) return Corrupt("cut short");
    f.*counter = *v;
  }
  auto backlog = GetVarint(bytes, at);
  if (!backlog) return Corrupt("cut short");
  f.backlog_change = internal::UnZigZag(*backlog);
  return {};
}

}  // namespace

void DayFigures::Merge(const DayFigures& other) {
  for (auto counter : Counters()) this->*counter += other.*counter;
  backlog_change += other.backlog_change;
  time_to_close.Merge(other.time_to_close);
  first_response.Merge(other.first_response);
}

std::string DayFigures::Encode() const {
  std::string out(1, kVersion);
  for (auto counter : Counters()) PutVarint(out, this->*counter);
  PutVarint(out, internal::ZigZag(backlog_change));
  for (const DurationHistogram* h : {&time_to_close, &first_response}) PutString(out, h->Encode());
  return out;
}

bool DayFigures::Subtract(const DayFigures& other) {
  for (auto counter : Counters())
    if (other.*counter > this->*counter) return false;
  DayFigures taken = *this;
  if (!taken.time_to_close.Subtract(other.time_to_close) || !taken.first_response.Subtract(other.first_response))
    return false;
  for (auto counter : Counters()) taken.*counter -= other.*counter;
  taken.backlog_change -= other.backlog_change;
  *this = std::move(taken);
  return true;
}

base::Result<int64_t> DayFigures::DecodeBacklogChange(std::string_view bytes) {
  size_t at = 0;
  DayFigures f;
  if (auto decoded = DecodeCounters(bytes, at, f); !decoded) return decoded.error();
  return f.backlog_change;
}

base::Result<DayFigures> DayFigures::Decode(std::string_view bytes) {
  size_t at = 0;
  DayFigures f;
  if (auto decoded = DecodeCounters(bytes, at, f); !decoded) return decoded.error();
  for (DurationHistogram* h : {&f.time_to_close, &f.first_response}) {
    std::string stored;
    if (!GetString(bytes, at, stored)) return Corrupt("cut short");
    auto decoded = DurationHistogram::Decode(stored);
    if (!decoded) return Corrupt(decoded.error().message);
    *h = std::move(*decoded);
  }
  if (at != bytes.size()) return Corrupt("trailing bytes");
  return f;
}

}  // namespace ledger::performance
