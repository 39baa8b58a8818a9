#pragma once
// How requests, pages and log positions look in the HTTP API, and the
// parsing of GET /v1/requests filters.

#include <string>

#include "catalog/catalog.h"
#include "events/event_log.h"
#include "projections/state_store.h"
#include "src/http/close_time_estimates.h"
#include "src/http/http_types.h"

namespace ledger::http {

std::string RequestUrl(const std::string& request_id);
Json PositionJson(const events::StoredEvent& stored);
// A request as the API shows it: the stored state's fields plus overdue (at
// now_ms), contacts, contact_count, duplicates, url and, for an open
// request, expected_completion (created + the p50 and p90 `estimate` gives
// for its service, or null), spliced around the stored text rather than
// rebuilt from a decoded state (the hot path).
using EstimateCloseTime = std::function<std::optional<CloseTimeEstimate>(std::string_view service)>;
base::Result<std::string> StoredRequestJson(projections::StoredRequest& stored, int64_t now_ms,
                                            const EstimateCloseTime& estimate);
Json RequestPageJson(const projections::RequestPage& page, int64_t now_ms);

// department, status, service_code, created_from, created_to, overdue,
// limit (1..500, default 50), cursor. Unknown parameters and unknown
// departments, statuses or services are kInvalidArgument.
base::Result<projections::RequestQuery> ParseRequestQuery(const HttpRequest& request,
                                                            const catalog::Catalog& catalog,
                                                            int64_t now_ms);

}  // namespace ledger::http
