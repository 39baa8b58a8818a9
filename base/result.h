#pragma once
// base: what every library of the ledger shares. Failures are values: every
// fallible call returns Result<T> (or Status = Result<void>); no exception
// crosses a library boundary.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ledger::base {

// Error kinds. Each maps to one HTTP status in src/http (exhaustive switch).
enum class ErrorCode {
  kInvalidArgument,  // the caller's input is malformed or violates a rule
  kNotFound,         // the named thing does not exist
  kConflict,         // stale expected version or a transition that makes no sense
  kUnavailable,      // a backend cannot take writes now; retry later
  kIo,               // a file or storage operation failed
  kCorruption,       // stored data does not decode or verify
  kTooLarge,         // input over a configured limit
  kUnauthorized,     // no or wrong credentials
  kIdempotencyKeyReused,  // an Idempotency-Key sent again with another request
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}        // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: !ok() (on success there is no error to invent: throws
  // std::bad_optional_access, as Result<T>::error() throws bad_variant_access).
  const Error& error() const { return error_.value(); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace ledger::base
