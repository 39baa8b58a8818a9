#pragma once
// The decisions behind every write of the HTTP API: a command body (JSON)
// plus the current state and the catalog in, the events to append out.
// Pure functions: no I/O, no clock (the caller passes `now`). Each failure
// says what is wrong: kInvalidArgument for bad input, kConflict for a
// transition that makes no sense in the request's current state.

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "events/event_log.h"
#include "projections/state_store.h"

namespace ledger::commands {

using events::Json;
using events::Result;

// Who is acting and from where; filled by the HTTP layer.
struct CommandContext {
  int64_t now_ms = 0;
  std::string actor;   // "key:<name>": the authenticated identity, the actor of every event
  std::string source;  // "/v1/requests", "/v1/contacts", ...
};

// What to append, with the expected version of each request stream.
struct Decision {
  std::vector<events::AppendRecord> records;
  std::string request_id;  // the request created or changed ("" if none)
  std::string contact_id;  // the contact recorded ("" if none)
};

// POST /v1/requests. `body` holds service_code, description, location,
// attributes, customer_kind, priority, channel, resident, occurred_at, on_behalf_of.
Result<Decision> DecideSubmit(const catalog::Catalog& catalog, const Json& body,
                              const CommandContext& ctx);

// POST /v1/contacts. `linked` is the state of body.request_id when the
// outcome is linked_to_request (the caller looks it up; nullopt = unknown).
Result<Decision> DecideContact(const catalog::Catalog& catalog, const Json& body,
                               const std::optional<projections::RequestView>& linked,
                               const CommandContext& ctx);

// POST /v1/requests/{id}/events. body.command is one of route, assign,
// change_status, add_note, mark_duplicate, transfer_external, resolve,
// close, reopen, record_survey. `parent` is the state of body.parent_id for
// mark_duplicate (nullopt = unknown). The decision appends with expected
// version = current.state.version (or body.expected_version, which must
// match it: else kConflict).
Result<Decision> DecideRequestCommand(const catalog::Catalog& catalog,
                                      const projections::RequestView& current, const Json& body,
                                      const std::optional<projections::RequestView>& parent,
                                      const CommandContext& ctx);

// The department topic of a department code: "311.dept.<code>".
std::string DepartmentTopic(std::string_view department);

}  // namespace ledger::commands
