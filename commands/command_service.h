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
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
};

using CommandCallback = std::function<void(Result<CommandOutcome>)>;

class CommandService {
 public:
  // REQUIRES: every argument outlives the service.
  CommandService(const catalog::Catalog& catalog, events::EventLog& log,
                 projections::StateStore& store, WhenProjected when_projected);

  void SubmitRequest(Json body, CommandContext ctx, CommandCallback done);
  void RecordContact(Json body, CommandContext ctx, CommandCallback done);
  // kNotFound if the request does not exist.
  void ApplyCommand(std::string request_id, Json body, CommandContext ctx, CommandCallback done);

  // Events acknowledged by the log since start, copies not counted (for /metrics).
  uint64_t events_appended() const { return events_appended_.load(); }

 private:
  struct Attempt;
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
  std::atomic<uint64_t> events_appended_{0};

  std::mutex links_mu_;  // guards the four below
  bool link_in_flight_ = false;
  std::deque<std::shared_ptr<Attempt>> links_queued_;  // FIFO
  bool links_draining_ = false;  // RunNextLink's loop is running
  bool link_finished_ = false;   // a link finished since that loop last looked
};

}  // namespace ledger::commands
