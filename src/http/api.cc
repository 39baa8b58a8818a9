#include "src/http/api.h"

#include <chrono>

#include <spdlog/spdlog.h>
#include <sodium.h>

#include "events/event_types.h"
#include "src/http/json_body.h"
#include "src/http/performance_api.h"
#include "src/http/stream_api.h"
#include "src/http/request_views.h"

namespace ledger::http {
namespace {

using base::ErrorCode;
using base::MakeError;

// Answers a command's outcome: the stored events with their log positions,
// and the request as projected. Built as text from the canonical encoding
// (which is the CloudEvents JSON) and the stored state: the POST hot path.
void AnswerCommand(const ApiDeps& deps, const EstimateCloseTime& estimates, Responder respond, int status,
                   base::Result<commands::CommandOutcome> outcome) {
  if (!outcome.ok()) return respond(ErrorResponse(outcome.error()));
  HttpResponse r;
  r.status = status;
  std::string& out = r.body;
  out = "{";
  if (!outcome->contact_id.empty()) out += "\"contact_id\":" + Json(outcome->contact_id).dump() + ",";
  out += "\"events\":[";
  std::string position;
  for (const auto& e : outcome->stored) {
    if (e.where.topic.rfind(events::topics::kDeptPrefix, 0) == 0) continue;  // copies
    position = PositionJson(e).dump();
    if (out.back() != '[') out += ',';
    out += "{\"event\":" + events::EncodeCanonical(e.event) + ",\"position\":" + position + "}";
  }
  out += "]";
  if (!position.empty()) out += ",\"position\":" + position;
  if (!outcome->request_id.empty()) {
    // The events are stored: a failing read of the request only leaves it
    // out of the answer, never turns a stored command into an error.
    auto stored = deps.store->GetStoredRequest(outcome->request_id);
    if (stored.ok() && *stored) {
      auto request = StoredRequestJson(**stored, deps.clock(), estimates);
      if (request.ok()) out += ",\"request\":" + *request;
    }
    out += ",\"url\":" + Json(RequestUrl(outcome->request_id)).dump();
    r.headers["Location"] = RequestUrl(outcome->request_id);
  }
  if (outcome->replayed) r.headers["Idempotent-Replayed"] = "true";
  out += "}";
  respond(std::move(r));
}

// Runs `work`, which answers through `respond`; an exception it throws is
// logged and answered with 500, so no request ends the process. (A second
// answer after one already sent is dropped by the server.)
void Guarded(std::string_view what, const Responder& respond, const std::function<void()>& work) {
  try {
    work();
  } catch (const std::exception& e) {
    spdlog::error("{}: unexpected failure: {}", what, e.what());
    respond(ErrorResponse(500, "internal", "the server failed on this request; the reason is logged"));
  }
}

// The callback of a command: answers on the connection's thread, not on
// the projection thread that completes the command.
commands::CommandCallback Answer(const ApiDeps& deps, const EstimateCloseTime& estimates, const HttpRequest& request,
                                 Responder respond, int status) {
  return [&deps, &estimates, post = request.post, respond = std::move(respond),
          status](base::Result<commands::CommandOutcome> outcome) {
    auto work = [&deps, &estimates, respond, status, outcome = std::move(outcome)]() mutable {
      Guarded("answering a command", respond,
              [&] { AnswerCommand(deps, estimates, respond, status, std::move(outcome)); });
    };
    if (post) return post(std::move(work));
    work();
  };
}

// The Idempotency-Key of a POST, as the IETF httpapi draft defines it: an
// sf-string ("...") or a bare token; 1-255 printable ASCII characters.
base::Result<std::string> IdempotencyKeyOf(const HttpRequest& request) {
  auto it = request.headers.find("idempotency-key");
  if (it == request.headers.end()) return std::string();
  std::string_view key = it->second;
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "header Idempotency-Key: " + why);
  };
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
  if (key.empty()) return bad("is empty");
  if (key.size() > 255) return bad("is longer than 255 characters");
  for (char c : key)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
      return bad("must be printable ASCII, without quotes or backslashes inside");
  return std::string(key);
}

