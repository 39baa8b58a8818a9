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
using base::Result;

// Who is acting and from where; filled by the HTTP layer.
struct CommandContext {
  int64_t now_ms = 0;
  std::string actor;   // "key:<name>": the authenticated identity, the actor of every event
  std::string source;  // "/v1/requests", "/v1/contacts", ...
  // The client's Idempotency-Key ("" if none) and the digest of the request
  // it came with; its scope is `actor`. Every event of the command carries
  // both (Event::idempotency), so the key survives restarts and replays.
  std::string idempotency_key;
  std::string request_digest;
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

// Duplicate links longer than this are refused (a chain that long is a loop
// in the stored state rather than real duplicates).
inline constexpr size_t kMaxDuplicateChain = 10'000;

// What mark_duplicate is checked against; the caller looks it up.
struct ParentChain {
  std::optional<projections::RequestView> parent;  // body.parent_id; nullopt = unknown
  // The requests `parent` is a duplicate of, nearest first: its parent, that
  // one's parent, ... up to one that is a duplicate of none, or the current
  // request (a cycle), or kMaxDuplicateChain + 1 ids, whichever comes first.
  std::vector<std::string> ancestors;
};

// POST /v1/requests/{id}/events. body.command is one of route, assign,
// change_status, add_note, mark_duplicate, transfer_external, resolve,
// close, reopen, record_survey. mark_duplicate is checked against `parent`
// and refused (kInvalidArgument) if `current` would become, directly or
// through others, a duplicate of itself. The decision appends with expected
// version = current.state.version (or body.expected_version, which must
// match it: else kConflict).
Result<Decision> DecideRequestCommand(const catalog::Catalog& catalog,
                                      const projections::RequestView& current, const Json& body,
                                      const ParentChain& parent, const CommandContext& ctx);

// The SLA timer's command: the sla.breached of `current`'s deadline
// `deadline_ms`, timed at the deadline (the day it passed), with an event
// id derived from the request and the deadline (BreachKey), so that it is
// recorded once. kConflict unless the request is open with that deadline
// in force, the deadline is before ctx.now_ms, and no breach of it is
// recorded; a deadline recomputed since then is a new deadline.
Result<Decision> DecideBreach(const projections::RequestView& current, int64_t deadline_ms,
                              const CommandContext& ctx);
// "sla.breached/<request id>/<deadline ms>": the breach's source key and
// its Idempotency-Key.
std::string BreachKey(std::string_view request_id, int64_t deadline_ms);

// The department topic of a department code: "311.dept.<code>".
std::string DepartmentTopic(std::string_view department);

}  // namespace ledger::commands
