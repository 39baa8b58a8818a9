#include "commands/decide.h"

#include "commands/body_fields.h"
#include "commands/command_event.h"
#include "events/event_types.h"


namespace ledger::commands {
namespace {

using base::ErrorCode;
using base::MakeError;
namespace types = events::types;
namespace topics = events::topics;

constexpr size_t kTextMax = 4000;
constexpr std::string_view kChannels[] = {"phone", "email",  "letter",   "walk_in",
                                          "web",   "mobile", "tty", "internal"};

Json ReadLocation(BodyFields& f) {
  const Json* location = f.Object("location", true);
  Json out = Json::object();
  if (!location) return out;
  BodyFields inner(*location);
  inner.OnlyKnown({"address", "zip", "lat", "lon"});
  std::string address = inner.String("address", false, 300);
  std::string zip = inner.String("zip", false, 20);
  auto lat = inner.Number("lat", false, -90, 90);
  auto lon = inner.Number("lon", false, -180, 180);
  if (inner.ok() && address.empty() && !(lat && lon))
    inner.Fail(ErrorCode::kInvalidArgument, "needs an address or both lat and lon");
  if (!inner.ok()) {
    f.Fail(inner.error().code, "location: " + inner.error().message);
    return out;
  }
  if (!address.empty()) out["address"] = address;
  if (!zip.empty()) out["zip"] = zip;
  if (lat) out["lat"] = *lat;
  if (lon) out["lon"] = *lon;
  return out;
}

base::Error FieldError(const BodyFields& f) { return f.error(); }

}  // namespace

std::string DepartmentTopic(std::string_view department) {
  return std::string(topics::kDeptPrefix) + std::string(department);
}

namespace {

// DecideSubmit with an optional contact id of the contact that created it.
Result<Decision> Submit(const catalog::Catalog& catalog, const Json& body,
                        const std::string& contact_id, const CommandContext& ctx) {
  BodyFields f(body);
  f.OnlyKnown({"service_code", "description", "location", "attributes", "customer_kind",
               "priority", "channel", "resident", "occurred_at", "actor", "on_behalf_of"});
  std::string service_code = f.String("service_code", true, 100);
  const catalog::Service* service = nullptr;
  if (f.ok()) {
    service = catalog.FindService(service_code);
    if (!service)
      f.Fail(ErrorCode::kInvalidArgument, "field 'service_code': unknown service code '" +
                                              service_code + "' (see GET /v1/catalog)");
  }
  std::string description = f.String("description", true, kTextMax);
  Json location = ReadLocation(f);
  const Json* attributes = f.Object("attributes", false);
  std::string kind = f.OneOf("customer_kind", {"resident", "business", "internal"}, false, "resident");
  std::string priority = f.OneOf("priority", {"low", "normal", "high", "urgent"}, false,
                                 service ? service->default_priority : "normal");
  std::string channel = f.OneOf("channel", kChannels, false, "web");
  Json personal = ReadResident(f);
  int64_t time_ms = EventTime(f, ctx);
  std::string on_behalf_of = OnBehalfOf(f);
  if (!f.ok()) return FieldError(f);
  Json attrs = attributes ? *attributes : Json::object();
  auto attrs_ok = catalog.ValidateAttributes(*service, attrs);
  if (!attrs_ok.ok()) return attrs_ok.error();

  Json data = {{"service_code", service->code},
               {"service_name", service->name},
               {"department", service->department},
               {"description", description},
               {"location", location},
               {"attributes", attrs},
               {"customer_kind", kind},
               {"priority", priority},
               {"sla_deadline", events::FormatTime(catalog.SlaDeadline(*service, time_ms))}};
  if (!contact_id.empty()) data["contact_id"] = contact_id;
  if (!personal.empty()) data["personal"] = personal;
  auto event = MakeEvent(types::kRequestSubmitted, events::NewRequestId(ctx.now_ms),
                         std::move(data), time_ms, on_behalf_of, channel, ctx);
  if (!event.ok()) return event.error();
  Decision d;
  d.request_id = event->subject;
  d.records.push_back({std::string(topics::kRequests), std::move(*event), 0,
                       {DepartmentTopic(service->department)}});
  return d;
}

}  // namespace

Result<Decision> DecideSubmit(const catalog::Catalog& catalog, const Json& body,
                              const CommandContext& ctx) {
  return Submit(catalog, body, "", ctx);
}

Result<Decision> DecideContact(const catalog::Catalog& catalog, const Json& body,
                               const std::optional<projections::RequestView>& linked,
                               const CommandContext& ctx) {
  BodyFields f(body);
  f.OnlyKnown({"channel", "language", "agent", "wait_seconds", "handle_seconds", "abandoned",
               "outcome", "request", "request_id", "referred_to", "summary", "resident",
               "occurred_at", "actor", "on_behalf_of"});
  std::string channel = f.OneOf("channel", kChannels, true);
  std::string language = f.String("language", true, 35);
  std::string agent = f.String("agent", false, 200);
  auto wait = f.Number("wait_seconds", false, 0, 86400);
  auto handle = f.Number("handle_seconds", false, 0, 86400);
  auto abandoned_field = f.Bool("abandoned", false);
  std::string outcome = f.OneOf("outcome",
                                {"information", "referred", "created_request",
                                 "linked_to_request", "transferred_agency", "abandoned"},
                                true);
  const Json* request = f.Object("request", outcome == "created_request");
  std::string request_id = f.String("request_id", outcome == "linked_to_request", 64);
  std::string referred_to = f.String("referred_to", false, 200);
  std::string summary = f.String("summary", false, kTextMax);
  Json personal = ReadResident(f);
  int64_t time_ms = EventTime(f, ctx);
  std::string on_behalf_of = OnBehalfOf(f);
  bool abandoned = abandoned_field.value_or(outcome == "abandoned");
  if (f.ok() && abandoned != (outcome == "abandoned"))
    f.Fail(ErrorCode::kInvalidArgument,
           "field 'abandoned': an abandoned contact has outcome 'abandoned', and only it");
  if (f.ok() && request && outcome != "created_request")
    f.Fail(ErrorCode::kInvalidArgument, "field 'request': only with outcome 'created_request'");
  if (f.ok() && !request_id.empty() && outcome != "linked_to_request")
    f.Fail(ErrorCode::kInvalidArgument, "field 'request_id': only with outcome 'linked_to_request'");
  if (!f.ok()) return FieldError(f);
  if (outcome == "linked_to_request" && !linked)
    return MakeError(ErrorCode::kNotFound, "request '" + request_id + "' does not exist");

  std::string contact_id = events::NewContactId(ctx.now_ms);
  Decision d;
  d.contact_id = contact_id;
  if (request) {
    // The request inherits the contact's channel, resident and time unless it says otherwise.
    Json sub = *request;
    if (!sub.contains("channel")) sub["channel"] = channel;
    if (!sub.contains("resident") && !personal.empty()) sub["resident"] = personal;
    if (!sub.contains("occurred_at")) sub["occurred_at"] = events::FormatTime(time_ms);
    if (!sub.contains("on_behalf_of") && !on_behalf_of.empty()) sub["on_behalf_of"] = on_behalf_of;
    auto submitted = Submit(catalog, sub, contact_id, ctx);
    if (!submitted.ok())
      return MakeError(submitted.error().code, "request: " + submitted.error().message);
    d = std::move(*submitted);
    d.contact_id = contact_id;
    request_id = d.request_id;
  }
  Json data = {{"channel", channel}, {"language", language}, {"abandoned", abandoned},
               {"outcome", outcome}};
  if (!agent.empty()) data["agent"] = agent;
  // Validated above; stored as sent, so 38 stays 38 rather than 38.0.
  if (wait) data["wait_seconds"] = body["wait_seconds"];
  if (handle) data["handle_seconds"] = body["handle_seconds"];
  if (!request_id.empty()) data["request_id"] = request_id;
  if (!referred_to.empty()) data["referred_to"] = referred_to;
  if (!summary.empty()) data["summary"] = summary;
  if (!personal.empty()) data["personal"] = personal;
  auto event = MakeEvent(types::kContactReceived, contact_id, std::move(data), time_ms,
                         on_behalf_of, channel, ctx);
  if (!event.ok()) return event.error();
  d.records.insert(d.records.begin(),
                   events::AppendRecord{std::string(topics::kContacts), std::move(*event), 0, {}});
  if (linked) d.request_id = linked->state.id;
  return d;
}

}  // namespace ledger::commands
