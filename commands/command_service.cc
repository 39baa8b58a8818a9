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

bool MarksDuplicate(const Json& body) {
  auto it = body.find("command");
  return it != body.end() && *it == "mark_duplicate";
}

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
  bool link = false;  // mark_duplicate: holds the link gate until Finish
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
  auto attempt = std::make_shared<Attempt>(CommandKind::kRequestCommand, std::move(body),
                                           std::move(ctx), std::move(request_id), std::move(done));
  if (!MarksDuplicate(attempt->body)) return Run(std::move(attempt));
  attempt->link = true;
  RunLink(std::move(attempt));
}

void CommandService::RunLink(std::shared_ptr<Attempt> attempt) {
  {
    std::lock_guard lock(links_mu_);
    if (link_in_flight_) {
      links_queued_.push_back(std::move(attempt));
      return;
    }
    link_in_flight_ = true;
  }
  Run(std::move(attempt));
}

// A loop rather than a call from each finished link to the next, so a queue
// of links that fail at once (refused, or the log closing) does not nest
// calls as deep as the queue is long: a link that finishes inside Run below,
// or on another thread while the loop runs, leaves the next one to the loop.
void CommandService::RunNextLink() {
  std::unique_lock lock(links_mu_);
  link_finished_ = true;
  if (links_draining_) return;
  links_draining_ = true;
  while (link_finished_) {
    link_finished_ = false;
    if (links_queued_.empty()) {
      link_in_flight_ = false;
      break;
    }
    auto next = std::move(links_queued_.front());
    links_queued_.pop_front();
    lock.unlock();
    Run(std::move(next));
    lock.lock();
  }
  links_draining_ = false;
}

void CommandService::Finish(const std::shared_ptr<Attempt>& attempt,
                            Result<CommandOutcome> result) {
  attempt->done(std::move(result));
  if (attempt->link) RunNextLink();
}

Result<ParentChain> CommandService::FindParentChain(const std::string& parent_id,
                                                    const std::string& request_id) {
  ParentChain chain;
  if (parent_id.empty()) return chain;
  auto parent = store_.GetRequest(parent_id);
  if (!parent.ok()) return parent.error();
  chain.parent = std::move(*parent);
  if (!chain.parent) return chain;
  for (std::string id = chain.parent->state.parent; !id.empty();) {
    chain.ancestors.push_back(id);
    if (id == request_id || chain.ancestors.size() > kMaxDuplicateChain) break;
    auto above = store_.GetRequest(id);
    if (!above.ok()) return above.error();
    if (!*above) break;
    id = (*above)->state.parent;
  }
  return chain;
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
      ParentChain chain;
      if (a.link) {
        auto it = a.body.find("parent_id");
        std::string parent_id = it != a.body.end() && it->is_string() ? it->get<std::string>() : "";
        auto found = FindParentChain(parent_id, a.request_id);
        if (!found.ok()) return found.error();
        chain = std::move(*found);
      }
      return DecideRequestCommand(catalog_, **current, a.body, chain, a.ctx);
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown command kind");
}

void CommandService::Run(std::shared_ptr<Attempt> attempt) {
  ++attempt->tries;
  auto decision = Decide(*attempt);
  if (!decision.ok()) return Finish(attempt, decision.error());
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
    return Finish(attempt, result.error());
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
  when_projected_(std::move(targets),
                  [this, attempt, shared] { Finish(attempt, std::move(*shared)); });
}

}  // namespace ledger::commands
