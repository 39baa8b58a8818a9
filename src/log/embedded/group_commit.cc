#include "log/embedded/internal/group_commit.h"

#include <exception>
#include <utility>

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

// A call's view: its own staged changes over the group's over the committed
// state, so records of one call chain on each other and on earlier calls.
class CallView {
 public:
  CallView(const StagedState& group, CommittedState& committed)
      : group_(group), committed_(committed) {}

  uint64_t NextOffset(const std::string& topic) {
    auto own = staged_.topic_ends.find(topic);
    if (own != staged_.topic_ends.end()) return own->second++;
    auto grouped = group_.topic_ends.find(topic);
    uint64_t next =
        grouped != group_.topic_ends.end() ? grouped->second : committed_.TopicEnd(topic);
    staged_.topic_ends[topic] = next + 1;
    return next;
  }

  base::Result<StreamHead> Head(const std::string& stream_key) {
    if (auto own = staged_.heads.find(stream_key); own != staged_.heads.end()) return own->second;
    if (auto grouped = group_.heads.find(stream_key); grouped != group_.heads.end())
      return grouped->second;
    return committed_.Head(stream_key);
  }

  void Advance(const std::string& stream_key, StreamHead head) {
    staged_.heads[stream_key] = std::move(head);
  }

  StagedState& staged() { return staged_; }

 private:
  const StagedState& group_;
  CommittedState& committed_;
  StagedState staged_;
};

base::Status CheckRecord(const events::AppendRecord& record) {
  if (auto status = CheckTopicName(record.topic); !status) return status;
  for (const auto& copy : record.copy_topics)
    if (auto status = CheckTopicName(copy); !status) return status;
  if (record.event.subject.empty())
    return MakeError(ErrorCode::kInvalidArgument, "event " + record.event.id + " has no subject");
  return {};
}

struct SealedCall {
  std::vector<events::StoredEvent> stored;
  std::vector<std::string> encoded;  // one per primary record; copies share it
  StagedState staged;
};

// Checks expected versions, assigns sequences and seals each record's event
// onto its stream's chain, then assigns offsets: primaries, then copies.
base::Result<SealedCall> SealCall(const PendingAppend& call, CallView& view) {
  if (call.records.empty()) return MakeError(ErrorCode::kInvalidArgument, "append has no records");
  SealedCall sealed;
  for (const auto& record : call.records) {
    if (auto status = CheckRecord(record); !status) return status.error();
    std::string key = StreamKey(record.topic, record.event.subject);
    auto head = view.Head(key);
    if (!head) return head.error();
    auto next = events::NextOfStream(record, head->version);
    if (!next) return next.error();
    events::Event event = std::move(*next);
    auto encoded = events::SealAndEncode(event, head->hash);
    if (!encoded) return encoded.error();
    sealed.encoded.push_back(std::move(*encoded));
    view.Advance(key, StreamHead{event.sequence, event.hash});
    sealed.stored.push_back({{record.topic, 0}, 0, std::move(event)});
  }
  for (auto& stored : sealed.stored) stored.offset = view.NextOffset(stored.where.topic);
  size_t primaries = sealed.stored.size();
  for (size_t i = 0; i < primaries; ++i) {
    for (const auto& copy_topic : call.records[i].copy_topics) {
      events::StoredEvent copy;
      copy.where.topic = copy_topic;
      copy.offset = view.NextOffset(copy_topic);
      copy.event = sealed.stored[i].event;
      sealed.stored.push_back(std::move(copy));
    }
  }
  sealed.staged = std::move(view.staged());
  return sealed;
}

// The bytes stored for stored[i]: its own for primaries, its record's for copies.
void PutEvents(const SealedCall& sealed, const PendingAppend& call, const FamilyHandles& families,
               rocksdb::WriteBatch& batch) {
  size_t next = 0;
  for (; next < sealed.encoded.size(); ++next) {
    const auto& stored = sealed.stored[next];
    batch.Put(families.events, EventKey(stored.where.topic, stored.offset), sealed.encoded[next]);
  }
  for (size_t i = 0; i < call.records.size(); ++i) {
    for (size_t c = 0; c < call.records[i].copy_topics.size(); ++c, ++next) {
      const auto& stored = sealed.stored[next];
      batch.Put(families.events, EventKey(stored.where.topic, stored.offset), sealed.encoded[i]);
    }
  }
}

}  // namespace

Group FormGroup(const std::vector<PendingAppend>& calls, CommittedState& committed,
                const FamilyHandles& families, int64_t now_ms) {
  Group group;
  std::map<std::string, uint64_t> first_offsets;  // per topic, of this group
  group.results.reserve(calls.size());
  for (const auto& call : calls) {
    CallView view(group.staged, committed);
    auto sealed = SealCall(call, view);
    if (!sealed) {
      group.results.emplace_back(sealed.error());
      continue;
    }
    PutEvents(*sealed, call, families, group.batch);
    for (auto& stored : sealed->stored) {
      stored.appended_ms = now_ms;
      first_offsets.emplace(stored.where.topic, stored.offset);  // offsets rise within a topic
    }
    for (auto& [topic, end] : sealed->staged.topic_ends) group.staged.topic_ends[topic] = end;
    for (auto& [key, head] : sealed->staged.heads) group.staged.heads[key] = std::move(head);
    group.results.emplace_back(std::move(sealed->stored));
    ++group.accepted_calls;
  }
  for (const auto& [key, head] : group.staged.heads)
    group.batch.Put(families.streams, key, EncodeStreamHead(head));
  for (const auto& [topic, offset] : first_offsets)
    group.batch.Put(families.append_times, EventKey(topic, offset), EncodeAppendTime(now_ms));
  return group;
}

}  // namespace ledger::log
