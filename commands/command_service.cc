#include "commands/command_service.h"

#include "projections/projected_topics.h"

namespace ledger::commands {
namespace {
// Conflicts the server itself caused (a concurrent writer between decide and
// append, or a request id collision) are retried; a client's explicit
// expected_version never is.
constexpr int kMaxAttempts = 5;

using events::ErrorCode;
using events::MakeError;

}  // namespace

enum class CommandKind { kSubmit, kContact, kRequestCommand };

struct CommandService::Attempt {
  Attempt(CommandKind k, Json b, CommandContext c, std::string id, CommandCallback d)
      : kind(k), body(std::move(b)), ctx(std::move(c)), request_id(std::move(id)), done(std::move(d)) {}
  CommandKind kind;
  Json body;
  CommandContext ctx;
  std::string request_id;  // the path's id for kRequestCommand; else set by the decision
  CommandCallback done;
  int tries = 0;
  std::string contact_id;  // set by the decision
};

CommandService::CommandService(const catalog::Catalog& catalog, events::EventLog& log,
                               projections::StateStore& store, WhenProjected when_projected)
    : catalog_(catalog), log_(log), store_(store), when_projected_(std::move(when_projected)) {}

void CommandService::SubmitRequest(Json body, CommandContext ctx, CommandCallback done) {
  Run(std::make_shared<Attempt>(CommandKind::kSubmit, std::move(body), std::move(ctx), "",
                                std::move(done)));
}

void CommandService::RecordContact(Json body, CommandContext ctx, CommandCallback done) {
  Run(std::make_shared<Attempt>(CommandKind::kContact, std::move(body), std::move(ctx), "",
                                std::move(done)));
}

void CommandService::ApplyCommand(std::string request_id, Json body, CommandContext ctx,
                                  CommandCallback done) {
  Run(std::make_shared<Attempt>(CommandKind::kRequestCommand, std::move(body), std::move(ctx),
                                std::move(request_id), std::move(done)));
}

Result<Decision> CommandService::Decide(const Attempt& a) {
  auto lookup = [&](const std::string& id) -> Result<std::optional<projections::RequestView>> {
    if (id.empty()) return std::optional<projections::RequestView>();
    return store_.GetRequest(id);
  };
  switch (a.kind) {
    case CommandKind::kSubmit:
      return DecideSubmit(catalog_, a.body, a.ctx);
    case CommandKind::kContact: {
      auto it = a.body.find("request_id");
      auto linked = lookup(it != a.body.end() && it->is_string() ? it->get<std::string>() : "");
      if (!linked.ok()) return linked.error();
      return DecideContact(catalog_, a.body, *linked, a.ctx);
    }
    case CommandKind::kRequestCommand: {
      auto current = lookup(a.request_id);
      if (!current.ok()) return current.error();
      if (!*current)
        return MakeError(ErrorCode::kNotFound, "request '" + a.request_id + "' does not exist");
      auto it = a.body.find("parent_id");
      auto parent = lookup(it != a.body.end() && it->is_string() ? it->get<std::string>() : "");
      if (!parent.ok()) return parent.error();
      return DecideRequestCommand(catalog_, **current, a.body, *parent, a.ctx);
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown command kind");
}

void CommandService::Run(std::shared_ptr<Attempt> attempt) {
  ++attempt->tries;
  auto decision = Decide(*attempt);
  if (!decision.ok()) return attempt->done(decision.error());
  if (!decision->request_id.empty()) attempt->request_id = decision->request_id;
  attempt->contact_id = decision->contact_id;
  log_.Append(std::move(decision->records),
              [this, attempt](Result<std::vector<events::StoredEvent>> result) {
                OnAppended(attempt, std::move(result));
              });
}

void CommandService::OnAppended(std::shared_ptr<Attempt> attempt,
                                Result<std::vector<events::StoredEvent>> result) {
  if (!result.ok()) {
    bool client_version = attempt->body.contains("expected_version");
    if (result.error().code == ErrorCode::kConflict && !client_version &&
        attempt->tries < kMaxAttempts) {
      // Decide again once the projection has caught up with the log.
      when_projected_(projections::ProjectedEnds(log_), [this, attempt] { Run(attempt); });
      return;
    }
    return attempt->done(result.error());
  }
  Positions targets;
  for (auto& e : *result)
    if (projections::IsProjectedTopic(e.where.topic)) {
      ++events_appended_;  // department copies are not new events
      auto& t = targets[e.where];
      t = std::max(t, e.offset + 1);
    }
  CommandOutcome outcome;
  outcome.request_id = attempt->request_id;
  outcome.contact_id = attempt->contact_id;
  outcome.stored = std::move(*result);
  auto shared = std::make_shared<CommandOutcome>(std::move(outcome));
  when_projected_(std::move(targets), [attempt, shared] { attempt->done(std::move(*shared)); });
}

}  // namespace ledger::commands
