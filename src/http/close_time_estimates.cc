#include "src/http/close_time_estimates.h"

#include "performance/report.h"

namespace ledger::http {
namespace {

constexpr int64_t kKeepAtLeastMs = 1'000;
constexpr int64_t kKeepAtMostMs = 60'000;

}  // namespace

std::optional<CloseTimeEstimate> CloseTimeEstimates::For(std::string_view service) {
  int64_t now = clock_();
  uint64_t views = store_.ViewsChanged();
  {
    std::lock_guard lock(mu_);
    auto it = kept_.find(service);
    if (it != kept_.end()) {
      int64_t age = now - it->second.computed_ms;
      bool current = it->second.views == views || age < kKeepAtLeastMs;
      if (current && age < kKeepAtMostMs) return it->second.estimate;
    }
  }
  std::string to = catalog_.LocalDate(now);
  std::string from = performance::AddDays(to, 1 - kDays);
  std::optional<CloseTimeEstimate> estimate;
  auto rows = store_.DayRows(performance::Dimension::kService, service, from, to, std::nullopt);
  if (rows.ok()) {
    performance::DurationHistogram merged;
    for (const auto& row : *rows) merged.Merge(row.figures.time_to_close);
    if (!merged.empty())
      estimate = CloseTimeEstimate{*merged.Quantile(0.5), *merged.Quantile(0.9), merged.count(), from, to};
  }
  std::lock_guard lock(mu_);
  kept_[std::string(service)] = {now, views, estimate};
  return estimate;
}

}  // namespace ledger::http
