#pragma once
// Server-sent events for departments and dashboards, read from the log:
//
//   GET /v1/departments/{code}/stream   the department's topic 311.dept.<code>:
//                                       every event of its requests
//   GET /v1/performance/stream          311.performance: every department-day change
//
// Each event is "event: <type>", "id: <cursor>", "data: <CloudEvents JSON
// with its log position, personal data left out>". The cursor names the
// next offset of each partition of the topic after this event
// ("0:18" or "0:18,1:7"), so a client that reconnects with Last-Event-ID
// (the header, or the last_event_id parameter) gets every event after it,
// none twice. Without one, the stream starts at the topic's end, or at its
// beginning with from=beginning.

#include "events/event_log.h"
#include "src/http/router.h"
#include "src/http/api.h"

namespace ledger::http {

// REQUIRES: deps outlives the router.
void AddStreamRoutes(Router& router, const ApiDeps& deps);

}  // namespace ledger::http
