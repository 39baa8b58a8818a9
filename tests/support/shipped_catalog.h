#pragma once
// The shipped config/catalog.toml (center time zone America/New_York), read
// once from the source tree (LEDGER_SOURCE_DIR), for tests that need a
// catalog without a running ledger.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "catalog/catalog.h"

namespace ledger::testing {

inline const std::shared_ptr<const catalog::Catalog>& ShippedCatalog() {
  static const std::shared_ptr<const catalog::Catalog> catalog = [] {
    auto loaded = catalog::Catalog::Load(std::string(LEDGER_SOURCE_DIR) + "/config/catalog.toml");
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
    return loaded.ok() ? *loaded : nullptr;
  }();
  return catalog;
}

}  // namespace ledger::testing
