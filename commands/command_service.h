#pragma once
// CommandService runs a command end to end: decide against the current
// projected state, append with the expected version, and report back only
// once the events are durable in the log AND projected, so the caller reads
// its own write. Asynchronous: the callback runs on a log or projection
// thread and must not block.
//
// The expected version guards one request's stream; a duplicate link also
// depends on the links of other requests (no cycles), so mark_duplicate
// commands run one at a time, in arrival order: each is decided once the
// one before it is projected or has failed. Other commands do not wait.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "commands/decide.h"
#include "events/event_log.h"
#include "projections/state_store.h"

namespace ledger::commands {

using Positions = std::map<events::TopicPartition, uint64_t>;
// Calls its second argument once every event before each offset is projected.
using WhenProjected = std::function<void(Positions, std::function<void()>)>;

struct CommandOutcome {
  std::string request_id;  // "" if none
  std::string contact_id;  // "" if none
  std::vector<events::StoredEvent> stored;  // primary records first, then copies
  // A repeat of an earlier command's Idempotency-Key: nothing was appended,
  // `stored` holds that command's events as the log has them.
  bool replayed = false;
};

using CommandCallback = std::function<void(Result<CommandOutcome>)>;

// The actor of the events the SLA timer records.
inline constexpr std::string_view kSlaTimerActor = "system:sla-timer";

class CommandService {
 public:
  // REQUIRES: every argument outlives the service.
  // A command with an Idempotency-Key (ctx.idempotency_key) runs at most
  // once per actor and key within `idempotency_window` of its acceptance:
  // a repeat with the same request digest answers the first command's
  // outcome (replayed); one with another digest fails with
  // kIdempotencyKeyReused; one while the first is still running fails with
  // kConflict. A command that failed stored nothing, so its key is free.
  CommandService(const catalog::Catalog& catalog, events::EventLog& log,
                 projections::StateStore& store, WhenProjected when_projected,
                 std::chrono::seconds idempotency_window = std::chrono::hours(24));

  void SubmitRequest(Json body, CommandContext ctx, CommandCallback done);
  void RecordContact(Json body, CommandContext ctx, CommandCallback done);
  // kNotFound if the request does not exist.
  void ApplyCommand(std::string request_id, Json body, CommandContext ctx, CommandCallback done);

  // Records that request `request_id`'s deadline `deadline_ms` passed
  // (DecideBreach), as actor kSlaTimerActor with Idempotency-Key BreachKey:
  // at most once, whoever calls and however often. kConflict when there is
  // nothing to record (closed, another deadline, already recorded).
  void RecordBreach(std::string request_id, int64_t deadline_ms, int64_t now_ms, CommandCallback done);

  // Events acknowledged by the log since start, copies not counted (for /metrics).
  uint64_t events_appended() const { return events_appended_.load(); }

 private:
  struct Attempt;
  // Checks the attempt's Idempotency-Key, if any, then runs it (a
  // duplicate link through RunLink).
  void Start(std::shared_ptr<Attempt> attempt);
  // The outcome of the earlier command `record` describes, read from the log.
  Result<CommandOutcome> Replay(const projections::IdempotencyRecord& record);
  void Run(std::shared_ptr<Attempt> attempt);
  void OnAppended(std::shared_ptr<Attempt> attempt, Result<std::vector<events::StoredEvent>> result);
  // Answers the caller; a duplicate link then lets the next one run.
  void Finish(const std::shared_ptr<Attempt>& attempt, Result<CommandOutcome> result);
  // Runs `attempt` now if no duplicate link is in flight, else queues it.
  void RunLink(std::shared_ptr<Attempt> attempt);
  // Called once per finished link: runs the next queued one, if any.
  void RunNextLink();
  Result<Decision> Decide(const Attempt& attempt);
  Result<ParentChain> FindParentChain(const std::string& parent_id, const std::string& request_id);

  const catalog::Catalog& catalog_;
  events::EventLog& log_;
  projections::StateStore& store_;
  WhenProjected when_projected_;
  const int64_t idempotency_window_ms_;
  std::mutex idempotency_mu_;
  std::set<std::string> keys_in_flight_;  // actor \0 key, from check until answered
  std::atomic<uint64_t> events_appended_{0};

  std::mutex links_mu_;  // guards the four below
  bool link_in_flight_ = false;
  std::deque<std::shared_ptr<Attempt>> links_queued_;  // FIFO
  bool links_draining_ = false;  // RunNextLink's loop is running
  bool link_finished_ = false;   // a link finished since that loop last looked
};

}  // namespace ledger::commands
