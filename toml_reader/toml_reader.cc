#include "toml_reader/toml_reader.h"

#include <algorithm>
#include <sstream>

namespace ledger::toml_reader {
namespace {

using base::ErrorCode;

std::string Joined(std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

base::Error ParseError(const toml::parse_error& e, std::string_view origin) {
  return base::MakeError(ErrorCode::kInvalidArgument, std::string(origin) + ":" +
                                                          std::to_string(e.source().begin.line) + ": " +
                                                          std::string(e.description()));
}

}  // namespace

base::Result<toml::table> Parse(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return ParseError(e, origin);
  }
}

base::Result<toml::table> ParseFile(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0)
      return base::MakeError(ErrorCode::kIo, "cannot read " + path + ": " + std::string(e.description()));
    return ParseError(e, path);
  }
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string Shown(const toml::node& node) {
  if (const auto* text = node.as_string()) return Quoted(text->get());
  std::ostringstream out;
  out << node.type();
  return out.str();
}

void Reader::FailAt(const toml::node& at, const Section& s, std::string_view field, const std::string& message) {
  if (error_) return;
  const auto line = std::max<toml::source_index>(at.source().begin.line, 1);
  error_ = base::MakeError(ErrorCode::kInvalidArgument, origin_ + ":" + std::to_string(line) + ": " + s.where +
                                                            ": field " + Quoted(field) + ": " + message);
}

void Reader::Fail(const Section& s, std::string_view field, const std::string& message) {
  const toml::node* at = s.table.get(field);
  FailAt(at ? *at : s.table, s, field, message);
}

void Reader::RejectUnknownFields(const Section& s, std::initializer_list<std::string_view> known) {
  for (auto&& [key, node] : s.table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end())
      FailAt(node, s, key.str(), "unknown field (known: " + Joined(known) + ")");
  }
}

const toml::node* Reader::Field(const Section& s, std::string_view field, bool required) {
  const toml::node* node = s.table.get(field);
  if (!node && required) Fail(s, field, "is required");
  return node;
}

std::string Reader::String(const Section& s, std::string_view field, bool required) {
  const toml::node* node = Field(s, field, required);
  if (!node) return {};
  const auto* text = node->as_string();
  if (!text) {
    Fail(s, field, "must be a string, got " + Shown(*node));
    return {};
  }
  if (required && text->get().empty()) Fail(s, field, "must not be empty");
  return text->get();
}

bool Reader::Bool(const Section& s, std::string_view field, bool fallback) {
  const toml::node* node = Field(s, field, false);
  if (!node) return fallback;
  const auto* flag = node->as_boolean();
  if (!flag) {
    Fail(s, field, "must be true or false, got " + Shown(*node));
    return fallback;
  }
  return flag->get();
}

std::optional<int64_t> Reader::Integer(const Section& s, std::string_view field, int64_t min, int64_t max,
                                       bool required) {
  const toml::node* node = Field(s, field, required);
  if (!node) return std::nullopt;
  const auto* integer = node->as_integer();
  if (!integer) {
    Fail(s, field, "must be an integer, got " + Shown(*node));
    return std::nullopt;
  }
  const int64_t value = integer->get();
  if (value < min || value > max) {
    Fail(s, field, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                       std::to_string(value));
    return std::nullopt;
  }
  return value;
}

const toml::table* Reader::Table(const Section& s, std::string_view field, bool required) {
  const toml::node* node = Field(s, field, required);
  if (!node) return nullptr;
  const toml::table* table = node->as_table();
  if (!table) Fail(s, field, "must be a table, got " + Shown(*node));
  return table;
}

std::vector<const toml::table*> Reader::Tables(const Section& s, std::string_view field, bool required) {
  std::vector<const toml::table*> tables;
  const toml::node* node = Field(s, field, required);
  if (!node) return tables;
  const toml::array* array = node->as_array();
  if (array) {
    for (const toml::node& element : *array) tables.push_back(element.as_table());
  }
  if (!array || std::find(tables.begin(), tables.end(), nullptr) != tables.end()) {
    Fail(s, field, "must be an array of tables ([[" + std::string(field) + "]])");
    return {};
  }
  if (required && tables.empty()) Fail(s, field, "must not be empty");
  return tables;
}

std::vector<std::string> Reader::Strings(const Section& s, std::string_view field) {
  std::vector<std::string> strings;
  const toml::node* node = Field(s, field, true);
  if (!node) return strings;
  const toml::array* array = node->as_array();
  if (!array) {
    Fail(s, field, "must be an array of strings, got " + Shown(*node));
    return strings;
  }
  for (const toml::node& element : *array) {
    const auto* text = element.as_string();
    if (!text || text->get().empty()) {
      FailAt(element, s, field, "elements must be non-empty strings, got " + Shown(element));
      return {};
    }
    strings.push_back(text->get());
  }
  if (strings.empty()) Fail(s, field, "must not be empty");
  return strings;
}

}  // namespace ledger::toml_reader
