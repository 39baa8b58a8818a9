#include "projections/request_state.h"

#include <algorithm>
#include <iterator>

#include "events/data_fields.h"
#include "events/event_types.h"

namespace ledger::projections {
namespace {

namespace types = events::types;

// Reads never throw (events/data_fields.h); a string field's view assigned
// to a state's string reuses that string's buffer.
using events::StringField;
using events::TimeField;

Json ObjectField(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : Json::object();
}

int64_t IntField(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

Json StringOrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }
Json TimeOrNull(int64_t ms) { return ms == 0 ? Json(nullptr) : Json(events::FormatTime(ms)); }

Json TimesJson(const std::vector<int64_t>& times) {
  Json out = Json::array();
  for (int64_t ms : times) out.push_back(events::FormatTime(ms));
  return out;
}

bool IsOneOf(std::string_view status, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), status) != set.end();
}

// FIELDS.md: first response = the first assigned, status_changed, public
// note_added, resolved or closed event after submission.
bool CountsAsFirstResponse(const events::Event& event) {
  const auto& t = event.type;
  if (t == types::kRequestNoteAdded) return StringField(event.data, "visibility") == "public";
  return t == types::kRequestAssigned || t == types::kRequestStatusChanged ||
         t == types::kRequestResolved || t == types::kRequestClosed;
}

void ApplySubmitted(RequestState& s, const events::Event& e) {
  const Json& d = e.data;
  s.id = e.subject;
  s.service_code = StringField(d, "service_code");
  s.service_name = StringField(d, "service_name");
  s.department = StringField(d, "department");
  s.status = "open";
  s.priority = StringField(d, "priority");
  s.customer_kind = StringField(d, "customer_kind");
  s.channel = e.channel;
  s.description = StringField(d, "description");
  s.location = ObjectField(d, "location");
  s.attributes = ObjectField(d, "attributes");
  s.personal = ObjectField(d, "personal");
  s.created_ms = e.time_ms;
  s.deadline_ms = TimeField(d, "sla_deadline");
}

void ApplyByType(RequestState& s, const events::Event& e) {
  const auto& t = e.type;
  const Json& d = e.data;
  if (t == types::kRequestSubmitted) {
    ApplySubmitted(s, e);
  } else if (t == types::kRequestRouted) {
    s.department = StringField(d, "to_department");
    s.assignee.clear();
    if (auto service = StringField(d, "to_service"); !service.empty()) {
      s.service_code = service;
      s.service_name = StringField(d, "service_name");
      s.deadline_ms = TimeField(d, "sla_deadline");  // a breach of the old one stays in breached_deadlines_ms
    }
  } else if (t == types::kRequestAssigned) {
    s.assignee = StringField(d, "assignee");
  } else if (t == types::kRequestStatusChanged) {
    s.status = StringField(d, "to");
  } else if (t == types::kRequestNoteAdded) {
    ++s.notes;
  } else if (t == types::kRequestDuplicateMarked) {
    s.parent = StringField(d, "parent_id");
  } else if (t == types::kRequestTransferredExternal) {
    s.status = "transferred";
    s.external_agency = StringField(d, "agency");
  } else if (t == types::kRequestResolved) {
    s.status = "resolved";
    s.resolved_ms = e.time_ms;
    s.resolution_code = StringField(d, "resolution_code");
  } else if (t == types::kRequestClosed) {
    s.status = "closed";
    s.closed_ms = e.time_ms;
    if (auto code = StringField(d, "resolution_code"); !code.empty()) s.resolution_code = code;
  } else if (t == types::kRequestReopened) {
    s.status = "open";
    ++s.reopened_count;
    s.resolved_ms = 0;
    s.closed_ms = 0;
    s.resolution_code.clear();
  } else if (t == types::kSlaBreached) {
    int64_t deadline = TimeField(d, "deadline");
    if (!s.Breached(deadline)) s.breached_deadlines_ms.push_back(deadline);
  } else if (t == types::kSurveyAnswered) {
    auto it = d.find("score");
    if (it != d.end() && it->is_number_integer()) s.survey_score = it->get<int>();
  }
}

}  // namespace

bool IsKnownStatus(std::string_view status) {
  return std::find(std::begin(kStatuses), std::end(kStatuses), status) != std::end(kStatuses);
}

bool IsSettableStatus(std::string_view status) {
  return IsOneOf(status, {"open", "acknowledged", "in_progress", "on_hold"});
}

bool RequestState::AwaitsBreach() const {
  return IsOpenStatus(status) && deadline_ms != 0 && !Breached(deadline_ms);
}

