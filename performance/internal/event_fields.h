#pragma once
// Reading event data fields the folds need (internal to ledger_performance):
// a missing or mistyped field reads as empty, never throws. The request
// projection quarantines events that are not what their schema says.

#include <string>

#include "events/event.h"

namespace ledger::performance::internal {

inline std::string StringField(const events::Json& data, const char* key) {
  auto it = data.find(key);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace ledger::performance::internal
