#pragma once
// The department views' fold: one event of a request's stream in, the
// department-days it changes out. Pure and deterministic (a replay folds
// the same changes). The rules are DESIGN.md's "Department performance":
//
// - a day is the center's local date of the event's own time (imported
//   and late events land on the day they happened);
// - a figure belongs to the department holding the request when the
//   event happens (a route credits `from` with out, `to` with in);
// - the backlog holds submitted, routed-in and reopened requests until
//   they are closed, routed out or transferred to an outside agency
//   (a resolved request still counts);
// - time to close and the SLA share count every close event (closed,
//   reopened, closed again: twice); a close before its submission (dirty
//   imports) counts as closed but stays out of time to close;
// - first response: the first status change, assignment or public note
//   by an actor other than the submitter, on that event's day;
// - hand-offs: each close event adds the routes between departments the
//   request had until then;
// - the service and area views take the same changes under the request's
//   service code and area (AreaOf) instead of its department, so a route
//   between departments counts there as one transfer in and one out;
// - a route to another service (to_service) moves the request from the
//   old service's view to the new one's, as a route between departments
//   does (in the service views only when the department stays), and its
//   sla_deadline is the deadline in force from then on.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "catalog/catalog.h"
#include "events/event.h"
#include "performance/day_figures.h"

namespace ledger::performance {

// What the fold keeps of one request between its events.
struct RequestFacts {
  enum class Standing : uint8_t { kNone, kBacklog, kClosed, kAway };  // kNone: not submitted
  Standing standing = Standing::kNone;
  std::string department;  // holding it now
  std::string submitter;   // actor of request.submitted
  std::string service;     // service code now
  std::string area;        // AreaOf the submitted location
  uint64_t routes = 0;     // routes between departments so far
  int64_t submitted_ms = 0;
  int64_t deadline_ms = 0;  // 0: none
  bool responded = false;
  bool duplicate = false;

  bool operator==(const RequestFacts&) const = default;
  std::string Encode() const;
  // kCorruption for bytes Encode did not write.
  static base::Result<RequestFacts> Decode(std::string_view bytes);
};

// The area of a submitted location: its zip code; "unknown" without one or
// for one holding a control character.
std::string AreaOf(const events::Json& location);

// The change an event makes to one day of a department, and of the
// request's service and area.
struct DayChange {
  std::string department;
  std::string day;  // local date, "2026-11-23"
  DayFigures delta;
  std::string service;        // the request's service code when it happened
  bool service_only = false;  // a change of service inside one department: no department's or area's figure
  bool operator==(const DayChange&) const = default;
};

// Folds `event` (of the request `facts` describe; an empty `facts` for its
// request.submitted) into `facts` and returns the days it changes, at most
// two (a route: out of one, into the other). Events the views ignore change nothing;
// an event before request.submitted changes nothing (the request
// projection quarantines it).
std::vector<DayChange> FoldRequestEvent(RequestFacts& facts, const events::Event& event,
                                        const catalog::Catalog& catalog);

}  // namespace ledger::performance
