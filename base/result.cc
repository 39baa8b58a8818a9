#include "base/result.h"

namespace ledger::base {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kIo: return "io_error";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kIdempotencyKeyReused: return "idempotency_key_reused";
  }
  return "unknown";
}

}  // namespace ledger::base
