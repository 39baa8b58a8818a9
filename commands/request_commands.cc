// DecideRequestCommand: the commands on an existing request and the status
// rules they obey.
#include "commands/body_fields.h"
#include "commands/command_event.h"
#include "commands/decide.h"
#include "events/event_types.h"

namespace ledger::commands {
namespace {

using base::ErrorCode;
using base::MakeError;
namespace types = events::types;

constexpr size_t kTextMax = 4000;

base::Error Conflict(const projections::RequestState& s, const std::string& why) {
  return MakeError(ErrorCode::kConflict, "request " + s.id + " is " + s.status + ": " + why);
}

// One command: the event type and data it produces, or what is wrong.
struct Outcome {
  Outcome(std::string_view t, Json d, std::optional<std::string> to = std::nullopt)
      : type(t), data(std::move(d)), new_department(std::move(to)) {}
  std::string_view type;
  Json data;
  std::optional<std::string> new_department;  // for route: also copy there
};

// To another department, another service (the service's department unless
// to_department says otherwise), or both. A new service sets a new
// deadline: its SLA counted from the request's submission, so the
// resident's wait does not start again.
Result<Outcome> Route(BodyFields& f, const catalog::Catalog& catalog,
                      const projections::RequestState& s) {
  std::string to_service = f.String("to_service", false, 64);
  std::string to = f.String("to_department", to_service.empty(), 32);
  std::string reason = f.String("reason", true, kTextMax);
  if (!f.ok()) return f.error();
  const catalog::Service* service = nullptr;
  if (!to_service.empty()) {
    service = catalog.FindService(to_service);
    if (!service)
      return MakeError(ErrorCode::kInvalidArgument, "field 'to_service': unknown service code '" + to_service +
                                                        "' (see GET /v1/catalog)");
    if (to.empty()) to = service->department;
  }
  const catalog::Department* dept = catalog.FindDepartment(to);
  if (!dept)
    return MakeError(ErrorCode::kInvalidArgument,
                     "field 'to_department': unknown department '" + to + "'");
  if (dept->external)
    return MakeError(ErrorCode::kInvalidArgument,
                     "field 'to_department': '" + to +
                         "' is an outside agency; use the transfer_external command");
  bool new_service = service && service->code != s.service_code;
  if (to == s.department && !new_service)
    return Conflict(s, service ? "already service " + to_service + " in department " + to
                               : "already in department " + to);
  Json data = {{"from_department", s.department}, {"to_department", to}, {"reason", reason}};
  if (new_service) {
    data["from_service"] = s.service_code;
    data["to_service"] = service->code;
    data["service_name"] = service->name;
    data["sla_deadline"] = events::FormatTime(catalog.SlaDeadline(*service, s.created_ms));
  }
  std::optional<std::string> copy_to;
  if (to != s.department) copy_to = to;
  return Outcome{types::kRequestRouted, std::move(data), std::move(copy_to)};
}

Result<Outcome> Assign(BodyFields& f, const projections::RequestState& s) {
  std::string assignee = f.String("assignee", true, 200);
  std::string reason = f.String("reason", false, kTextMax);
  if (!f.ok()) return f.error();
  if (assignee == s.assignee) return Conflict(s, "already assigned to " + assignee);
  Json data = {{"department", s.department}, {"assignee", assignee}};
  if (!reason.empty()) data["reason"] = reason;
  return Outcome{types::kRequestAssigned, std::move(data)};
}

Result<Outcome> ChangeStatus(BodyFields& f, const projections::RequestState& s) {
  std::string to = f.OneOf("status", {"open", "acknowledged", "in_progress", "on_hold"}, true);
  std::string reason = f.String("reason", false, kTextMax);
  if (!f.ok()) return f.error();
  if (s.status == "resolved" || s.status == "transferred")
    return Conflict(s, "reopen it before changing its status");
  if (to == s.status) return Conflict(s, "its status is already " + to);
  Json data = {{"from", s.status}, {"to", to}};
  if (!reason.empty()) data["reason"] = reason;
  return Outcome{types::kRequestStatusChanged, std::move(data)};
}

Result<Outcome> AddNote(BodyFields& f) {
  std::string visibility = f.OneOf("visibility", {"public", "internal"}, false, "internal");
  std::string text = f.String("text", true, kTextMax);
  if (!f.ok()) return f.error();
  return Outcome{types::kRequestNoteAdded, {{"visibility", visibility}, {"text", text}}};
}

// Refuses a link from `s` to `parent_id` that would close a cycle.
base::Status CheckNoCycle(const std::string& parent_id, const projections::RequestState& s,
                            const std::vector<std::string>& ancestors) {
  auto at = std::find(ancestors.begin(), ancestors.end(), s.id);
  if (at != ancestors.end()) {
    std::string through;
    for (auto it = ancestors.begin(); it != at; ++it)
      through += (through.empty() ? "" : ", ") + *it;
    return MakeError(ErrorCode::kInvalidArgument,
                     "field 'parent_id': " + parent_id + " is " +
                         (through.empty() ? "" : "(through " + through + ") ") + "a duplicate of " +
                         s.id + "; that would form a cycle");
  }
  if (ancestors.size() > kMaxDuplicateChain)
    return MakeError(ErrorCode::kInvalidArgument,
                     "field 'parent_id': " + parent_id + " is a duplicate through more than " +
                         std::to_string(kMaxDuplicateChain) + " requests");
  return {};
}

Result<Outcome> MarkDuplicate(BodyFields& f, const projections::RequestState& s,
                              const ParentChain& chain) {
  std::string parent_id = f.String("parent_id", true, 64);
  std::string reason = f.String("reason", false, kTextMax);
  if (!f.ok()) return f.error();
  if (parent_id == s.id)
    return MakeError(ErrorCode::kInvalidArgument, "field 'parent_id': a request cannot be a duplicate of itself");
  if (!chain.parent)
    return MakeError(ErrorCode::kNotFound, "parent request '" + parent_id + "' does not exist");
  if (auto status = CheckNoCycle(parent_id, s, chain.ancestors); !status) return status.error();
  if (!s.parent.empty()) return Conflict(s, "already a duplicate of " + s.parent);
  Json data = {{"parent_id", parent_id}};
  if (!reason.empty()) data["reason"] = reason;
  return Outcome{types::kRequestDuplicateMarked, std::move(data)};
}

Result<Outcome> TransferExternal(BodyFields& f, const catalog::Catalog& catalog,
                                 const projections::RequestState& s) {
  std::string agency = f.String("agency", true, 32);
  std::string reason = f.String("reason", true, kTextMax);
  std::string reference = f.String("external_reference", false, 200);
  if (!f.ok()) return f.error();
  const catalog::Department* dept = catalog.FindDepartment(agency);
  if (!dept || !dept->external)
    return MakeError(ErrorCode::kInvalidArgument,
                     "field 'agency': '" + agency + "' is not an outside agency of the catalog");
  if (!projections::IsOpenStatus(s.status)) return Conflict(s, "only open requests can be transferred");
  Json data = {{"agency", agency}, {"reason", reason}};
  if (!reference.empty()) data["external_reference"] = reference;
  return Outcome{types::kRequestTransferredExternal, std::move(data)};
}

Result<Outcome> Resolve(BodyFields& f, const projections::RequestState& s) {
  std::string code = f.String("resolution_code", true, 100);
  std::string resolution = f.String("resolution", false, kTextMax);
  if (!f.ok()) return f.error();
  if (!projections::IsOpenStatus(s.status)) return Conflict(s, "only open requests can be resolved");
  Json data = {{"resolution_code", code}};
  if (!resolution.empty()) data["resolution"] = resolution;
  return Outcome{types::kRequestResolved, std::move(data)};
}

Result<Outcome> Close(BodyFields& f, const projections::RequestState& s) {
  std::string code = f.String("resolution_code", false, 100);
  std::string reason = f.String("reason", false, kTextMax);
  if (!f.ok()) return f.error();
  Json data = Json::object();
  if (!code.empty()) data["resolution_code"] = code;
  if (!reason.empty()) data["reason"] = reason;
  return Outcome{types::kRequestClosed, std::move(data)};
}

Result<Outcome> Reopen(BodyFields& f, const projections::RequestState& s) {
  std::string reason = f.String("reason", true, kTextMax);
  if (!f.ok()) return f.error();
  if (projections::IsOpenStatus(s.status)) return Conflict(s, "only resolved, closed or transferred requests can be reopened");
  return Outcome{types::kRequestReopened, {{"reason", reason}}};
}

Result<Outcome> RecordSurvey(BodyFields& f) {
  auto score = f.Integer("score", true, 1, 5);
  std::string comment = f.String("comment", false, kTextMax);
  std::string contact_id = f.String("contact_id", false, 64);
  if (!f.ok()) return f.error();
  Json data = {{"score", *score}};
  if (!comment.empty()) data["comment"] = comment;
  if (!contact_id.empty()) data["contact_id"] = contact_id;
  return Outcome{types::kSurveyAnswered, std::move(data)};
}

// The command's own fields, beside the common ones.
std::span<const std::string_view> FieldsOf(std::string_view command) {
  static constexpr std::string_view kRoute[] = {"to_department", "to_service", "reason"};
  static constexpr std::string_view kAssign[] = {"assignee", "reason"};
  static constexpr std::string_view kStatus[] = {"status", "reason"};
  static constexpr std::string_view kNote[] = {"visibility", "text"};
  static constexpr std::string_view kDuplicate[] = {"parent_id", "reason"};
  static constexpr std::string_view kTransfer[] = {"agency", "reason", "external_reference"};
  static constexpr std::string_view kResolve[] = {"resolution_code", "resolution"};
  static constexpr std::string_view kClose[] = {"resolution_code", "reason"};
  static constexpr std::string_view kReopen[] = {"reason"};
  static constexpr std::string_view kSurvey[] = {"score", "comment", "contact_id"};
  if (command == "route") return kRoute;
  if (command == "assign") return kAssign;
  if (command == "change_status") return kStatus;
  if (command == "add_note") return kNote;
  if (command == "mark_duplicate") return kDuplicate;
  if (command == "transfer_external") return kTransfer;
  if (command == "resolve") return kResolve;
  if (command == "close") return kClose;
  if (command == "reopen") return kReopen;
  return kSurvey;  // record_survey
}

Result<Outcome> Dispatch(const std::string& command, BodyFields& f,
                         const catalog::Catalog& catalog, const projections::RequestState& s,
                         const ParentChain& parent) {
  // A closed request takes only notes, surveys and reopening.
  bool after_close = command == "add_note" || command == "record_survey" || command == "reopen";
  if (s.status == "closed" && !after_close) return Conflict(s, "reopen it first");
  if (command == "route") return Route(f, catalog, s);
  if (command == "assign") return Assign(f, s);
  if (command == "change_status") return ChangeStatus(f, s);
  if (command == "add_note") return AddNote(f);
  if (command == "mark_duplicate") return MarkDuplicate(f, s, parent);
  if (command == "transfer_external") return TransferExternal(f, catalog, s);
  if (command == "resolve") return Resolve(f, s);
  if (command == "close") return Close(f, s);
  if (command == "reopen") return Reopen(f, s);
  return RecordSurvey(f);
}

}  // namespace

Result<Decision> DecideRequestCommand(const catalog::Catalog& catalog,
                                      const projections::RequestView& current, const Json& body,
                                      const ParentChain& parent, const CommandContext& ctx) {
  const projections::RequestState& s = current.state;
  BodyFields f(body);
  std::string command = f.OneOf("command",
                                {"route", "assign", "change_status", "add_note", "mark_duplicate",
                                 "transfer_external", "resolve", "close", "reopen",
                                 "record_survey"},
                                true);
  if (!f.ok()) return f.error();
  std::vector<std::string_view> known = {"command", "expected_version", "actor", "on_behalf_of",
                                         "occurred_at"};
  for (auto name : FieldsOf(command)) known.push_back(name);
  for (auto& [key, value] : body.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown field '" + key + "' for command '" + command + "'");
  auto expected = f.Integer("expected_version", false, 1, INT64_MAX);
  int64_t time_ms = EventTime(f, ctx);
  std::string on_behalf_of = OnBehalfOf(f);
  if (!f.ok()) return f.error();
  if (expected && uint64_t(*expected) != s.version) return events::StaleVersion(s.id, s.version, *expected);
  auto outcome = Dispatch(command, f, catalog, s, parent);
  if (!outcome.ok()) return outcome.error();
  auto event = MakeEvent(outcome->type, s.id, std::move(outcome->data), time_ms, on_behalf_of, "",
                         ctx);
  if (!event.ok()) return event.error();
  events::AppendRecord record{std::string(events::topics::kRequests), std::move(*event), s.version,
                              {DepartmentTopic(s.department)}};
  if (outcome->new_department) record.copy_topics.push_back(DepartmentTopic(*outcome->new_department));
  Decision d;
  d.request_id = s.id;
  d.records.push_back(std::move(record));
  return d;
}

std::string BreachKey(std::string_view request_id, int64_t deadline_ms) {
  return "sla.breached/" + std::string(request_id) + "/" + std::to_string(deadline_ms);
}

Result<Decision> DecideBreach(const projections::RequestView& current, int64_t deadline_ms,
                              const CommandContext& ctx) {
  const projections::RequestState& s = current.state;
  if (!projections::IsOpenStatus(s.status)) return Conflict(s, "only open requests breach their deadline");
  if (s.deadline_ms != deadline_ms || deadline_ms == 0)
    return Conflict(s, "its deadline in force is " + (s.deadline_ms ? events::FormatTime(s.deadline_ms) : "none"));
  if (deadline_ms >= ctx.now_ms) return Conflict(s, "its deadline has not passed");
  if (s.Breached(deadline_ms)) return Conflict(s, "the breach of this deadline is recorded");
  Json data = {{"deadline", events::FormatTime(deadline_ms)},
               {"department", s.department},
               {"service_code", s.service_code}};
  auto event = MakeEvent(types::kSlaBreached, s.id, std::move(data), deadline_ms, "", "", ctx);
  if (!event.ok()) return event.error();
  event->id = events::DerivedEventId(deadline_ms, BreachKey(s.id, deadline_ms));
  Decision d;
  d.request_id = s.id;
  d.records.push_back({std::string(events::topics::kRequests), std::move(*event), s.version,
                       {DepartmentTopic(s.department)}});
  return d;
}

}  // namespace ledger::commands
