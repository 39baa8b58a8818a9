#pragma once
// What every command event shares: its time, its actor, and the check of
// its data against the type's schema before it is built.

#include <string>
#include <string_view>

#include "commands/body_fields.h"
#include "commands/decide.h"

namespace ledger::commands {

// Event time: body.occurred_at (late events from connectors) or now;
// a time more than five minutes ahead is rejected.
int64_t EventTime(BodyFields& f, const CommandContext& ctx);
// body.on_behalf_of: whom the authenticated actor acts for, as the client
// names them ("" if not given). A body field `actor` is refused: the actor
// of every event is the context's, the API key's identity.
std::string OnBehalfOf(BodyFields& f);
// An event of `type` for `subject` by ctx.actor, its data checked against
// the schema so that nothing reaches the log that its schema does not allow.
Result<events::Event> MakeEvent(std::string_view type, std::string subject, Json data,
                                int64_t time_ms, std::string on_behalf_of, std::string channel,
                                const CommandContext& ctx);

}  // namespace ledger::commands
