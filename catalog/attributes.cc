// Catalog::ValidateAttributes: a request's service attributes against the
// service's definition. Messages name the attribute as a JSON path
// ("attributes/items: required") so intake forms can point at the field.

#include <algorithm>
#include <optional>

#include "catalog/calendar.h"
#include "catalog/catalog.h"

namespace ledger::catalog {
namespace {

base::Status Invalid(const std::string& code, const std::string& message) {
  return base::MakeError(base::ErrorCode::kInvalidArgument,
                           "attributes/" + code + ": " + message);
}

// Absent, null, "" and [] all mean "not given": a form sends empty fields.
bool IsEmpty(const Json& value) {
  return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()) ||
         (value.is_array() && value.empty());
}

std::string ValueList(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) out += (out.empty() ? "" : ", ") + value;
  return out;
}

// Why `value` is not one of the attribute's values, or nullopt if it is.
std::optional<std::string> ListProblem(const ServiceAttribute& attribute, const Json& value) {
  if (!value.is_string()) return "must be a string, one of " + ValueList(attribute.values);
  const auto& text = value.get_ref<const std::string&>();
  if (std::find(attribute.values.begin(), attribute.values.end(), text) == attribute.values.end())
    return "value '" + text + "' is not one of " + ValueList(attribute.values);
  return std::nullopt;
}

// Why `value` does not fit the attribute's type, or nullopt if it does.
std::optional<std::string> TypeProblem(const ServiceAttribute& attribute, const Json& value) {
  switch (attribute.type) {
    case AttributeType::kString:
      if (!value.is_string()) return "must be a string";
      return std::nullopt;
    case AttributeType::kNumber:
      if (!value.is_number()) return "must be a number";
      return std::nullopt;
    case AttributeType::kInteger:
      if (!value.is_number_integer()) return "must be an integer";
      return std::nullopt;
    case AttributeType::kBoolean:
      if (!value.is_boolean()) return "must be true or false";
      return std::nullopt;
    case AttributeType::kDate:
      if (!value.is_string() || !ParseIsoDate(value.get_ref<const std::string&>()))
        return "must be a date YYYY-MM-DD";
      return std::nullopt;
    case AttributeType::kSingleValueList:
      return ListProblem(attribute, value);
    case AttributeType::kMultiValueList:
      if (!value.is_array()) return "must be an array of values from " + ValueList(attribute.values);
      for (const Json& element : value)
        if (auto problem = ListProblem(attribute, element)) return problem;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

base::Status Catalog::ValidateAttributes(const Service& service, const Json& attributes) const {
  if (!attributes.is_object()) {
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                             "attributes: must be an object");
  }
  // Unknown codes first: a misspelt code is the likelier cause of a
  // "required" complaint about its correct spelling.
  for (const auto& [code, value] : attributes.items()) {
    const bool known = std::any_of(service.attributes.begin(), service.attributes.end(),
                                   [&](const ServiceAttribute& a) { return a.code == code; });
    if (!known) return Invalid(code, "unknown attribute for service '" + service.code + "'");
  }
  for (const ServiceAttribute& attribute : service.attributes) {
    const auto it = attributes.find(attribute.code);
    if (it == attributes.end() || IsEmpty(*it)) {
      if (attribute.required) return Invalid(attribute.code, "required");
      continue;
    }
    if (auto problem = TypeProblem(attribute, *it)) return Invalid(attribute.code, *problem);
  }
  return {};
}

}  // namespace ledger::catalog
