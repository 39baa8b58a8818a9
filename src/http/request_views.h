#pragma once
// How requests, pages and log positions look in the HTTP API, and the
// parsing of GET /v1/requests filters.

#include <string>

#include "catalog/catalog.h"
#include "events/event_log.h"
#include "projections/state_store.h"
#include "src/http/http_types.h"

namespace ledger::http {

std::string RequestUrl(const std::string& request_id);
Json PositionJson(const events::StoredEvent& stored);
// A request as the API shows it: the stored state's fields plus overdue (at
// now_ms), contacts, contact_count, duplicates and url, spliced around the
// stored text rather than rebuilt from a decoded state (the hot path).
base::Result<std::string> StoredRequestJson(projections::StoredRequest& stored, int64_t now_ms);
Json RequestPageJson(const projections::RequestPage& page, int64_t now_ms);

// department, status, service_code, created_from, created_to, overdue,
// limit (1..500, default 50), cursor. Unknown parameters and unknown
// departments, statuses or services are kInvalidArgument.
base::Result<projections::RequestQuery> ParseRequestQuery(const HttpRequest& request,
                                                            const catalog::Catalog& catalog,
                                                            int64_t now_ms);

}  // namespace ledger::http
