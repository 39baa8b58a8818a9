#pragma once
// The HTTP exchange as the handlers see it: plain values, no sockets, so
// every handler is testable as a function from request to response.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "events/event.h"
#include "events/result.h"

namespace ledger::http {

using events::Json;

// Who sent a request, as its API key proved: set by authentication only,
// never from anything the client sends.
struct Caller {
  std::string name;  // the key's name: the actor of its writes ("key:<name>")
  std::string role;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw target: path and query
  std::string path;    // decoded path without the query
  std::multimap<std::string, std::string> query;     // decoded query parameters
  std::map<std::string, std::string> headers;        // names lower-case
  std::string body;
  std::map<std::string, std::string> path_params;    // filled by the router: {id} -> value
  std::optional<Caller> caller;                      // set once the key is checked; empty on /healthz
  // Runs work on the connection's I/O thread; set by the server. Handlers
  // finishing on another thread (a command's completion runs on the
  // projection thread) hand their answer-building to it. Empty: run inline.
  std::function<void(std::function<void()>)> post;

  // First value of a query parameter, or nullptr.
  const std::string* Query(std::string_view name) const;
  // A header by lower-case name, or "".
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (Location, Retry-After, ...)
};

// Handlers answer through a Responder exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&, Responder)>;

// The HTTP status of an error kind (exhaustive over events::ErrorCode).
int StatusOf(events::ErrorCode code);
// {"error": {"code": ..., "message": ...}} with the matching status.
HttpResponse ErrorResponse(const events::Error& error);
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
HttpResponse JsonResponse(int status, const Json& body);

// Splits and percent-decodes a request target into path and query.
// false if the target is not a valid origin-form target.
bool ParseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& query);

}  // namespace ledger::http
