#pragma once
// The HTTP exchange as the handlers see it: plain values, no sockets, so
// every handler is testable as a function from request to response.

#include <chrono>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "base/result.h"

namespace ledger::http {

using events::Json;

// Who sent a request, as its API key proved: set by authentication only,
// never from anything the client sends.
struct Caller {
  std::string name;  // the key's name: the actor of its writes ("key:<name>")
  std::string role;
};

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ... or any other token
  std::string target;  // raw target: path and query, as sent
  // Filled from target by ParseTarget:
  // The path cut at each "/" and then each part decoded on its own, so
  // "a%2Fb" is the one segment "a/b"; "//" and a trailing "/" give an
  // empty segment. The router matches on these.
  std::vector<std::string> segments;
  // The segments, each percent-encoded again the one canonical way
  // ("/v1/requests/a%2Fb"): for messages and event sources.
  std::string path;
  std::multimap<std::string, std::string> query;     // decoded query parameters ("+" is a space)
  std::map<std::string, std::string> headers;        // names lower-case
  std::string body;
  std::map<std::string, std::string> path_params;    // filled by the router: {id} -> value
  std::optional<Caller> caller;                      // set once the key is checked; empty on /healthz
  // Set by an admission that parsed the target and checked the key from
  // the head (LedgerApi::Admit): dispatching does not do them again.
  bool admitted = false;
  // Runs work on the connection's I/O thread; set by the server. Handlers
  // finishing on another thread (a command's completion runs on the
  // projection thread) hand their answer-building to it. Empty: run inline.
  std::function<void(std::function<void()>)> post;

  // First value of a query parameter, or nullptr.
  const std::string* Query(std::string_view name) const;
  // A header by lower-case name, or "".
  std::string Header(std::string_view name) const;
};

// A body written as it is produced (server-sent events). The server asks
// for each next piece on a thread of its own and writes it as an HTTP
// chunk, until the body ends, the client goes or the server stops.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // The next piece of the body, waiting at most `wait` for it: "" if none
  // came (the server writes a keep-alive comment now and then), nullopt
  // when the body is complete.
  virtual std::optional<std::string> Next(std::chrono::milliseconds wait) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (Location, Retry-After, ...)
  // Set: the body is this stream (chunked, the connection closes after it);
  // `body` is ignored.
  std::shared_ptr<ResponseStream> stream;
};

// Handlers answer through a Responder exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&, Responder)>;

// The HTTP status of an error kind (exhaustive over base::ErrorCode).
int StatusOf(base::ErrorCode code);
// {"error": {"code": ..., "message": ...}} with the matching status.
HttpResponse ErrorResponse(const base::Error& error);
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
// kInvalidArgument "query parameter '<name>': <why>" (400).
base::Error BadQueryParameter(std::string_view name, std::string_view why);
HttpResponse JsonResponse(int status, const Json& body);

// Parses request.target, origin-form (an absolute path and an optional
// query, RFC 9112 3.2.1), into segments, path and query. Every decoded
// segment, query key and value is valid UTF-8 without control characters
// (below 0x20, or 0x7F), so no "%00" reaches a store key built from an id.
// kInvalidArgument saying what is wrong otherwise.
base::Status ParseTarget(HttpRequest& request);

}  // namespace ledger::http