// Hex SHA-256 of what a repeat must match: method, path and body.
std::string RequestDigest(const HttpRequest& request) {
  std::string covered = request.method + '\n' + request.path + '\n' + request.body;
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(covered.data()), covered.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

base::Result<commands::CommandContext> ContextFor(const ApiDeps& deps, const HttpRequest& request) {
  auto key = IdempotencyKeyOf(request);
  if (!key.ok()) return key.error();
  commands::CommandContext ctx{deps.clock(), "key:" + request.caller->name, request.path};
  if (!key->empty()) {
    ctx.idempotency_key = std::move(*key);
    ctx.request_digest = RequestDigest(request);
  }
  return ctx;
}

}  // namespace

LedgerApi::LedgerApi(ApiDeps deps)
    : deps_(std::move(deps)),
      estimates_(std::make_unique<CloseTimeEstimates>(*deps_.store, *deps_.catalog, deps_.clock)),
      estimate_([this](std::string_view service) { return estimates_->For(service); }) {
  AddRoutes();
}

const ApiKey* LedgerApi::Authenticate(const HttpRequest& request) const {
  std::string presented = request.Header("x-api-key");
  std::string auth = request.Header("authorization");
  if (presented.empty() && auth.rfind("Bearer ", 0) == 0) presented = auth.substr(7);
  if (presented.empty()) return nullptr;
  // Every key is compared in full, in time that depends only on the lengths.
  const ApiKey* found = nullptr;
  for (const auto& k : deps_.keys)
    if (k.key.size() == presented.size() &&
        sodium_memcmp(k.key.data(), presented.data(), presented.size()) == 0)
      found = &k;
  return found;
}

std::optional<HttpResponse> LedgerApi::CheckKey(HttpRequest& request, const std::string& route) const {
  if (route == "/healthz") return std::nullopt;
  const ApiKey* key = Authenticate(request);
  if (!key) {
    HttpResponse r = ErrorResponse(401, "unauthorized",
                                   "missing or unknown API key: send 'Authorization: Bearer <key>'");
    r.headers["WWW-Authenticate"] = "Bearer realm=\"311-ledger\"";
    return r;
  }
  request.caller = Caller{key->name, key->role};
  return std::nullopt;
}

