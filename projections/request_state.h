#pragma once
// The current state of one service request, as folded from its stream on
// 311.requests, and the status rules every command is checked against.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace ledger::projections {

using events::Json;

// Status values. "transferred" = sent to an outside agency.
inline constexpr const char* kStatuses[] = {"open",     "acknowledged", "in_progress", "on_hold",
                                            "resolved", "closed",       "transferred"};
bool IsKnownStatus(std::string_view status);
// Statuses a request_status_changed command may set (the others have their own commands).
bool IsSettableStatus(std::string_view status);
// Open for SLA purposes: not resolved, closed or transferred.
bool IsOpenStatus(std::string_view status);

struct RequestState {
  std::string id;
  std::string service_code;
  std::string service_name;
  std::string department;
  std::string status = "open";
  std::string assignee;        // team or person in the department; empty if none
  std::string priority;
  std::string customer_kind;   // resident | business | internal
  std::string channel;         // channel of the submitting contact
  std::string description;
  Json location = Json::object();    // address / lat / lon as submitted (non-personal)
  Json attributes = Json::object();  // service attributes
  Json personal = Json::object();    // the resident's personal fields, kept apart
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t deadline_ms = 0;           // SLA deadline, 0 if none
  int64_t first_response_ms = 0;     // first event after submission by a department or agent
  int64_t resolved_ms = 0;            // 0 unless resolved (cleared by reopened)
  int64_t closed_ms = 0;              // 0 unless closed (cleared by reopened)
  // Every deadline an sla.breached recorded passing, in order: a request
  // reclassified back to a service it left has that deadline again.
  std::vector<int64_t> breached_deadlines_ms;
  std::string resolution_code;        // cleared by reopened
  std::string external_agency;
  std::string parent;                // set when marked duplicate
  int reopened_count = 0;
  int notes = 0;
  std::optional<int> survey_score;
  uint64_t version = 0;              // sequence of the last applied event
  std::string last_hash;             // hash of the last applied event

  // True if the request is open and its deadline has passed at now_ms.
  bool OverdueAt(int64_t now_ms) const;
  // True while a deadline is in force and no sla.breached recorded it
  // passing: the SLA timer's index holds such requests.
  bool AwaitsBreach() const;
  bool Breached(int64_t deadline_ms) const;  // an sla.breached recorded it passing
  int64_t LastBreachedDeadline() const;       // 0 if none
  // The stored form and the core of GET /v1/requests/{id}: every field
  // always present, zero times / empty strings / no survey score as null,
  // times as RFC 3339. Deterministic (sorted keys), so it feeds checksums.
  Json ToJson() const;
  // Inverse of ToJson. Never throws: a missing or mistyped field keeps its default.
  static RequestState FromJson(const Json& j);
};

// Folds one event of the request's stream into `state` (pure, deterministic).
// REQUIRES: event.subject == state.id (or state is empty and event is
// request.submitted). Every event sets version = event.sequence,
// last_hash = event.hash and updated_ms = event.time_ms; unknown types do
// nothing else. Status rules: events/schemas/FIELDS.md.
void ApplyToRequest(RequestState& state, const events::Event& event);

}  // namespace ledger::projections
