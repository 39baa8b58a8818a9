#pragma once
// HttpServer: Boost.Beast, asynchronous, a few threads, keep-alive, limits
// on body, header and time. A listener accepts; a Session owns one
// connection on its own strand and hands each parsed request to the
// dispatch function, which answers through a Responder from any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "events/result.h"
#include "src/http/http_types.h"

namespace ledger::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8311;  // 0 = any free port (see HttpServer::port)
  int threads = 4;
  uint64_t body_limit_bytes = 1 << 20;  // larger bodies get 413
  uint32_t header_limit_bytes = 16 << 10;
  std::chrono::seconds read_timeout{30};     // idle keep-alive and slow clients
  std::chrono::seconds handler_timeout{30};  // a request still unanswered gets 504
};

class HttpServer {
 public:
  // Binds and starts serving on options.threads threads. kUnavailable if
  // the address cannot be bound.
  static events::Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                           Handler dispatch);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, answers the requests already taken (up to the handler
  // timeout; new ones on open connections get 503), then closes connections
  // and joins the threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace ledger::http