int64_t RequestState::LastBreachedDeadline() const {
  return breached_deadlines_ms.empty() ? 0 : breached_deadlines_ms.back();
}

bool RequestState::Breached(int64_t deadline) const {
  return std::find(breached_deadlines_ms.begin(), breached_deadlines_ms.end(), deadline) !=
         breached_deadlines_ms.end();
}

bool IsOpenStatus(std::string_view status) {
  return IsKnownStatus(status) && !IsOneOf(status, {"resolved", "closed", "transferred"});
}

bool RequestState::OverdueAt(int64_t now_ms) const {
  return IsOpenStatus(status) && deadline_ms != 0 && deadline_ms < now_ms;
}

Json RequestState::ToJson() const {
  return Json{{"id", id},
              {"service_code", StringOrNull(service_code)},
              {"service_name", StringOrNull(service_name)},
              {"department", StringOrNull(department)},
              {"status", StringOrNull(status)},
              {"assignee", StringOrNull(assignee)},
              {"priority", StringOrNull(priority)},
              {"customer_kind", StringOrNull(customer_kind)},
              {"channel", StringOrNull(channel)},
              {"description", StringOrNull(description)},
              {"location", location},
              {"attributes", attributes},
              {"personal", personal},
              {"created_at", TimeOrNull(created_ms)},
              {"updated_at", TimeOrNull(updated_ms)},
              {"sla_deadline", TimeOrNull(deadline_ms)},
              {"sla_breached_deadline", TimeOrNull(LastBreachedDeadline())},
              {"sla_breached_deadlines", TimesJson(breached_deadlines_ms)},
              {"first_response_at", TimeOrNull(first_response_ms)},
              {"resolved_at", TimeOrNull(resolved_ms)},
              {"closed_at", TimeOrNull(closed_ms)},
              {"resolution_code", StringOrNull(resolution_code)},
              {"external_agency", StringOrNull(external_agency)},
              {"parent_id", StringOrNull(parent)},
              {"reopened_count", reopened_count},
              {"notes", notes},
              {"survey_score", survey_score ? Json(*survey_score) : Json(nullptr)},
              {"version", version},
              {"last_hash", StringOrNull(last_hash)}};
}

RequestState RequestState::FromJson(const Json& j) {
  RequestState s;
  if (!j.is_object()) return s;
  s.id = StringField(j, "id");
  s.service_code = StringField(j, "service_code");
  s.service_name = StringField(j, "service_name");
  s.department = StringField(j, "department");
  s.status = StringField(j, "status");
  s.assignee = StringField(j, "assignee");
  s.priority = StringField(j, "priority");
  s.customer_kind = StringField(j, "customer_kind");
  s.channel = StringField(j, "channel");
  s.description = StringField(j, "description");
  s.location = ObjectField(j, "location");
  s.attributes = ObjectField(j, "attributes");
  s.personal = ObjectField(j, "personal");
  s.created_ms = TimeField(j, "created_at");
  s.updated_ms = TimeField(j, "updated_at");
  s.deadline_ms = TimeField(j, "sla_deadline");
  if (auto all = j.find("sla_breached_deadlines"); all != j.end() && all->is_array())
    for (const auto& time : *all)
      if (time.is_string())
        if (auto ms = events::ParseTime(time.get<std::string>()); ms.ok()) s.breached_deadlines_ms.push_back(*ms);
  s.first_response_ms = TimeField(j, "first_response_at");
  s.resolved_ms = TimeField(j, "resolved_at");
  s.closed_ms = TimeField(j, "closed_at");
  s.resolution_code = StringField(j, "resolution_code");
  s.external_agency = StringField(j, "external_agency");
  s.parent = StringField(j, "parent_id");
  s.reopened_count = static_cast<int>(IntField(j, "reopened_count"));
  s.notes = static_cast<int>(IntField(j, "notes"));
  if (auto it = j.find("survey_score"); it != j.end() && it->is_number_integer())
    s.survey_score = it->get<int>();
  if (auto it = j.find("version"); it != j.end() && it->is_number_unsigned())
    s.version = it->get<uint64_t>();
  s.last_hash = StringField(j, "last_hash");
  return s;
}

void ApplyToRequest(RequestState& state, const events::Event& event) {
  bool after_submission = event.type != types::kRequestSubmitted;
  ApplyByType(state, event);
  if (after_submission && state.first_response_ms == 0 && CountsAsFirstResponse(event))
    state.first_response_ms = event.time_ms;
  state.version = event.sequence;
  state.last_hash = event.hash;
  state.updated_ms = event.time_ms;
}

}  // namespace ledger::projections
