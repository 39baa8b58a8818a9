#pragma once
// LedgerApi: the /v1 HTTP API of the ledger as one dispatch function —
// authentication, routing, JSON with limits, handlers, metrics. Handlers
// are plain functions from HttpRequest to a Responder call, so they are
// tested without sockets; the server (server.h) puts them on a socket.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "commands/command_service.h"
#include "projections/state_store.h"
#include "src/http/http_types.h"
#include "src/http/metrics.h"
#include "src/http/router.h"

namespace ledger::http {

struct ApiKey {
  std::string key;   // the secret sent as "Authorization: Bearer <key>" or "X-API-Key"
  std::string name;  // who holds it; the default actor of its writes ("key:<name>")
  std::string role;  // intake, department, analyst, auditor, admin
};

struct ApiDeps {
  const catalog::Catalog* catalog = nullptr;
  projections::StateStore* store = nullptr;
  commands::CommandService* commands = nullptr;
  std::vector<ApiKey> keys;
  int max_json_depth = 32;
  std::function<int64_t()> clock;                     // now, UTC ms
  std::function<Json()> health;                       // body of /healthz; "status" != "ok" → 503
  std::function<void(std::string&)> append_metrics;   // the app's own Prometheus lines
};

class LedgerApi {
 public:
  // REQUIRES: the pointers in deps are set and outlive the api.
  explicit LedgerApi(ApiDeps deps);

  // Answers one request through `respond`, exactly once.
  void Dispatch(HttpRequest& request, Responder respond);

 private:
  void AddRoutes();
  const ApiKey* Authenticate(const HttpRequest& request) const;

  ApiDeps deps_;
  Router router_;
  HttpMetrics metrics_;
};

}  // namespace ledger::http
