#pragma once
// toml_reader: reads the ledger's TOML files (config/ledger.toml,
// config/catalog.toml) field by field and names the first problem by file,
// line, table and field:
//   <origin>:<line>: <where>: field '<field>': <message>
// A field the reader does not know is a problem too (RejectUnknownFields):
// a mistyped key is never silently ignored.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "base/result.h"

namespace ledger::toml_reader {

// A TOML table being read, and how messages name it: "server", "center",
// "service 'bulk-trash'", "service 'bulk-trash': attribute 'items'".
struct Section {
  const toml::table& table;
  std::string where;
};

// The document in `text`; kInvalidArgument naming `origin` and the line.
base::Result<toml::table> Parse(std::string_view text, std::string_view origin);
// The document in the file `path`; kIo if it cannot be read.
base::Result<toml::table> ParseFile(const std::string& path);

// 'text', quoted as messages show names and values.
std::string Quoted(std::string_view text);
// A value as a message shows it: strings quoted, anything else by its TOML
// type ("integer", "array").
std::string Shown(const toml::node& node);

// Reads sections of one document and keeps the first problem. After a
// failure reads go on and return defaults, so a caller reads straight
// through and checks ok() once at the end.
class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}
  bool ok() const { return !error_.has_value(); }
  // REQUIRES: !ok()
  const base::Error& error() const { return *error_; }

  // Reports at the field's line, or the table's when the field is absent.
  void Fail(const Section& s, std::string_view field, const std::string& message);
  void FailAt(const toml::node& at, const Section& s, std::string_view field, const std::string& message);
  void RejectUnknownFields(const Section& s, std::initializer_list<std::string_view> known);

  // Each returns nothing (or a default) when the field is absent and not
  // `required`; a required string must not be empty.
  const toml::node* Field(const Section& s, std::string_view field, bool required);
  std::string String(const Section& s, std::string_view field, bool required);
  bool Bool(const Section& s, std::string_view field, bool fallback);
  std::optional<int64_t> Integer(const Section& s, std::string_view field, int64_t min, int64_t max,
                                 bool required);
  const toml::table* Table(const Section& s, std::string_view field, bool required);
  std::vector<const toml::table*> Tables(const Section& s, std::string_view field, bool required);
  // A non-empty array of non-empty strings.
  std::vector<std::string> Strings(const Section& s, std::string_view field);

 private:
  std::string origin_;
  std::optional<base::Error> error_;
};

}  // namespace ledger::toml_reader
