#pragma once
// The shipped config/catalog.toml (center time zone America/New_York), read
// once from the source tree, for the folds' tests.

#include <string>

#include "catalog/catalog.h"

namespace ledger::performance {

inline const catalog::Catalog& Shipped() {
  static auto catalog = catalog::Catalog::Load(std::string(LEDGER_SOURCE_DIR) + "/config/catalog.toml");
  return **catalog;
}

}  // namespace ledger::performance
