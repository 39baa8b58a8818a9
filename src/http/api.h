#pragma once
// LedgerApi: the /v1 HTTP API of the ledger as one dispatch function —
// authentication, routing, JSON with limits, handlers, metrics. Handlers
// are plain functions from HttpRequest to a Responder call, so they are
// tested without sockets; the server (server.h) puts them on a socket.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "commands/command_service.h"
#include "performance/report.h"
#include "projections/state_store.h"
#include "src/http/close_time_estimates.h"
#include "src/http/http_types.h"
#include "src/http/request_views.h"
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
  // A reader of one topic for an event stream, living as long as the
  // stream: on Kafka a log of its own (department topics are written by the
  // department router, which the serving log does not follow).
  std::function<base::Result<std::shared_ptr<events::EventLog>>(const std::string& topic)> open_reader;
  std::vector<ApiKey> keys;
  int max_json_depth = 32;
  int max_waiting_commands = 4096;                    // more commands at once get 503
  uint64_t min_sample = 30;                           // performance figures from fewer: low_sample
  performance::FiscalYearStart fiscal_year_start;     // granularity fiscal_year, range fiscal_year_to_date
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

  // The answer to a request from its head alone, before its body is read:
  // 401 without a valid key (every route but /healthz needs one), else
  // nullopt. An http::Admission.
  std::optional<HttpResponse> Admit(HttpRequest& head);

 private:
  // A command: parses the JSON body and the command context, then `run`s it.
  using CommandRoute = std::function<void(HttpRequest&, Json body, commands::CommandContext, Responder)>;

  void AddRoutes();
  void AddCommandRoute(const std::string& pattern, CommandRoute run);
  const ApiKey* Authenticate(const HttpRequest& request) const;
  // 401 unless the route is /healthz or the request carries a known key
  // (then sets request.caller).
  std::optional<HttpResponse> CheckKey(HttpRequest& request, const std::string& route) const;

  ApiDeps deps_;
  std::unique_ptr<CloseTimeEstimates> estimates_;  // expected completion of open requests
  EstimateCloseTime estimate_;                     // estimates_->For
  Router router_;
  HttpMetrics metrics_;
  std::atomic<int> waiting_commands_{0};  // commands taken and not yet answered
};

}  // namespace ledger::http
