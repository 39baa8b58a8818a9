#include "performance/department_fold.h"

#include <algorithm>

#include "events/data_fields.h"
#include "events/event_types.h"
#include "performance/internal/stored_form.h"

namespace ledger::performance {
namespace {

namespace types = events::types;
using events::Json;
using internal::GetString;
using internal::GetVarint;
using internal::PutString;
using internal::PutVarint;
using events::StringField;
using events::TimeField;
using Standing = RequestFacts::Standing;
constexpr char kVersion = 1;  // the first byte of RequestFacts::Encode's form

// A first response: a status change, an assignment or a public note.
bool IsResponse(const events::Event& e) {
  return e.type == types::kRequestStatusChanged || e.type == types::kRequestAssigned ||
         (e.type == types::kRequestNoteAdded && StringField(e.data, "visibility") == "public");
}

void AddDuration(DurationHistogram& h, int64_t from_ms, int64_t to_ms) {
  if (to_ms >= from_ms) (void)h.Add(to_ms - from_ms);  // over 10,000 years: impossible for stored times
}

}  // namespace

std::vector<DayChange> FoldRequestEvent(RequestFacts& f, const events::Event& e, const catalog::Catalog& catalog) {
  std::vector<DayChange> out;
  out.reserve(2);  // references from `change` stay valid
  auto change = [&](const std::string& department) -> DayFigures& {
    out.push_back({department, catalog.LocalDate(e.time_ms), {}, f.service});
    return out.back().delta;
  };
  if (e.type == types::kRequestSubmitted) {
    if (f.standing != Standing::kNone) return out;
    f = {};
    f.standing = Standing::kBacklog;
    f.department = StringField(e.data, "department");
    f.submitter = e.actor;
    f.service = StringField(e.data, "service_code");
    auto location = e.data.find("location");
    f.area = AreaOf(location == e.data.end() ? Json() : *location);
    f.submitted_ms = e.time_ms;
    f.deadline_ms = TimeField(e.data, "sla_deadline");
    auto& day = change(f.department);
    day.opened = 1;
    day.backlog_change = 1;
    return out;
  }
  if (f.standing == Standing::kNone) return out;
  bool held = f.standing == Standing::kBacklog;
  if (e.type == types::kRequestRouted) {
    std::string to(StringField(e.data, "to_department"));
    std::string to_service(StringField(e.data, "to_service"));
    bool new_department = !to.empty() && to != f.department;
    bool new_service = !to_service.empty() && to_service != f.service;
    if (!new_department && !new_service) return out;
    auto& from = change(f.department);
    from.transferred_out = 1;
    from.backlog_change = held ? -1 : 0;
    if (new_department) {
      f.department = std::move(to);
      ++f.routes;
    }
    if (new_service) {
      f.service = std::move(to_service);
      f.deadline_ms = TimeField(e.data, "sla_deadline");
    }
    auto& into = change(f.department);
    into.transferred_in = 1;
    into.backlog_change = held ? 1 : 0;
    for (auto& c : out) c.service_only = !new_department;
  } else if (e.type == types::kRequestTransferredExternal) {
    auto& day = change(f.department);
    day.transferred_out = 1;
    day.backlog_change = held ? -1 : 0;
    f.standing = Standing::kAway;
  } else if (e.type == types::kRequestClosed) {
    auto& day = change(f.department);
    day.closed = 1;
    day.closed_duplicate = f.duplicate ? 1 : 0;
    day.handoffs = f.routes;
    day.closed_after_handoff = f.routes > 0 ? 1 : 0;
    AddDuration(day.time_to_close, f.submitted_ms, e.time_ms);
    if (f.deadline_ms == 0) {
      day.sla_without_deadline = 1;
    } else {
      day.sla_counted = 1;
      day.sla_met = e.time_ms <= f.deadline_ms ? 1 : 0;
    }
    day.backlog_change = held ? -1 : 0;
    f.standing = Standing::kClosed;
  } else if (e.type == types::kRequestReopened) {
    auto& day = change(f.department);
    day.reopened = 1;
    day.backlog_change = held ? 0 : 1;
    f.standing = Standing::kBacklog;
  } else if (e.type == types::kSurveyAnswered) {
    auto score = e.data.find("score");
    if (score == e.data.end() || !score->is_number_integer()) return out;
    auto value = score->get<int64_t>();
    if (value < 1 || value > 5) return out;
    auto& day = change(f.department);
    day.surveys = 1;
    day.survey_score_sum = static_cast<uint64_t>(value);
    day.surveys_4_or_5 = value >= 4 ? 1 : 0;
  } else if (e.type == types::kSlaBreached) {
    change(f.department).breached = 1;
  } else if (e.type == types::kRequestDuplicateMarked) {
    f.duplicate = true;
  }
  if (!f.responded && IsResponse(e) && e.actor != f.submitter) {
    f.responded = true;
    if (e.time_ms >= f.submitted_ms) AddDuration(change(f.department).first_response, f.submitted_ms, e.time_ms);
  }
  return out;
}

std::string AreaOf(const Json& location) {
  std::string zip(StringField(location, "zip"));
  // A control character (NUL above all: it separates the parts of a row
  // key) makes no area a person would name.
  bool usable = !zip.empty() && std::none_of(zip.begin(), zip.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  return usable ? zip : "unknown";
}

std::string RequestFacts::Encode() const {
  std::string out(1, kVersion);
  out.push_back(static_cast<char>(standing));
  out.push_back(static_cast<char>((responded ? 1 : 0) | (duplicate ? 2 : 0)));
  PutString(out, department);
  PutString(out, submitter);
  PutString(out, service);
  PutString(out, area);
  PutVarint(out, routes);
  PutVarint(out, internal::ZigZag(submitted_ms));
  PutVarint(out, internal::ZigZag(deadline_ms));
  return out;
}

base::Result<RequestFacts> RequestFacts::Decode(std::string_view bytes) {
  auto corrupt = [](const std::string& why) {
    return base::MakeError(base::ErrorCode::kCorruption, "request facts: " + why);
  };
  if (bytes.size() < 3 || bytes[0] != kVersion) return corrupt("unknown version or cut short");
  auto standing = static_cast<uint8_t>(bytes[1]);
  auto flags = static_cast<uint8_t>(bytes[2]);
  if (standing > static_cast<uint8_t>(Standing::kAway) || flags > 3) return corrupt("bad standing or flags");
  RequestFacts f;
  f.standing = static_cast<Standing>(standing);
  f.responded = flags & 1;
  f.duplicate = flags & 2;
  size_t at = 3;
  if (!GetString(bytes, at, f.department) || !GetString(bytes, at, f.submitter) ||
      !GetString(bytes, at, f.service) || !GetString(bytes, at, f.area))
    return corrupt("cut short");
  auto routes = GetVarint(bytes, at);
  auto submitted = GetVarint(bytes, at);
  auto deadline = GetVarint(bytes, at);
  if (!routes || !submitted || !deadline) return corrupt("cut short");
  f.routes = *routes;
  f.submitted_ms = internal::UnZigZag(*submitted);
  f.deadline_ms = internal::UnZigZag(*deadline);
  if (at != bytes.size()) return corrupt("trailing bytes");
  return f;
}

}  // namespace ledger::performance
