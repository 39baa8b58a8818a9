#pragma once
// Reads the fields of a JSON command body with the checks every command
// shares: required or not, type, bounds, allowed values, unknown fields.
// The first problem is kept and named ("field 'score': must be an integer
// from 1 to 5"); later reads after a failure are no-ops returning defaults.

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "events/event.h"
#include "base/result.h"

namespace ledger::commands {

class BodyFields {
 public:
  // REQUIRES: body is a JSON object.
  explicit BodyFields(const events::Json& body) : body_(body) {}

  std::string String(const char* name, bool required, size_t max_length = 200);
  // A string that must be one of `allowed`; `fallback` when absent and not required.
  std::string OneOf(const char* name, std::span<const std::string_view> allowed, bool required,
                    std::string_view fallback = {});
  std::string OneOf(const char* name, std::initializer_list<std::string_view> allowed,
                    bool required, std::string_view fallback = {}) {
    return OneOf(name, std::span<const std::string_view>(allowed.begin(), allowed.size()),
                 required, fallback);
  }
  std::optional<double> Number(const char* name, bool required, double min, double max);
  std::optional<int64_t> Integer(const char* name, bool required, int64_t min, int64_t max);
  std::optional<bool> Bool(const char* name, bool required);
  // An object field; nullptr when absent (or on error).
  const events::Json* Object(const char* name, bool required);
  // An RFC 3339 time; nullopt when absent.
  std::optional<int64_t> Time(const char* name, bool required);
  // Whether the body has the field at all.
  bool Has(const char* name) const { return body_.contains(name); }
  // Fails on any field of the body not in `known`.
  void OnlyKnown(std::initializer_list<std::string_view> known);

  void Fail(base::ErrorCode code, std::string message);
  bool ok() const { return !error_.has_value(); }
  // REQUIRES: !ok()
  const base::Error& error() const { return *error_; }

 private:
  const events::Json* Find(const char* name, bool required);
  void FailField(const char* name, const std::string& what);

  const events::Json& body_;
  std::optional<base::Error> error_;
};

// The resident's personal fields of a body's "resident" object, checked
// (name, phone, email, address), or an empty object.
events::Json ReadResident(BodyFields& fields);

}  // namespace ledger::commands
