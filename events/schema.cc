#include "events/schema.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace ledger::events {

// Generated from events/schemas/*.json by events/embed_schemas.cmake:
// {file name without ".json" (= the event type), schema text}.
extern const std::pair<std::string_view, std::string_view> kEmbeddedSchemas[];
extern const int kEmbeddedSchemaCount;

namespace {

// ---------------------------------------------------------------------------
// Checking the schemas themselves. The validator below trusts what passes
// here, so it never meets a keyword of the wrong JSON type.

using SchemaCheck = std::string (*)(const Json& value, const std::string& where);

std::string CheckSchema(const Json& schema, const std::string& where);

// "<where>: <problem>", where `where` is the path inside the schema document.
std::string Defect(const std::string& where, const std::string& problem) {
  return where.empty() ? problem : where + ": " + problem;
}

std::string Inside(const std::string& where, const std::string& step) {
  return where.empty() ? step : where + "/" + step;
}

bool IsTypeName(const Json& name) {
  static const Json kNames = {"object", "array", "string", "number", "integer", "boolean", "null"};
  return name.is_string() && std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

std::string CheckType(const Json& v, const std::string& where) {
  if (IsTypeName(v)) return {};
  if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), IsTypeName)) return {};
  return Defect(where, "must name JSON types");
}

std::string CheckRequired(const Json& v, const std::string& where) {
  auto is_string = [](const Json& name) { return name.is_string(); };
  if (v.is_array() && std::all_of(v.begin(), v.end(), is_string)) return {};
  return Defect(where, "must be an array of field names");
}

std::string CheckProperties(const Json& v, const std::string& where) {
  if (!v.is_object()) return Defect(where, "must be an object");
  for (const auto& [name, sub] : v.items())
    if (auto defect = CheckSchema(sub, Inside(where, name)); !defect.empty())
      return defect;
  return {};
}

std::string CheckBoolOrSchema(const Json& v, const std::string& where) {
  return v.is_boolean() ? std::string() : CheckSchema(v, where);
}

std::string CheckEnum(const Json& v, const std::string& where) {
  if (v.is_array() && !v.empty()) return {};
  return Defect(where, "must be a non-empty array");
}

std::string CheckNumber(const Json& v, const std::string& where) {
  return v.is_number() ? std::string() : Defect(where, "must be a number");
}

std::string CheckLength(const Json& v, const std::string& where) {
  return v.is_number_unsigned() ? std::string() : Defect(where, "must be an unsigned integer");
}

std::string CheckFormat(const Json& v, const std::string& where) {
  return v == "date-time" ? std::string() : Defect(where, "only \"date-time\" is supported");
}

std::string CheckAnnotation(const Json&, const std::string&) { return {}; }

const std::map<std::string, SchemaCheck, std::less<>>& KeywordChecks() {
  static const std::map<std::string, SchemaCheck, std::less<>> kChecks = {
      {"$schema", CheckAnnotation},   {"$id", CheckAnnotation},
      {"title", CheckAnnotation},     {"description", CheckAnnotation},
      {"type", CheckType},            {"required", CheckRequired},
      {"properties", CheckProperties}, {"additionalProperties", CheckBoolOrSchema},
      {"enum", CheckEnum},            {"minimum", CheckNumber},
      {"maximum", CheckNumber},       {"minLength", CheckLength},
      {"maxLength", CheckLength},     {"items", CheckSchema},
      {"format", CheckFormat},        {"if", CheckSchema},
      {"then", CheckSchema},
  };
  return kChecks;
}

// The first reason `schema` is outside the supported subset, or empty.
std::string CheckSchema(const Json& schema, const std::string& where) {
  if (!schema.is_object()) return Defect(where, "a schema must be a JSON object");
  if (schema.contains("if") != schema.contains("then"))
    return Defect(where, "'if' and 'then' must come together");
  for (const auto& [keyword, value] : schema.items()) {
    auto check = KeywordChecks().find(keyword);
    if (check == KeywordChecks().end())
      return Defect(where, "unsupported keyword '" + keyword + "'");
    if (auto defect = check->second(value, Inside(where, keyword)); !defect.empty())
      return defect;
  }
  return {};
}

// A schema as embedded in the binary: a usable document, or why it is not.
struct EmbeddedSchema {
  Json document;
  std::string defect;
};

using SchemaTable = std::map<std::string, EmbeddedSchema, std::less<>>;

SchemaTable LoadSchemas() {
  SchemaTable table;
  for (int i = 0; i < kEmbeddedSchemaCount; ++i) {
    const auto& [type, text] = kEmbeddedSchemas[i];
    EmbeddedSchema& schema = table[std::string(type)];
    schema.document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    schema.defect = schema.document.is_discarded() ? "not valid JSON"
                                                   : CheckSchema(schema.document, "");
  }
  return table;
}

// Parsed once, on first use; C++ makes the initialization of a function-local
// static thread-safe.
const SchemaTable& Schemas() {
  static const SchemaTable kTable = LoadSchemas();
  return kTable;
}

// ---------------------------------------------------------------------------
// Validation. Each check returns the first violation as "<path>: <rule>".

using Violation = std::optional<std::string>;

Violation ViolationOf(const Json& schema, const Json& value, const std::string& path);

