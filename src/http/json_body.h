#pragma once
// Parses a request body as one JSON object, within limits: at most
// `max_depth` levels of nesting, valid UTF-8, JSON content type (or none).

#include "base/result.h"
#include "src/http/http_types.h"

namespace ledger::http {

// kInvalidArgument with a message a client can act on ("body is not valid
// JSON: ... at byte 17", "body nests deeper than 32 levels", "body must be
// a JSON object", "body holds a number out of range" for 1e400 and other
// numbers beyond a double); 415 is reported as kInvalidArgument too.
base::Result<Json> ParseJsonBody(const HttpRequest& request, int max_depth);

}  // namespace ledger::http
