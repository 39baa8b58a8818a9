#include "log/kafka/internal/kafka_log_impl.h"

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

// Past this many cached stream heads, heads the projections already hold are dropped.
constexpr size_t kPruneHeadsAbove = 100'000;

}  // namespace

void KafkaLog::Dispatch(std::shared_ptr<Call> call) {
  CheckBarrier();
  std::unique_lock lock(mu_);
  if (WaitsForEarlier(*call)) {
    blocked_.push_back(std::move(call));
    return;
  }
  auto refused = StartLocked(call);
  lock.unlock();
  if (refused) call->done(*refused);
}

bool KafkaLog::WaitsForEarlier(const Call& call) const {
  for (const auto& key : call.stream_keys) {
    if (busy_.count(key)) return true;
    for (const auto& waiting : blocked_)
      if (std::find(waiting->stream_keys.begin(), waiting->stream_keys.end(), key) !=
          waiting->stream_keys.end())
        return true;
  }
  return false;
}

std::optional<base::Error> KafkaLog::StartLocked(const std::shared_ptr<Call>& call) {
  std::string refusal = Refusal();
  if (refusal.empty() && barrier_pending_) refusal = kCatchingUp;
  if (!refusal.empty()) return base::Error{ErrorCode::kUnavailable, refusal};
  auto produced = Produce(call);
  if (!produced.ok()) return produced.error();
  return std::nullopt;
}

// Seals every record of `call` onto its stream's head (into call.stored, in
// record order) and stages the new heads in `staged`. REQUIRES: mu_ held.
base::Result<std::vector<OutgoingMessage>> KafkaLog::Seal(
    Call& call, std::unordered_map<std::string, CachedHead>& staged) {
  if (call.records.empty()) return MakeError(ErrorCode::kInvalidArgument, "append has no records");
  std::vector<OutgoingMessage> messages;
  // The message timestamp is the append time (readers take it as the
  // event's appended_ms), one per call like the embedded log's group commit.
  const int64_t appended_ms = events::NowMs();
  for (const auto& record : call.records) {
    if (record.event.subject.empty())
      return MakeError(ErrorCode::kInvalidArgument, "event " + record.event.id + " has no subject");
    std::string key = StreamKey(record.topic, record.event.subject);
    CachedHead head;
    if (auto s = staged.find(key); s != staged.end()) {
      head = s->second;
    } else if (auto c = heads_.find(key); c != heads_.end()) {
      head = c->second;
    } else {
      auto stored = options_.head_of(record.topic, record.event.subject);
      if (!stored) return stored.error();
      head = {stored->version, stored->hash, 0};
    }
    auto next = events::NextOfStream(record, head.version);
    if (!next) return next.error();
    events::Event event = std::move(*next);
    auto sealed = events::SealToBinaryMessage(event, head.hash);
    if (!sealed) return sealed.error();
    staged[key] = {event.sequence, event.hash, generation_};
    events::BinaryMessage message = std::move(*sealed);
    std::string copies;
    for (const auto& topic : record.copy_topics) copies += (copies.empty() ? "" : ",") + topic;
    if (!copies.empty()) message.headers.emplace_back(kCopyTopicsHeader, copies);
    messages.push_back({options_.topic_prefix + record.topic, std::move(message), appended_ms});
    call.stored.push_back({{record.topic, 0}, 0, std::move(event), appended_ms, {}});
  }
  return messages;
}

// Seals the call and hands it to the transactional writer (all or nothing).
base::Status KafkaLog::Produce(const std::shared_ptr<Call>& call) {
  std::unordered_map<std::string, CachedHead> staged;
  auto messages = Seal(*call, staged);
  if (!messages) return messages.error();
  auto queued =
      writer_->Write(std::move(*messages), [this, call](auto written) { Committed(call, std::move(written)); });
  if (!queued) return queued.error();
  ++calls_in_flight_;
  for (const auto& key : call->stream_keys) busy_.insert(key);
  for (auto& [key, head] : staged) heads_[key] = std::move(head);
  return {};
}

void KafkaLog::Committed(const std::shared_ptr<Call>& call,
                         base::Result<std::vector<WrittenMessage>> written) {
  {
    std::lock_guard lock(mu_);
    if (!written) {
      call->failure = written.error();
    } else {
      for (size_t i = 0; i < written->size(); ++i) Landed(call->stored[i], (*written)[i]);
      broker_down_ = false;
    }
  }
  appended_cv_.notify_all();
  Finish(call);
}

void KafkaLog::Landed(events::StoredEvent& stored, const WrittenMessage& where) {
  stored.where.partition = where.partition;
  stored.offset = where.offset;
  auto& end = ends_[stored.where];
  end = std::max(end, stored.offset + 1);
}

// The call's last delivery is in: release its streams, answer it, and run
// the calls that waited for them.
void KafkaLog::Finish(const std::shared_ptr<Call>& call) {
  std::vector<std::pair<std::shared_ptr<Call>, base::Error>> refused;
  {
    std::lock_guard lock(mu_);
    --calls_in_flight_;
    for (const auto& key : call->stream_keys) {
      busy_.erase(key);
      if (call->failure) heads_.erase(key);
    }
    if (call->failure && writer_->fenced()) {
      fenced_ = true;
      problem_ = call->failure->message;
    } else if (call->failure) {
      resync_needed_ = true;
      problem_ = "a write to Kafka failed (" + call->failure->message +
                 "); appends resume once the projections have read the log to its end";
    }
    // Waiting calls start in arrival order: one waits while its stream is
    // busy or an earlier waiting call has it.
    std::set<std::string> claimed;
    for (auto it = blocked_.begin(); it != blocked_.end();) {
      bool waits = false;
      for (const auto& key : (*it)->stream_keys) waits = waits || busy_.count(key) || claimed.count(key);
      if (waits) {
        claimed.insert((*it)->stream_keys.begin(), (*it)->stream_keys.end());
        ++it;
        continue;
      }
      if (auto error = StartLocked(*it)) refused.emplace_back(*it, *error);
      it = blocked_.erase(it);
    }
  }
  PruneHeads();
  if (call->failure)
    call->done(*call->failure);
  else
    call->done(std::move(call->stored));
  for (auto& [next, error] : refused) next->done(error);
}

// Once many heads are cached: drops those written before the last mark if
// the projections are past it (they answer for those streams now), and sets
// a new mark. Asks the projections without mu_.
void KafkaLog::PruneHeads() {
  Positions mark;
  {
    std::lock_guard lock(mu_);
    if (heads_.size() <= kPruneHeadsAbove) return;
    mark = prune_mark_;
  }
  if (!mark.empty() && !options_.projected_past(mark)) return;
  std::lock_guard lock(mu_);
  if (mark != prune_mark_) return;  // a resync started over meanwhile
  for (auto it = heads_.begin(); it != heads_.end();)
    it = it->second.generation < generation_ && !busy_.count(it->first) ? heads_.erase(it) : std::next(it);
  // Heads still in flight are not below the new mark: they join the new generation.
  prune_mark_ = ends_;
  ++generation_;
  for (const auto& key : busy_)
    if (auto it = heads_.find(key); it != heads_.end()) it->second.generation = generation_;
}


}  // namespace ledger::log