// JSON pointer escaping, so a key holding '/' cannot fake a deeper path.
std::string ChildPath(const std::string& path, const std::string& key) {
  std::string out = path + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

bool HasType(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  // "integer": JSON Schema counts 3.0 as an integer, as JSON itself does.
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  double d = value.get<double>();
  return std::isfinite(d) && std::trunc(d) == d;
}

std::string WithArticle(const std::string& type) {
  if (type == "null") return "null";
  bool vowel = type[0] == 'a' || type[0] == 'i' || type[0] == 'o';
  return (vowel ? "an " : "a ") + type;
}

Violation TypeViolation(const Json& type, const Json& value, const std::string& path) {
  const Json names = type.is_array() ? type : Json::array({type});
  std::string wanted;
  for (const auto& name : names) {
    const auto& text = name.get_ref<const std::string&>();
    if (HasType(value, text)) return std::nullopt;
    wanted += (wanted.empty() ? "" : " or ") + WithArticle(text);
  }
  return path + ": must be " + wanted;
}

std::string Listed(const Json& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

Violation NumberViolation(const Json& schema, double value, const std::string& path) {
  if (auto min = schema.find("minimum"); min != schema.end() && value < min->get<double>())
    return path + ": must be at least " + min->dump();
  if (auto max = schema.find("maximum"); max != schema.end() && value > max->get<double>())
    return path + ": must be at most " + max->dump();
  return std::nullopt;
}

// Length in Unicode code points, as JSON Schema counts it.
size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Violation StringViolation(const Json& schema, const std::string& value, const std::string& path) {
  size_t length = CodePoints(value);
  if (auto min = schema.find("minLength"); min != schema.end() && length < min->get<size_t>()) {
    if (min->get<size_t>() == 1) return path + ": must not be empty";
    return path + ": must be at least " + min->dump() + " characters long";
  }
  if (auto max = schema.find("maxLength"); max != schema.end() && length > max->get<size_t>())
    return path + ": must be at most " + max->dump() + " characters long";
  if (schema.contains("format") && !ParseTime(value).ok())
    return path + ": must be an RFC 3339 date-time such as 2026-11-23T14:08:00Z";
  return std::nullopt;
}

Violation ObjectViolation(const Json& schema, const Json& value, const std::string& path) {
  if (auto required = schema.find("required"); required != schema.end()) {
    for (const auto& name : *required)
      if (!value.contains(name.get_ref<const std::string&>()))
        return path + ": missing required field '" + name.get<std::string>() + "'";
  }
  static const Json kNone = Json::object();
  auto properties = schema.find("properties");
  const Json& declared = properties != schema.end() ? *properties : kNone;
  auto additional = schema.find("additionalProperties");
  for (const auto& [key, field] : value.items()) {
    std::string field_path = ChildPath(path, key);
    const Json* field_schema = nullptr;
    if (auto it = declared.find(key); it != declared.end()) {
      field_schema = &*it;
    } else if (additional != schema.end() && additional->is_object()) {
      field_schema = &*additional;
    } else if (additional != schema.end() && *additional == false) {
      return field_path + ": unknown field";
    }
    if (field_schema == nullptr) continue;
    if (auto v = ViolationOf(*field_schema, field, field_path)) return v;
  }
  return std::nullopt;
}

Violation ArrayViolation(const Json& schema, const Json& value, const std::string& path) {
  auto items = schema.find("items");
  if (items == schema.end()) return std::nullopt;
  for (size_t i = 0; i < value.size(); ++i)
    if (auto v = ViolationOf(*items, value[i], path + "/" + std::to_string(i))) return v;
  return std::nullopt;
}

Violation ViolationOf(const Json& schema, const Json& value, const std::string& path) {
  if (auto type = schema.find("type"); type != schema.end())
    if (auto v = TypeViolation(*type, value, path)) return v;
  if (auto values = schema.find("enum"); values != schema.end()) {
    if (std::find(values->begin(), values->end(), value) == values->end())
      return path + ": must be one of " + Listed(*values);
  }
  Violation v;
  if (value.is_number()) {
    v = NumberViolation(schema, value.get<double>(), path);
  } else if (value.is_string()) {
    v = StringViolation(schema, value.get_ref<const std::string&>(), path);
  } else if (value.is_object()) {
    v = ObjectViolation(schema, value, path);
  } else if (value.is_array()) {
    v = ArrayViolation(schema, value, path);
  }
  if (v) return v;
  // if/then: the condition's own violations are not errors, only a switch.
  auto condition = schema.find("if");
  if (condition != schema.end() && !ViolationOf(*condition, value, path))
    return ViolationOf(*schema.find("then"), value, path);
  return std::nullopt;
}

}  // namespace

base::Status ValidateData(std::string_view type, const Json& data) {
  const SchemaTable& table = Schemas();
  auto it = table.find(type);
  if (it == table.end())
    return base::MakeError(base::ErrorCode::kInvalidArgument, "unknown event type '" + std::string(type) + "'");
  if (!it->second.defect.empty())
    return base::MakeError(base::ErrorCode::kCorruption, "the embedded schema of '" + std::string(type) +
                                                 "' is unusable: " + it->second.defect);
  if (auto violation = ViolationOf(it->second.document, data, "data"))
    return base::MakeError(base::ErrorCode::kInvalidArgument, std::move(*violation));
  return {};
}

const Json* SchemaFor(std::string_view type) {
  const SchemaTable& table = Schemas();
  auto it = table.find(type);
  if (it == table.end() || !it->second.defect.empty()) return nullptr;
  return &it->second.document;
}

}  // namespace ledger::events
