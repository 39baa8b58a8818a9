#pragma once
// The analysts' performance endpoints, read from the performance views:
//
//   GET /v1/departments/{code}/performance   one department over a range,
//   GET /v1/services/{code}/performance      by day, week, month or the
//   GET /v1/areas/{area}/performance         whole range (granularity)
//   GET /v1/performance                      every department (or service,
//                                            area: by=) side by side
//   GET /v1/channels/stats                   every intake channel
//
// Ranges are local days: from and to (inclusive; default the 30 days up to
// today), or date for one day. format=csv answers text/csv (RFC 4180).
// Unknown parameters, names and malformed dates are 400.

#include "src/http/api.h"

namespace ledger::http {

// REQUIRES: deps outlives the router.
void AddPerformanceRoutes(Router& router, const ApiDeps& deps);

}  // namespace ledger::http
