#pragma once
// Performance reports: the stored day rows of a department, service or area
// (or of every one), merged into periods and shown as the figures DESIGN.md
// defines, each with its sample size. Ranges merge days, never events.
// Pure: the HTTP layer reads the rows and renders the tables as JSON or CSV.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "events/event.h"
#include "performance/batch_views.h"

namespace ledger::performance {

// A range of local days, both ends included.
struct DayRange {
  std::string from;
  std::string to;
};

enum class Granularity { kDay, kWeek, kMonth, kFiscalYear, kRange };
// "day", "week", "month", "fiscal_year", "range"; kInvalidArgument for
// anything else.
base::Result<Granularity> ParseGranularity(std::string_view text);

// The first day of the center's fiscal year, the same every year.
struct FiscalYearStart {
  int month = 7;  // July 1, as in New York, Boston and San Francisco
  int day = 1;
};
// "MM-DD" of a day every year has (so not 02-29); kInvalidArgument otherwise.
base::Result<FiscalYearStart> ParseFiscalYearStart(std::string_view text);

// The longest range a report covers: ten years of days.
inline constexpr int kMaxRangeDays = 3660;

// Checks a range: both "YYYY-MM-DD" dates that exist, from <= to, at most
// kMaxRangeDays days; kInvalidArgument naming `from_name` / `to_name`.
base::Status CheckRange(const DayRange& range, std::string_view from_name, std::string_view to_name);
// The day `days` after (or before, negative) `day`. REQUIRES: a valid date.
std::string AddDays(std::string_view day, int days);

// The first day of the period of `granularity` holding `day`: the Monday
// of its ISO week, the first of its month, the start of its fiscal year
// (which may be in the year before `day`'s), or `day` itself for kDay and
// kRange; never before 0000-01-01, the first day a report covers.
// REQUIRES: a valid date.
std::string PeriodStart(std::string_view day, Granularity granularity, FiscalYearStart fiscal);

// The periods of `range`: days; ISO weeks (Monday to Sunday); calendar
// months; fiscal years; or the whole range. The first and last are cut to
// the range.
std::vector<DayRange> Periods(const DayRange& range, Granularity granularity, FiscalYearStart fiscal);

// A table cell: a number, a text, null (a figure without a sample), or a
// list or map of them (low_sample, languages).
using Cell = events::Json;

// The figures of merged days, in column order: the counts, then for each
// rate, mean or percentile its value (null when its sample is 0) and
// "<figure>_sample", its sample size. `backlog` is the backlog at the end
// of the last day. Durations are in seconds. "low_sample" lists the
// figures whose sample is under `min_sample` (["time_to_close", ...]).
std::vector<std::pair<std::string, Cell>> FigureCells(const DayFigures& merged, int64_t backlog, uint64_t min_sample);

// The channel figures of merged days, as FigureCells shows its own;
// `all_requests_created` is the sum of requests_created over every channel
// of the same days; "languages" maps each language to its contacts.
std::vector<std::pair<std::string, Cell>> ChannelCells(const ChannelFigures& merged, uint64_t all_requests_created,
                                                       uint64_t min_sample);

// One name's rows (in day order) merged per period; `backlog_before` is the
// backlog at the end of the day before the range. Each row of the result
// starts with "start" and "end", then FigureCells.
std::vector<std::vector<std::pair<std::string, Cell>>> PeriodTable(const std::vector<DayRowOf<DayFigures>>& rows,
                                                                   const DayRange& range, Granularity granularity,
                                                                   FiscalYearStart fiscal, int64_t backlog_before,
                                                                   uint64_t min_sample);

}  // namespace ledger::performance
