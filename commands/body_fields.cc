#include "commands/body_fields.h"

#include <cmath>

namespace ledger::commands {

using base::ErrorCode;
using events::Json;

void BodyFields::Fail(ErrorCode code, std::string message) {
  if (!error_) error_ = base::Error{code, std::move(message)};
}

void BodyFields::FailField(const char* name, const std::string& what) {
  Fail(ErrorCode::kInvalidArgument, std::string("field '") + name + "': " + what);
}

const Json* BodyFields::Find(const char* name, bool required) {
  if (error_) return nullptr;
  auto it = body_.find(name);
  if (it == body_.end() || it->is_null()) {
    if (required) FailField(name, "is required");
    return nullptr;
  }
  return &*it;
}

std::string BodyFields::String(const char* name, bool required, size_t max_length) {
  const Json* v = Find(name, required);
  if (!v) return {};
  if (!v->is_string()) {
    FailField(name, "must be a string");
    return {};
  }
  const auto& s = v->get_ref<const std::string&>();
  if (required && s.empty()) FailField(name, "must not be empty");
  if (s.size() > max_length)
    FailField(name, "must be at most " + std::to_string(max_length) + " bytes");
  return error_ ? std::string() : s;
}

std::string BodyFields::OneOf(const char* name, std::span<const std::string_view> allowed,
                              bool required, std::string_view fallback) {
  const Json* v = Find(name, required);
  if (!v) return std::string(fallback);
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    for (auto a : allowed)
      if (s == a) return s;
  }
  std::string list;
  for (auto a : allowed) list.append(list.empty() ? "" : ", ").append(a);
  FailField(name, "must be one of " + list);
  return {};
}

std::optional<double> BodyFields::Number(const char* name, bool required, double min, double max) {
  const Json* v = Find(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    FailField(name, "must be a number");
    return std::nullopt;
  }
  double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    FailField(name, "must be a number from " + Json(min).dump() + " to " + Json(max).dump());
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> BodyFields::Integer(const char* name, bool required, int64_t min,
                                           int64_t max) {
  const Json* v = Find(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    FailField(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<bool> BodyFields::Bool(const char* name, bool required) {
  const Json* v = Find(name, required);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    FailField(name, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

const Json* BodyFields::Object(const char* name, bool required) {
  const Json* v = Find(name, required);
  if (v && !v->is_object()) {
    FailField(name, "must be an object");
    return nullptr;
  }
  return v;
}

std::optional<int64_t> BodyFields::Time(const char* name, bool required) {
  std::string text = String(name, required, 64);
  if (text.empty()) return std::nullopt;
  auto ms = events::ParseTime(text);
  if (!ms) {
    FailField(name, ms.error().message);
    return std::nullopt;
  }
  return *ms;
}

void BodyFields::OnlyKnown(std::initializer_list<std::string_view> known) {
  for (auto& [key, value] : body_.items()) {
    bool found = false;
    for (auto k : known) found = found || key == k;
    if (!found) {
      Fail(ErrorCode::kInvalidArgument, "unknown field '" + key + "'");
      return;
    }
  }
}

Json ReadResident(BodyFields& fields) {
  const Json* resident = fields.Object("resident", false);
  Json personal = Json::object();
  if (!resident) return personal;
  BodyFields inner(*resident);
  inner.OnlyKnown({"name", "phone", "email", "address"});
  for (const char* name : {"name", "phone", "email", "address"}) {
    std::string v = inner.String(name, false, 300);
    if (!v.empty()) personal[name] = v;
  }
  if (!inner.ok()) fields.Fail(inner.error().code, "resident: " + inner.error().message);
  return personal;
}

}  // namespace ledger::commands
