#include "src/http/csv.h"

namespace ledger::http {
namespace {

std::string Escaped(std::string text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r'))
    text.insert(0, 1, '\'');
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

// A cell's text before escaping.
std::string Plain(const events::Json& cell) {
  if (cell.is_null()) return "";
  if (cell.is_string()) return cell.get<std::string>();
  std::string joined;
  if (cell.is_array()) {
    for (const auto& item : cell) joined += (joined.empty() ? "" : ";") + Plain(item);
    return joined;
  }
  if (cell.is_object()) {
    for (const auto& [key, value] : cell.items()) joined += (joined.empty() ? "" : ";") + key + ":" + Plain(value);
    return joined;
  }
  return cell.dump();
}

// A cell as written: numbers, booleans and null as they are (a negative
// number is no formula), text escaped.
std::string Field(const events::Json& cell) {
  bool text = cell.is_string() || cell.is_array() || cell.is_object();
  return text ? Escaped(Plain(cell)) : Plain(cell);
}

void AppendLine(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += fields[i];
  }
  out += "\r\n";
}

}  // namespace

std::string CsvTable(const std::vector<CsvRow>& rows) {
  std::string out;
  if (rows.empty()) return out;
  std::vector<std::string> cells;
  for (const auto& [name, value] : rows.front()) cells.push_back(Escaped(name));
  AppendLine(out, cells);
  for (const auto& row : rows) {
    cells.clear();
    for (const auto& [name, value] : row) cells.push_back(Field(value));
    AppendLine(out, cells);
  }
  return out;
}

}  // namespace ledger::http
