#pragma once
// Tables as CSV for spreadsheets: RFC 4180 (CRLF line ends, fields with a
// comma, quote, CR or LF quoted, quotes doubled), and text cells that a
// spreadsheet would run as a formula (starting with = + - @, tab or CR)
// prefixed with a single quote, as OWASP's CSV injection guidance says.

#include <string>
#include <utility>
#include <vector>

#include "events/event.h"

namespace ledger::http {

using CsvRow = std::vector<std::pair<std::string, events::Json>>;

// The header (the first row's column names) and one line per row. Cells:
// null empty, numbers and booleans as JSON writes them, text escaped,
// lists joined with ";", maps as "key:value" joined with ";".
// REQUIRES: every row has the first row's columns, in its order.
std::string CsvTable(const std::vector<CsvRow>& rows);

}  // namespace ledger::http
