#include "commands/command_event.h"

#include "events/schema.h"

namespace ledger::commands {
namespace {
constexpr int64_t kFutureSkewMs = 5 * 60 * 1000;
}  // namespace

int64_t EventTime(BodyFields& f, const CommandContext& ctx) {
  auto t = f.Time("occurred_at", false);
  if (t && *t > ctx.now_ms + kFutureSkewMs) f.Fail(events::ErrorCode::kInvalidArgument,
                                                   "field 'occurred_at': is in the future");
  return t.value_or(ctx.now_ms);
}

std::string Actor(BodyFields& f, const CommandContext& ctx) {
  std::string actor = f.String("actor", false, 200);
  return actor.empty() ? ctx.actor : actor;
}

Result<events::Event> MakeEvent(std::string_view type, std::string subject, Json data,
                                int64_t time_ms, std::string actor, std::string channel,
                                const CommandContext& ctx) {
  auto valid = events::ValidateData(type, data);
  if (!valid.ok()) return valid.error();
  events::Event e;
  e.id = events::NewEventId(time_ms);
  e.source = ctx.source;
  e.type = std::string(type);
  e.time_ms = time_ms;
  e.subject = std::move(subject);
  e.data = std::move(data);
  e.actor = std::move(actor);
  e.channel = std::move(channel);
  return e;
}

}  // namespace ledger::commands
