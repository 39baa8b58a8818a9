#include "commands/command_event.h"

#include "events/schema.h"

namespace ledger::commands {
namespace {
constexpr int64_t kFutureSkewMs = 5 * 60 * 1000;
}  // namespace

int64_t EventTime(BodyFields& f, const CommandContext& ctx) {
  auto t = f.Time("occurred_at", false);
  if (t && *t > ctx.now_ms + kFutureSkewMs) f.Fail(base::ErrorCode::kInvalidArgument,
                                                   "field 'occurred_at': is in the future");
  return t.value_or(ctx.now_ms);
}

std::string OnBehalfOf(BodyFields& f) {
  if (f.ok() && f.Has("actor"))
    f.Fail(base::ErrorCode::kInvalidArgument,
           "field 'actor': the actor is always the API key's identity; name the person acting "
           "for it (the call-taker at a shared desk) in 'on_behalf_of'");
  return f.String("on_behalf_of", false, 200);
}

Result<events::Event> MakeEvent(std::string_view type, std::string subject, Json data,
                                int64_t time_ms, std::string on_behalf_of, std::string channel,
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
  e.actor = ctx.actor;
  e.onbehalfof = std::move(on_behalf_of);
  if (!ctx.idempotency_key.empty())
    e.idempotency = events::FormatIdempotency({ctx.request_digest, ctx.now_ms, ctx.idempotency_key});
  e.channel = std::move(channel);
  return e;
}

}  // namespace ledger::commands
