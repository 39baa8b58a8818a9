#include "commands/command_service.h"

#include "projections/projected_topics.h"

namespace ledger::commands {
namespace {
// Conflicts the server itself caused (a concurrent writer between decide and
// append, or a request id collision) are retried; a client's explicit
// expected_version never is.
constexpr int kMaxAttempts = 5;

using base::ErrorCode;
using base::MakeError;

bool MarksDuplicate(const Json& body) {
  auto it = body.find("command");
  return it != body.end() && *it == "mark_duplicate";
}

}  // namespace

enum class CommandKind { kSubmit, kContact, kRequestCommand, kBreach };

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
  int64_t deadline_ms = 0;  // kBreach: the deadline that passed
};

CommandService::CommandService(const catalog::Catalog& catalog, events::EventLog& log,
                               projections::StateStore& store, WhenProjected when_projected,
                               std::chrono::seconds idempotency_window)
    : catalog_(catalog),
      log_(log),
      store_(store),
      when_projected_(std::move(when_projected)),
      idempotency_window_ms_(std::chrono::milliseconds(idempotency_window).count()) {}

void CommandService::SubmitRequest(Json body, CommandContext ctx, CommandCallback done) {
  Start(std::make_shared<Attempt>(CommandKind::kSubmit, std::move(body), std::move(ctx), "",
                                  std::move(done)));
}

void CommandService::RecordContact(Json body, CommandContext ctx, CommandCallback done) {
  Start(std::make_shared<Attempt>(CommandKind::kContact, std::move(body), std::move(ctx), "",
                                  std::move(done)));
}

void CommandService::ApplyCommand(std::string request_id, Json body, CommandContext ctx,
                                  CommandCallback done) {
  auto attempt = std::make_shared<Attempt>(CommandKind::kRequestCommand, std::move(body),
                                           std::move(ctx), std::move(request_id), std::move(done));
  attempt->link = MarksDuplicate(attempt->body);
  Start(std::move(attempt));
}

void CommandService::RecordBreach(std::string request_id, int64_t deadline_ms, int64_t now_ms,
                                  CommandCallback done) {
  std::string key = BreachKey(request_id, deadline_ms);
  CommandContext ctx{now_ms, std::string(kSlaTimerActor), "/sla/timers", key, key};
  auto attempt = std::make_shared<Attempt>(CommandKind::kBreach, Json::object(), std::move(ctx),
                                           std::move(request_id), std::move(done));
  attempt->deadline_ms = deadline_ms;
  Start(std::move(attempt));
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
    case CommandKind::kBreach: {
      auto current = lookup(a.request_id);
      if (!current.ok()) return current.error();
      if (!*current)
        return MakeError(ErrorCode::kNotFound, "request '" + a.request_id + "' does not exist");
      return DecideBreach(**current, a.deadline_ms, a.ctx);
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown command kind");
}

void CommandService::Start(std::shared_ptr<Attempt> attempt) {
  const CommandContext& ctx = attempt->ctx;
  auto run = [this](std::shared_ptr<Attempt> a) { a->link ? RunLink(std::move(a)) : Run(std::move(a)); };
  if (ctx.idempotency_key.empty()) return run(std::move(attempt));
  std::string scope = ctx.actor + '\0' + ctx.idempotency_key;
  std::unique_lock lock(idempotency_mu_);
  // Checked and claimed under one lock; the claim ends only once the
  // command's events (and so its key) are projected, or it failed.
  if (keys_in_flight_.contains(scope)) {
    lock.unlock();
    return attempt->done(MakeError(ErrorCode::kConflict,
                                   "a request with Idempotency-Key '" + ctx.idempotency_key +
                                       "' is still being processed; send it again once it is answered"));
  }
  auto earlier = store_.FindIdempotencyKey(ctx.actor, ctx.idempotency_key);
  if (!earlier.ok() || (*earlier && (*earlier)->accepted_ms + idempotency_window_ms_ > ctx.now_ms)) {
    lock.unlock();
    if (!earlier.ok()) return attempt->done(earlier.error());
    if ((*earlier)->digest != ctx.request_digest)
      return attempt->done(MakeError(ErrorCode::kIdempotencyKeyReused,
                                     "Idempotency-Key '" + ctx.idempotency_key +
                                         "' was sent before with another request"));
    return attempt->done(Replay(**earlier));
  }
  keys_in_flight_.insert(scope);
  lock.unlock();
  attempt->done = [this, scope, done = std::move(attempt->done)](Result<CommandOutcome> outcome) {
    {
      std::lock_guard released(idempotency_mu_);
      keys_in_flight_.erase(scope);
    }
    done(std::move(outcome));
  };
  run(std::move(attempt));
}

Result<CommandOutcome> CommandService::Replay(const projections::IdempotencyRecord& record) {
  CommandOutcome outcome;
  outcome.request_id = record.request_id;
  outcome.contact_id = record.contact_id;
  outcome.replayed = true;
  for (const auto& [tp, offset] : record.positions) {
    auto slice = log_.Read(tp, offset, 1);
    if (!slice.ok()) return slice.error();
    if (slice->events.empty() || slice->events.front().offset != offset ||
        !slice->events.front().damage.empty())
      return MakeError(ErrorCode::kCorruption, "the event of an earlier command at " + tp.topic +
                                                   " offset " + std::to_string(offset) +
                                                   " cannot be read back");
    outcome.stored.push_back(std::move(slice->events.front()));
  }
  return outcome;
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