std::optional<HttpResponse> LedgerApi::Admit(HttpRequest& head) {
  auto start = std::chrono::steady_clock::now();
  auto parsed = ParseTarget(head);
  auto match = parsed.ok() ? router_.Find(head) : Router::Match{.route = "unmatched"};
  auto refused = CheckKey(head, match.route);
  if (refused)
    metrics_.Record(head.method, match.route, refused->status,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  // A bad target is answered by Dispatch, which parses it again.
  head.admitted = !refused && parsed.ok();
  return refused;
}

void LedgerApi::Dispatch(HttpRequest& request, Responder respond) {
  auto start = std::chrono::steady_clock::now();
  // Admitted, the target is parsed and the key checked already (Admit).
  auto parsed = request.admitted ? base::Status{} : ParseTarget(request);
  auto match = parsed.ok() ? router_.Find(request) : Router::Match{.route = "unmatched"};
  Responder measured = [this, respond = std::move(respond), method = request.method,
                        route = match.route, start](HttpResponse r) {
    metrics_.Record(method, route, r.status,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    respond(std::move(r));
  };
  // The key first: a client without one learns nothing, not even that its target is bad.
  if (!request.admitted)
    if (auto refused = CheckKey(request, match.route)) return measured(std::move(*refused));
  if (!parsed.ok()) return measured(ErrorResponse(400, "bad_request", parsed.error().message));
  if (match.status == 404)
    return measured(ErrorResponse(404, "not_found", "no such endpoint: " + request.path));
  if (match.status == 405) {
    HttpResponse r = ErrorResponse(405, "method_not_allowed",
                                   request.method + " is not allowed on " + match.route);
    r.headers["Allow"] = match.allow;
    return measured(std::move(r));
  }
  Guarded(request.method + " " + match.route, measured,
          [&] { (*match.handler)(request, measured); });
}

// A command holds one of max_waiting_commands places from the moment it is
// taken until its answer is sent or dropped (the place goes with the last
// copy of its responder), so a log that stalls cannot gather more.
void LedgerApi::AddCommandRoute(const std::string& pattern, CommandRoute run) {
  router_.Add("POST", pattern, [this, run = std::move(run)](HttpRequest& request, Responder respond) {
    // Counted first, then checked: commands at once cannot all take the last place.
    if (waiting_commands_.fetch_add(1) >= deps_.max_waiting_commands) {
      --waiting_commands_;
      return respond(ErrorResponse(MakeError(ErrorCode::kUnavailable,
                                             std::to_string(deps_.max_waiting_commands) +
                                                 " commands are waiting for the log, the limit; send it again")));
    }
    std::shared_ptr<void> place(nullptr, [this](void*) { --waiting_commands_; });
    Responder release = [place = std::move(place), respond = std::move(respond)](HttpResponse r) {
      respond(std::move(r));
    };
    auto body = ParseJsonBody(request, deps_.max_json_depth);
    if (!body.ok()) return release(ErrorResponse(body.error()));
    auto ctx = ContextFor(deps_, request);
    if (!ctx.ok()) return release(ErrorResponse(ctx.error()));
    run(request, std::move(*body), std::move(*ctx), std::move(release));
  });
}

void LedgerApi::AddRoutes() {
  router_.Add("GET", "/healthz", [this](HttpRequest&, Responder respond) {
    Json health = deps_.health();
    respond(JsonResponse(health.value("status", "") == "ok" ? 200 : 503, health));
  });
  router_.Add("GET", "/metrics", [this](HttpRequest&, Responder respond) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    deps_.append_metrics(r.body);
    metrics_.WriteTo(r.body);
    r.body += "# HELP ledger_commands_waiting Commands taken and not yet answered (commands.max_waiting).\n"
              "# TYPE ledger_commands_waiting gauge\nledger_commands_waiting " +
              std::to_string(waiting_commands_.load()) + "\n";
    respond(std::move(r));
  });
  router_.Add("GET", "/v1/catalog", [this](HttpRequest&, Responder respond) {
    respond(JsonResponse(200, deps_.catalog->ToJson()));
  });
  AddCommandRoute("/v1/contacts", [this](HttpRequest& request, Json body, commands::CommandContext ctx,
                                         Responder respond) {
    deps_.commands->RecordContact(std::move(body), std::move(ctx), Answer(deps_, estimate_, request, std::move(respond), 201));
  });
  AddCommandRoute("/v1/requests", [this](HttpRequest& request, Json body, commands::CommandContext ctx,
                                         Responder respond) {
    deps_.commands->SubmitRequest(std::move(body), std::move(ctx), Answer(deps_, estimate_, request, std::move(respond), 201));
  });
  AddCommandRoute("/v1/requests/{id}/events", [this](HttpRequest& request, Json body,
                                                     commands::CommandContext ctx, Responder respond) {
    deps_.commands->ApplyCommand(request.path_params["id"], std::move(body), std::move(ctx),
                                 Answer(deps_, estimate_, request, std::move(respond), 200));
  });
  router_.Add("GET", "/v1/requests/{id}", [this](HttpRequest& request, Responder respond) {
    auto stored = deps_.store->GetStoredRequest(request.path_params["id"]);
    if (!stored.ok()) return respond(ErrorResponse(stored.error()));
    if (!*stored)
      return respond(ErrorResponse(404, "not_found",
                                   "request '" + request.path_params["id"] + "' does not exist"));
    auto body = StoredRequestJson(**stored, deps_.clock(), estimate_);
    if (!body.ok()) return respond(ErrorResponse(body.error()));
    HttpResponse r;
    r.body = std::move(*body);
    respond(std::move(r));
  });
  router_.Add("GET", "/v1/requests/{id}/history", [this](HttpRequest& request, Responder respond) {
    const std::string& id = request.path_params["id"];
    auto history = deps_.store->History(id);
    if (!history.ok()) return respond(ErrorResponse(history.error()));
    if (history->empty())
      return respond(ErrorResponse(404, "not_found", "request '" + id + "' does not exist"));
    Json events = Json::array();
    for (const auto& e : *history) events.push_back(events::ToJson(e));
    respond(JsonResponse(200, {{"request_id", id}, {"events", std::move(events)}}));
  });
  router_.Add("GET", "/v1/requests", [this](HttpRequest& request, Responder respond) {
    auto query = ParseRequestQuery(request, *deps_.catalog, deps_.clock());
    if (!query.ok()) return respond(ErrorResponse(query.error()));
    auto page = deps_.store->ListRequests(*query);
    if (!page.ok()) return respond(ErrorResponse(page.error()));
    respond(JsonResponse(200, RequestPageJson(*page, deps_.clock())));
  });
  AddPerformanceRoutes(router_, deps_);
  AddStreamRoutes(router_, deps_);
}

}  // namespace ledger::http
