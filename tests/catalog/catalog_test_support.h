#pragma once
// Shared by the catalog tests: UTC instants written as calendar times, and
// a parse that stops the test when a catalog meant to be valid is not.

#include <chrono>
#include <memory>
#include <string_view>

#include <gtest/gtest.h>

#include "catalog/catalog.h"

namespace ledger::catalog::testing {

// The [center] of every test catalog: Monday to Friday 07:00-19:00 in New York.
inline constexpr const char* kCenter = R"([center]
name = "Test County 311"
time_zone = "America/New_York"
[center.hours]
open = "07:00"
close = "19:00"
weekdays = ["mon", "tue", "wed", "thu", "fri"]
)";

// Milliseconds since the epoch of the UTC time y-m-d h:min.
inline int64_t UtcMs(int y, unsigned m, unsigned d, int h, int min = 0) {
  namespace chrono = std::chrono;
  const chrono::sys_days date{chrono::year{y} / chrono::month{m} / chrono::day{d}};
  const auto time = date + chrono::hours{h} + chrono::minutes{min};
  return chrono::duration_cast<chrono::milliseconds>(time.time_since_epoch()).count();
}

inline std::shared_ptr<const Catalog> ParseValid(std::string_view toml) {
  auto catalog = Catalog::Parse(toml, "test.toml");
  if (!catalog.ok()) ADD_FAILURE() << catalog.error().message;
  return catalog.ok() ? *catalog : nullptr;
}

}  // namespace ledger::catalog::testing
