#include "src/http/request_views.h"

#include <charconv>

#include <simdjson.h>

namespace ledger::http {

using base::ErrorCode;
using base::MakeError;

std::string RequestUrl(const std::string& request_id) { return "/v1/requests/" + request_id; }

Json PositionJson(const events::StoredEvent& stored) {
  return {{"topic", stored.where.topic}, {"partition", stored.where.partition}, {"offset", stored.offset}};
}

// {"p50": time, "p90": time, "sample": n, "from": day, "to": day} or null.
std::string ExpectedCompletion(const projections::RequestState& state, std::string_view service,
                               const EstimateCloseTime& estimate_for) {
  if (!projections::IsOpenStatus(state.status) || state.created_ms == 0) return "null";
  auto estimate = estimate_for(service);
  if (!estimate) return "null";
  auto at = [&](double ms) {
    double t = static_cast<double>(state.created_ms) + ms;
    return t > static_cast<double>(events::kMaxTimeMs) ? Json(nullptr)
                                                        : Json(events::FormatTime(static_cast<int64_t>(t)));
  };
  return Json{{"p50", at(estimate->p50_ms)},
              {"p90", at(estimate->p90_ms)},
              {"sample", estimate->sample},
              {"from", estimate->from},
              {"to", estimate->to}}
      .dump();
}

base::Result<std::string> StoredRequestJson(projections::StoredRequest& stored, int64_t now_ms,
                                            const EstimateCloseTime& estimate) {
  static thread_local simdjson::dom::parser parser;
  std::string& text = stored.state_json;
  simdjson::dom::element doc;
  if (text.size() < 2 || text.front() != '{' || parser.parse(text).get(doc))
    return MakeError(ErrorCode::kCorruption, "stored request state is not a JSON object");
  projections::RequestState state;  // just what OverdueAt reads
  std::string_view status, deadline;
  if (!doc["status"].get(status)) state.status = std::string(status);
  if (!doc["sla_deadline"].get(deadline)) {
    auto ms = events::ParseTime(deadline);
    if (ms.ok()) state.deadline_ms = *ms;
  }
  std::string_view created, service;
  if (!doc["created_at"].get(created)) {
    auto ms = events::ParseTime(created);
    if (ms.ok()) state.created_ms = *ms;
  }
  if (doc["service_code"].get(service)) service = {};
  std::string id;
  std::string_view id_view;
  if (!doc["id"].get(id_view)) id = std::string(id_view);
  std::string out = "{\"contact_count\":" + std::to_string(stored.contacts.size()) +
                    ",\"contacts\":" + Json(stored.contacts).dump() +
                    ",\"duplicates\":" + Json(stored.duplicates).dump() +
                    ",\"expected_completion\":" + ExpectedCompletion(state, service, estimate) +
                    ",\"overdue\":" + (state.OverdueAt(now_ms) ? "true" : "false") +
                    ",\"url\":" + Json(RequestUrl(id)).dump() + ",";
  out.append(text, 1);
  return out;
}

Json RequestPageJson(const projections::RequestPage& page, int64_t now_ms) {
  Json items = Json::array();
  for (const auto& s : page.requests) {
    Json j = s.ToJson();
    j["overdue"] = s.OverdueAt(now_ms);
    j["url"] = RequestUrl(s.id);
    items.push_back(std::move(j));
  }
  Json out = {{"requests", std::move(items)}};
  out["next_cursor"] = page.next_cursor.empty() ? Json(nullptr) : Json(page.next_cursor);
  return out;
}

base::Result<projections::RequestQuery> ParseRequestQuery(const HttpRequest& request,
                                                            const catalog::Catalog& catalog,
                                                            int64_t now_ms) {
  projections::RequestQuery q;
  q.now_ms = now_ms;
  for (const auto& [name, value] : request.query) {
    if (name == "department") {
      if (!catalog.FindDepartment(value)) return BadQueryParameter(name, "unknown department '" + value + "'");
      q.department = value;
    } else if (name == "status") {
      if (!projections::IsKnownStatus(value)) return BadQueryParameter(name, "unknown status '" + value + "'");
      q.status = value;
    } else if (name == "service_code") {
      if (!catalog.FindService(value)) return BadQueryParameter(name, "unknown service code '" + value + "'");
      q.service_code = value;
    } else if (name == "created_from" || name == "created_to") {
      auto t = events::ParseTime(value);
      if (!t.ok()) return BadQueryParameter(name, t.error().message);
      (name == "created_from" ? q.created_from_ms : q.created_to_ms) = *t;
    } else if (name == "overdue") {
      if (value != "true" && value != "false") return BadQueryParameter(name, "must be true or false");
      q.overdue_only = value == "true";
    } else if (name == "limit") {
      size_t limit = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || p != value.data() + value.size() || limit < 1 || limit > 500)
        return BadQueryParameter(name, "must be an integer from 1 to 500");
      q.limit = limit;
    } else if (name == "cursor") {
      q.cursor = value;
    } else {
      return BadQueryParameter(name, "unknown parameter");
    }
  }
  if (q.status && !q.department && !q.service_code && !q.overdue_only)
    return BadQueryParameter("status", "filter by department too (status alone has no index)");
  return q;
}

}  // namespace ledger::http
