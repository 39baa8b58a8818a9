#include "performance/report.h"

#include <algorithm>
#include <optional>

#include <date/date.h>

#include "catalog/calendar.h"

namespace ledger::performance {
namespace {

using Cells = std::vector<std::pair<std::string, Cell>>;

// a / b, or null without a sample.
Cell Share(uint64_t a, uint64_t b) {
  return b == 0 ? Cell() : Cell(static_cast<double>(a) / static_cast<double>(b));
}

Cell Seconds(const DurationHistogram& h, double q) {
  auto ms = h.Quantile(q);
  return ms ? Cell(*ms / 1000.0) : Cell();
}

// Appends the values of figure `name` drawn from one sample, then
// "<name>_sample", and notes a sample under min_sample in `low`.
void AddFigure(Cells& cells, Cell& low, const std::string& name, Cells values, uint64_t sample,
               uint64_t min_sample) {
  for (auto& value : values) cells.push_back(std::move(value));
  cells.emplace_back(name + "_sample", sample);
  if (sample < min_sample) low.push_back(name);
}

// A share as the one value of its figure.
void AddShare(Cells& cells, Cell& low, const std::string& name, uint64_t part, uint64_t sample,
              uint64_t min_sample) {
  AddFigure(cells, low, name, {{name, Share(part, sample)}}, sample, min_sample);
}

void AddPercentiles(Cells& cells, Cell& low, const std::string& name, const DurationHistogram& h,
                    uint64_t min_sample) {
  AddFigure(cells, low, name, {{name + "_p50_seconds", Seconds(h, 0.5)}, {name + "_p90_seconds", Seconds(h, 0.9)}},
            h.count(), min_sample);
}

}  // namespace

base::Result<Granularity> ParseGranularity(std::string_view text) {
  if (text == "day") return Granularity::kDay;
  if (text == "week") return Granularity::kWeek;
  if (text == "month") return Granularity::kMonth;
  if (text == "fiscal_year") return Granularity::kFiscalYear;
  if (text == "range") return Granularity::kRange;
  return base::MakeError(base::ErrorCode::kInvalidArgument,
                         "granularity must be day, week, month, fiscal_year or range");
}

base::Result<FiscalYearStart> ParseFiscalYearStart(std::string_view text) {
  // 2001 is not a leap year: a day it has, every year has.
  auto days = text.size() == 5 ? catalog::ParseIsoDate("2001-" + std::string(text)) : std::nullopt;
  if (!days)
    return base::MakeError(base::ErrorCode::kInvalidArgument,
                           "must be MM-DD, a day every year has (such as 07-01), got '" +
                               std::string(text) + "'");
  date::year_month_day ymd{date::sys_days{date::days{*days}}};
  return FiscalYearStart{static_cast<int>(unsigned(ymd.month())), static_cast<int>(unsigned(ymd.day()))};
}

base::Status CheckRange(const DayRange& range, std::string_view from_name, std::string_view to_name) {
  auto bad = [](std::string_view name, const std::string& why) {
    return base::MakeError(base::ErrorCode::kInvalidArgument, "query parameter '" + std::string(name) + "': " + why);
  };
  auto from = catalog::ParseIsoDate(range.from);
  if (!from) return bad(from_name, "must be a date YYYY-MM-DD that exists");
  auto to = catalog::ParseIsoDate(range.to);
  if (!to) return bad(to_name, "must be a date YYYY-MM-DD that exists");
  if (*from > *to) return bad(from_name, "is after " + std::string(to_name));
  if (*to - *from >= kMaxRangeDays)
    return bad(to_name, "the range is longer than " + std::to_string(kMaxRangeDays) + " days");
  return {};
}

std::string AddDays(std::string_view day, int days) { return catalog::FormatIsoDate(*catalog::ParseIsoDate(day) + days); }

namespace {

// PeriodStart, in days since 1970-01-01.
int PeriodStartDays(int day, Granularity granularity, FiscalYearStart fiscal) {
  date::year_month_day ymd{date::sys_days{date::days{day}}};
  int year = static_cast<int>(ymd.year());
  switch (granularity) {
    case Granularity::kWeek: return day - ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday
    case Granularity::kMonth: return day - static_cast<int>(unsigned(ymd.day())) + 1;
    case Granularity::kFiscalYear: {
      int start = *catalog::DaysFromCivil(year, fiscal.month, fiscal.day);
      return start <= day ? start : *catalog::DaysFromCivil(year - 1, fiscal.month, fiscal.day);
    }
    case Granularity::kDay:
    case Granularity::kRange: return day;
  }
  return day;
}

// The last day of the period that starts on `start` (a PeriodStartDays),
// or nullopt for kRange, which never ends.
std::optional<int> PeriodEndDays(int start, Granularity granularity) {
  date::year_month_day ymd{date::sys_days{date::days{start}}};
  switch (granularity) {
    case Granularity::kDay: return start;
    case Granularity::kWeek: return start + 6;
    case Granularity::kMonth: return date::sys_days{ymd + date::months{1}}.time_since_epoch().count() - 1;
    case Granularity::kFiscalYear: return date::sys_days{ymd + date::years{1}}.time_since_epoch().count() - 1;
    case Granularity::kRange: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string PeriodStart(std::string_view day, Granularity granularity, FiscalYearStart fiscal) {
  static const int kFirstDay = *catalog::DaysFromCivil(0, 1, 1);
  return catalog::FormatIsoDate(std::max(kFirstDay, PeriodStartDays(*catalog::ParseIsoDate(day), granularity, fiscal)));
}

std::vector<DayRange> Periods(const DayRange& range, Granularity granularity, FiscalYearStart fiscal) {
  int from = *catalog::ParseIsoDate(range.from);
  int to = *catalog::ParseIsoDate(range.to);
  std::vector<DayRange> out;
  for (int start = from; start <= to;) {
    int end = std::min(PeriodEndDays(PeriodStartDays(start, granularity, fiscal), granularity).value_or(to), to);
    out.push_back({catalog::FormatIsoDate(start), catalog::FormatIsoDate(end)});
    start = end + 1;
  }
  return out;
}

std::vector<std::pair<std::string, Cell>> FigureCells(const DayFigures& f, int64_t backlog, uint64_t min_sample) {
  Cells cells;
  Cell low = Cell::array();
  cells.emplace_back("opened", f.opened);
  cells.emplace_back("closed", f.closed);
  cells.emplace_back("closed_duplicate", f.closed_duplicate);
  cells.emplace_back("backlog", backlog);
  cells.emplace_back("reopened", f.reopened);
  AddShare(cells, low, "reopen_rate", f.reopened, f.closed, min_sample);
  cells.emplace_back("transferred_in", f.transferred_in);
  cells.emplace_back("transferred_out", f.transferred_out);
  AddPercentiles(cells, low, "time_to_close", f.time_to_close, min_sample);
  AddPercentiles(cells, low, "first_response", f.first_response, min_sample);
  cells.emplace_back("sla_met", f.sla_met);
  AddShare(cells, low, "sla_met_share", f.sla_met, f.sla_counted, min_sample);
  cells.emplace_back("sla_without_deadline", f.sla_without_deadline);
  cells.emplace_back("breached", f.breached);
  AddFigure(cells, low, "satisfaction",
            {{"satisfaction_mean", Share(f.survey_score_sum, f.surveys)},
             {"satisfaction_share_4_or_5", Share(f.surveys_4_or_5, f.surveys)}},
            f.surveys, min_sample);
  AddFigure(cells, low, "handoffs",
            {{"handoffs_per_close", Share(f.handoffs, f.closed)},
             {"closed_after_handoff_share", Share(f.closed_after_handoff, f.closed)}},
            f.closed, min_sample);
  cells.emplace_back("low_sample", low);
  return cells;
}

std::vector<std::pair<std::string, Cell>> ChannelCells(const ChannelFigures& f, uint64_t all_requests_created,
                                                       uint64_t min_sample) {
  Cells cells;
  Cell low = Cell::array();
  cells.emplace_back("contacts", f.contacts);
  AddFigure(cells, low, "wait",
            {{"wait_average_seconds",
              f.waited ? Cell(static_cast<double>(f.wait_ms_sum) / static_cast<double>(f.waited) / 1000.0) : Cell()}},
            f.waited, min_sample);
  AddFigure(cells, low, "handle",
            {{"handle_average_seconds",
              f.handled ? Cell(static_cast<double>(f.handle_ms_sum) / static_cast<double>(f.handled) / 1000.0)
                        : Cell()}},
            f.handled, min_sample);
  cells.emplace_back("abandoned", f.abandoned);
  AddShare(cells, low, "abandoned_share", f.abandoned, f.contacts, min_sample);
  AddShare(cells, low, "information_only_share", f.information_only, f.answered, min_sample);
  cells.emplace_back("requests_created", f.requests_created);
  AddShare(cells, low, "requests_created_share", f.requests_created, all_requests_created, min_sample);
  Cell languages = Cell::object();
  for (const auto& [language, n] : f.languages) languages[language] = n;
  cells.emplace_back("languages", std::move(languages));
  cells.emplace_back("low_sample", low);
  return cells;
}

std::vector<std::vector<std::pair<std::string, Cell>>> PeriodTable(const std::vector<DayRowOf<DayFigures>>& rows,
                                                                   const DayRange& range, Granularity granularity,
                                                                   FiscalYearStart fiscal, int64_t backlog_before,
                                                                   uint64_t min_sample) {
  std::vector<Cells> table;
  int64_t backlog = backlog_before;
  auto row = rows.begin();
  for (const auto& period : Periods(range, granularity, fiscal)) {
    DayFigures merged;
    for (; row != rows.end() && row->day <= period.to; ++row) {
      if (row->day < period.from) continue;
      merged.Merge(row->figures);
      backlog += row->figures.backlog_change;
    }
    Cells cells = {{"start", period.from}, {"end", period.to}};
    for (auto& cell : FigureCells(merged, backlog, min_sample)) cells.push_back(std::move(cell));
    table.push_back(std::move(cells));
  }
  return table;
}

}  // namespace ledger::performance
