#pragma once
// CloseTimeEstimates: how long requests of each service take to close, for
// the expected completion of open requests (Open311's expected_datetime):
// the p50 and p90 time to close of the service over the 90 local days up
// to today, merged from the service-day views. Each service's estimate is
// kept for a minute, so a request read often costs one merge a minute.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "projections/state_store.h"

namespace ledger::http {

struct CloseTimeEstimate {
  double p50_ms = 0;
  double p90_ms = 0;
  uint64_t sample = 0;  // close events counted
  std::string from, to;  // the local days they come from
};

class CloseTimeEstimates {
 public:
  static constexpr int kDays = 90;

  // REQUIRES: store and catalog outlive the estimates; clock gives UTC ms.
  CloseTimeEstimates(projections::StateStore& store, const catalog::Catalog& catalog,
                     std::function<int64_t()> clock)
      : store_(store), catalog_(catalog), clock_(std::move(clock)) {}

  // nullopt when the service closed nothing in the 90 days (or they cannot be read).
  std::optional<CloseTimeEstimate> For(std::string_view service);

 private:
  struct Kept {
    int64_t computed_ms = 0;
    uint64_t views = 0;  // StateStore::ViewsChanged() then
    std::optional<CloseTimeEstimate> estimate;
  };
  projections::StateStore& store_;
  const catalog::Catalog& catalog_;
  const std::function<int64_t()> clock_;
  std::mutex mu_;
  std::map<std::string, Kept, std::less<>> kept_;
};

}  // namespace ledger::http
