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
// body.actor, else the context's actor.
std::string Actor(BodyFields& f, const CommandContext& ctx);
// An event of `type` for `subject`, its data checked against the schema so
// that nothing reaches the log that its schema does not allow.
Result<events::Event> MakeEvent(std::string_view type, std::string subject, Json data,
                                int64_t time_ms, std::string actor, std::string channel,
                                const CommandContext& ctx);

}  // namespace ledger::commands
