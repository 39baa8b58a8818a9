#pragma once
// HttpServer: Boost.Beast, asynchronous, a few threads, keep-alive, limits
// on connections, body, header and time. A listener accepts; a Session owns
// one connection on its own strand, asks the admission function about each
// request's head (so a refused one never has its body read) and hands each
// admitted, fully read request to the dispatch function, which answers
// through a Responder from any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "src/http/http_types.h"

namespace ledger::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8311;  // 0 = any free port (see HttpServer::port)
  int threads = 4;
  // Connections over this get 503 with Retry-After and are closed.
  uint32_t max_connections = 1024;
  uint64_t body_limit_bytes = 1 << 20;  // larger bodies get 413
  uint32_t header_limit_bytes = 16 << 10;
  std::chrono::seconds read_timeout{30};     // idle keep-alive and slow clients
  std::chrono::seconds handler_timeout{30};  // a request still unanswered gets 504
};

// Called with a request whose headers are read and whose body is not
// (request.body is empty): an answer to send instead of reading the body
// (the connection then closes), or nullopt to read it and dispatch.
using Admission = std::function<std::optional<HttpResponse>(HttpRequest& head)>;

class HttpServer {
 public:
  // Binds and starts serving on options.threads threads. kUnavailable if
  // the address cannot be bound. Without `admit` every request is read whole.
  static base::Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                           Handler dispatch, Admission admit = {});
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, answers the requests already taken (up to the handler
  // timeout; new ones on open connections get 503), then closes connections
  // and joins the threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace ledger::http
