#include "src/http/performance_api.h"

#include <set>

#include "performance/report.h"
#include "src/http/csv.h"

namespace ledger::http {
namespace {

using base::ErrorCode;
using base::MakeError;
using performance::Cell;
using performance::Dimension;
using Cells = std::vector<std::pair<std::string, Cell>>;

// The days a report covers by default: the 30 up to today.
constexpr int kDefaultDays = 30;

struct ReportQuery {
  performance::DayRange range;
  performance::Granularity granularity = performance::Granularity::kDay;
  Dimension by = Dimension::kDepartment;
  bool csv = false;
  std::optional<int64_t> as_of;  // UTC ms: the views as they stood then
};

// The answer's "as_of": the time asked for, or null for now.
Json AsOfJson(const ReportQuery& q) { return q.as_of ? Json(events::FormatTime(*q.as_of)) : Json(nullptr); }

// The periods a `range` names, ending on `to`: "week_to_date" from its
// Monday, "month_to_date" from the first, "fiscal_year_to_date" from the
// start of its fiscal year.
base::Result<performance::Granularity> ParseToDate(const std::string& value) {
  if (value == "week_to_date") return performance::Granularity::kWeek;
  if (value == "month_to_date") return performance::Granularity::kMonth;
  if (value == "fiscal_year_to_date") return performance::Granularity::kFiscalYear;
  return BadQueryParameter("range", "must be week_to_date, month_to_date or fiscal_year_to_date");
}

// Reads the parameters in `allowed` (of from, to, date, granularity, by,
// format; every report takes as_of and range); any other is refused.
// Without from or date, the range is the 30 days up to `to`, or the
// period `range` names; `to` defaults to today, or to as_of's day.
base::Result<ReportQuery> ParseReportQuery(const HttpRequest& request, const ApiDeps& deps,
                                           const std::set<std::string>& allowed) {
  ReportQuery q;
  std::optional<std::string> from, to, date;
  std::optional<performance::Granularity> to_date;
  for (const auto& [name, value] : request.query) {
    if (!allowed.count(name) && name != "as_of" && name != "range") return BadQueryParameter(name, "unknown parameter");
    if (name == "range") {
      auto g = ParseToDate(value);
      if (!g.ok()) return g.error();
      to_date = *g;
    } else if (name == "as_of") {
      auto time = events::ParseTime(value);
      if (!time.ok()) return BadQueryParameter(name, time.error().message);
      q.as_of = *time;
    } else if (name == "from") {
      from = value;
    } else if (name == "to") {
      to = value;
    } else if (name == "date") {
      date = value;
    } else if (name == "granularity") {
      auto g = performance::ParseGranularity(value);
      if (!g.ok()) return BadQueryParameter(name, g.error().message);
      q.granularity = *g;
    } else if (name == "by") {
      if (value == "department") q.by = Dimension::kDepartment;
      else if (value == "service") q.by = Dimension::kService;
      else if (value == "area") q.by = Dimension::kArea;
      else return BadQueryParameter(name, "must be department, service or area");
    } else if (name == "format") {
      if (value != "json" && value != "csv") return BadQueryParameter(name, "must be json or csv");
      q.csv = value == "csv";
    }
  }
  if (date && (from || to)) return BadQueryParameter("date", "give date or from/to, not both");
  if (to_date && (from || date)) return BadQueryParameter("range", "give range (and to) or from or date, not more");
  std::string today = deps.catalog->LocalDate(q.as_of.value_or(deps.clock()));
  if (date) {
    q.range = {*date, *date};
    if (auto checked = performance::CheckRange(q.range, "date", "date"); !checked) return checked.error();
    return q;
  }
  q.range.to = to.value_or(today);
  if (from) {
    q.range.from = *from;
  } else {
    if (auto checked = performance::CheckRange({q.range.to, q.range.to}, "to", "to"); !checked)
      return checked.error();
    q.range.from = to_date ? performance::PeriodStart(q.range.to, *to_date, deps.fiscal_year_start)
                           : performance::AddDays(q.range.to, 1 - kDefaultDays);
    if (q.range.from < "0000-01-01") q.range.from = "0000-01-01";  // before year 0: "-001-..."
  }
  if (auto checked = performance::CheckRange(q.range, "from", "to"); !checked) return checked.error();
  return q;
}

Json ToObject(const Cells& cells) {
  Json object = Json::object();
  for (const auto& [name, value] : cells) object[name] = value;
  return object;
}

HttpResponse CsvResponse(const std::vector<Cells>& rows) {
  HttpResponse r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = CsvTable(rows);
  return r;
}

const char* NameKey(Dimension d) {
  switch (d) {
    case Dimension::kDepartment: return "department";
    case Dimension::kService: return "service_code";
    case Dimension::kArea: return "area";
  }
  return "department";
}

// GET /v1/{departments,services,areas}/{name}/performance
void AnswerNameReport(const ApiDeps& deps, Dimension dimension, HttpRequest& request, Responder respond) {
  const std::string& name = request.path_params["name"];
  if (dimension == Dimension::kDepartment && !deps.catalog->FindDepartment(name))
    return respond(ErrorResponse(404, "not_found", "department '" + name + "' is not in the catalog"));
  if (dimension == Dimension::kService && !deps.catalog->FindService(name))
    return respond(ErrorResponse(404, "not_found", "service '" + name + "' is not in the catalog"));
  auto q = ParseReportQuery(request, deps, {"from", "to", "granularity", "format"});
  if (!q.ok()) return respond(ErrorResponse(q.error()));
  auto rows = deps.store->DayRows(dimension, name, q->range.from, q->range.to, q->as_of);
  if (!rows.ok()) return respond(ErrorResponse(rows.error()));
  auto before = deps.store->Backlogs(dimension, name, performance::AddDays(q->range.from, -1), q->as_of);
  if (!before.ok()) return respond(ErrorResponse(before.error()));
  int64_t backlog_before = before->count(name) ? before->at(name) : 0;
  auto periods = performance::PeriodTable(*rows, q->range, q->granularity, deps.fiscal_year_start, backlog_before,
                                          deps.min_sample);
  if (q->csv) return respond(CsvResponse(periods));
  auto total = performance::PeriodTable(*rows, q->range, performance::Granularity::kRange, deps.fiscal_year_start,
                                        backlog_before, deps.min_sample);
  Json body = {{NameKey(dimension), name},
               {"from", q->range.from},
               {"to", q->range.to},
               {"as_of", AsOfJson(*q)},
               {"min_sample", deps.min_sample},
               {"periods", Json::array()},
               {"total", ToObject(total.front())}};
  for (const auto& period : periods) body["periods"].push_back(ToObject(period));
  // Overdue now is of now: not kept by append time, null with as_of.
  if (dimension == Dimension::kDepartment && q->as_of) {
    body["overdue_now"] = nullptr;
  } else if (dimension == Dimension::kDepartment) {
    auto overdue = deps.store->OverdueCounts(name, deps.clock());
    if (!overdue.ok()) return respond(ErrorResponse(overdue.error()));
    body["overdue_now"] = overdue->count(name) ? overdue->at(name) : 0;
  }
  respond(JsonResponse(200, body));
}

// GET /v1/performance: every name side by side: the catalog's even when
// they did nothing, others when they did something in the range or hold
// a backlog.
void AnswerTable(const ApiDeps& deps, HttpRequest& request, Responder respond) {
  auto q = ParseReportQuery(request, deps, {"from", "to", "date", "by", "format"});
  if (!q.ok()) return respond(ErrorResponse(q.error()));
  auto rows = deps.store->DayRows(q->by, "", q->range.from, q->range.to, q->as_of);
  if (!rows.ok()) return respond(ErrorResponse(rows.error()));
  auto backlogs = deps.store->Backlogs(q->by, "", q->range.to, q->as_of);
  if (!backlogs.ok()) return respond(ErrorResponse(backlogs.error()));
  std::map<std::string, performance::DayFigures> merged;
  if (q->by == Dimension::kDepartment)
    for (const auto& d : deps.catalog->departments()) merged[d.code];
  if (q->by == Dimension::kService)
    for (const auto& s : deps.catalog->services()) merged[s.code];
  for (const auto& [name, backlog] : *backlogs)
    if (backlog != 0) merged[name];
  for (const auto& row : *rows) merged[row.name].Merge(row.figures);
  std::map<std::string, uint64_t> overdue;
  if (q->by == Dimension::kDepartment && !q->as_of) {
    auto counted = deps.store->OverdueCounts("", deps.clock());
    if (!counted.ok()) return respond(ErrorResponse(counted.error()));
    overdue = std::move(*counted);
  }
  std::vector<Cells> table;
  for (const auto& [name, figures] : merged) {
    Cells cells = {{NameKey(q->by), name}};
    for (auto& cell : performance::FigureCells(figures, backlogs->count(name) ? backlogs->at(name) : 0,
                                               deps.min_sample))
      cells.push_back(std::move(cell));
    if (q->by == Dimension::kDepartment)
      cells.emplace_back("overdue_now", q->as_of ? Cell(nullptr) : Cell(overdue[name]));
    table.push_back(std::move(cells));
  }
  if (q->csv) return respond(CsvResponse(table));
  Json body = {{"by", NameKey(q->by)},         {"from", q->range.from},
               {"to", q->range.to},            {"as_of", AsOfJson(*q)},
               {"min_sample", deps.min_sample}, {"rows", Json::array()}};
  for (const auto& cells : table) body["rows"].push_back(ToObject(cells));
  respond(JsonResponse(200, body));
}

// GET /v1/channels/stats
void AnswerChannels(const ApiDeps& deps, HttpRequest& request, Responder respond) {
  auto q = ParseReportQuery(request, deps, {"from", "to", "date", "format"});
  if (!q.ok()) return respond(ErrorResponse(q.error()));
  auto rows = deps.store->ChannelRows(q->range.from, q->range.to, q->as_of);
  if (!rows.ok()) return respond(ErrorResponse(rows.error()));
  std::map<std::string, performance::ChannelFigures> merged;
  uint64_t requests_created = 0;
  for (const auto& row : *rows) {
    merged[row.name].Merge(row.figures);
    requests_created += row.figures.requests_created;
  }
  std::vector<Cells> table;
  for (const auto& [channel, figures] : merged) {
    Cells cells = {{"channel", channel}};
    for (auto& cell : performance::ChannelCells(figures, requests_created, deps.min_sample))
      cells.push_back(std::move(cell));
    table.push_back(std::move(cells));
  }
  if (q->csv) return respond(CsvResponse(table));
  Json body = {{"from", q->range.from}, {"to", q->range.to}, {"as_of", AsOfJson(*q)},
               {"min_sample", deps.min_sample}, {"channels", Json::array()}};
  for (const auto& cells : table) body["channels"].push_back(ToObject(cells));
  respond(JsonResponse(200, body));
}

}  // namespace

void AddPerformanceRoutes(Router& router, const ApiDeps& deps) {
  for (auto [dimension, prefix] : {std::pair{Dimension::kDepartment, "/v1/departments/"},
                                   std::pair{Dimension::kService, "/v1/services/"},
                                   std::pair{Dimension::kArea, "/v1/areas/"}})
    router.Add("GET", std::string(prefix) + "{name}/performance",
               [&deps, dimension](HttpRequest& request, Responder respond) {
                 AnswerNameReport(deps, dimension, request, std::move(respond));
               });
  router.Add("GET", "/v1/performance",
             [&deps](HttpRequest& request, Responder respond) { AnswerTable(deps, request, std::move(respond)); });
  router.Add("GET", "/v1/channels/stats",
             [&deps](HttpRequest& request, Responder respond) { AnswerChannels(deps, request, std::move(respond)); });
}

}  // namespace ledger::http
