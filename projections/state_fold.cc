#include "projections/internal/rocks_state_store.h"

#include <algorithm>


namespace ledger::projections {
namespace {

// Which row a view key names, for errors.
std::pair<std::string_view, std::string_view> NameAndDay(const performance::DayKey& key) {
  return {key.first, key.second};
}
std::pair<std::string_view, std::string_view> NameAndDay(const performance::ChangeKey& key) {
  return {key.name, key.day};
}

}  // namespace

Status RocksStateStore::ApplyBatch(const std::vector<events::StoredEvent>& events) {
  if (read_only()) return MakeError(ErrorCode::kUnavailable, "state store is open read-only");
  std::lock_guard lock(apply_mutex_);
  if (rebuild_failed_)
    return MakeError(ErrorCode::kUnavailable, "state store: an earlier rebuild write failed");
  if (!applied_positions_) {
    auto stored = ReadPositions();
    if (!stored) return stored.error();
    applied_positions_ = std::move(*stored);
  }
  auto positions = *applied_positions_;  // becomes applied_positions_ once written
  std::map<events::TopicPartition, uint64_t> advanced;
  std::vector<CachedRequest*> changed;
  rocksdb::WriteBatch& batch = batch_;
  batch.Clear();
  views_->Clear();
  Status folded = Fold(events, positions, advanced, changed, batch);
  if (folded) folded = WriteViews(batch);
  rocksdb::Status written;
  if (folded && !advanced.empty()) {
    if (!rebuild_)
      for (CachedRequest* entry : changed) WriteRequest(*entry, batch);
    for (const auto& [tp, next] : advanced)
      batch.Put(Handle(Column::kMeta), layout::PositionKey(tp), layout::BigEndian64(next));
    // Rows of requests leaving the cache go with this batch.
    requests_.Trim([&](CachedRequest& entry) { WriteRequest(entry, batch); });
    written = Write(batch);
  }
  if (folded && written.ok()) {
    applied_positions_ = std::move(positions);
    if (!views_->empty()) ++views_changed_;
    return {};
  }
  // The cached states ran ahead of the store: outside a rebuild, forget
  // them (the rows hold every written state); in a rebuild, nothing holds
  // the states not yet written.
  if (rebuild_) rebuild_failed_ = true;
  requests_.Clear();
  return folded ? Status(FromRocks(written, "apply batch")) : folded;
}

Status RocksStateStore::Fold(const std::vector<events::StoredEvent>& events,
                             std::map<events::TopicPartition, uint64_t>& positions,
                             std::map<events::TopicPartition, uint64_t>& advanced,
                             std::vector<CachedRequest*>& changed, rocksdb::WriteBatch& batch) {
  for (const auto& stored : events) {
    uint64_t& next = positions[stored.where];
    if (stored.offset < next) continue;
    next = stored.offset + 1;
    advanced[stored.where] = next;
    std::string refused;
    if (!stored.damage.empty()) {
      refused = "the record is not an event: " + stored.damage;
    } else if (stored.where.topic == events::topics::kRequests) {
      if (auto applied = ApplyRequestEvent(stored, changed, batch, refused); !applied) return applied;
    } else if (stored.where.topic == events::topics::kContacts) {
      ApplyContactEvent(stored, batch);
    }
    const events::Event& e = stored.event;
    bool projected_topic = stored.where.topic == events::topics::kRequests ||
                           stored.where.topic == events::topics::kContacts;
    if (refused.empty() && projected_topic && !e.idempotency.empty()) {
      if (auto mark = events::ParseIdempotency(e.idempotency))
        batch.Put(Handle(Column::kIdempotency),
                  layout::IdempotencyKey(e.actor, mark->key, stored.where, stored.offset),
                  layout::IdempotencyRow(stored, *mark));
    }
    if (!refused.empty()) {
      batch.Put(Handle(Column::kQuarantine), layout::QuarantineKey(stored.where, stored.offset),
                layout::QuarantineRow(
                    {stored.where, stored.offset, e.id, e.subject, e.type, e.sequence, refused}));
    }
  }
  return {};
}

// sync=false: the log is the truth, and positions commit with the state,
// so a write lost in a crash is simply applied again.
rocksdb::Status RocksStateStore::Write(rocksdb::WriteBatch& batch) {
  rocksdb::WriteOptions options;
  options.sync = false;
  options.disableWAL = rebuild_;
  return db_->Write(options, &batch);
}

Status RocksStateStore::ApplyRequestEvent(const events::StoredEvent& stored,
                                          std::vector<CachedRequest*>& changed,
                                          rocksdb::WriteBatch& batch, std::string& refused) {
  const events::Event& event = stored.event;
  if (event.subject.empty()) {
    refused = "the event has no subject";
    return {};
  }
  bool submitted = event.type == types::kRequestSubmitted;
  CachedRequest* entry = requests_.Find(event.subject);
  if (!entry) {
    auto loaded = LoadRequest(event.subject);
    if (!loaded) return loaded.error();
    if (!*loaded && !submitted) {
      refused = "request " + event.subject + " was never submitted";
      return {};
    }
    CachedRequest fresh;
    if (*loaded) {
      auto facts = LoadFacts(event.subject);
      if (!facts) return facts.error();
      fresh.facts = std::move(*facts);
      fresh.stored_index = layout::IndexRowsOf(**loaded);
      fresh.state = std::move(**loaded);
    }
    entry = &requests_.Add(event.subject, std::move(fresh));
  }
  RequestState& state = entry->state;
  bool exists = !state.id.empty();
  // The chain link: each event follows the one before it, so a second
  // writer's event or one that landed late (a fork) cannot pass unseen.
  if (exists && submitted) {
    refused = "request " + event.subject + " was already submitted";
    return {};
  }
  if (event.sequence != state.version + 1) {
    refused = "sequence " + std::to_string(event.sequence) + " does not follow version " +
              std::to_string(state.version) + " of " + event.subject +
              (event.sequence <= state.version ? " (a fork of its history)" : " (a gap)");
    return {};
  }
  if (event.prevhash != state.last_hash) {
    refused = "prevhash does not match the hash of version " + std::to_string(state.version) +
              " of " + event.subject;
    return {};
  }
  std::string old_parent = state.parent;
  ApplyToRequest(state, event);
  views_->AddRequestEvent(entry->facts, event, stored.appended_ms);
  if (!entry->unwritten) {
    entry->unwritten = true;
    changed.push_back(entry);
  }
  std::string history_key = layout::HistoryKey(state.id, event.sequence);
  if (stored.encoded.empty()) {
    batch.Put(Handle(Column::kHistory), history_key, events::EncodeCanonical(event));
  } else {
    batch.Put(Handle(Column::kHistory), history_key, stored.encoded);
  }
  if (state.parent != old_parent) {
    if (!old_parent.empty())
      batch.Delete(Handle(Column::kRequestDuplicates), layout::JoinKey(old_parent, state.id));
    if (!state.parent.empty())
      batch.Put(Handle(Column::kRequestDuplicates), layout::JoinKey(state.parent, state.id), "");
  }
  if (auto contact = event.data.find("contact_id");
      submitted && contact != event.data.end() && contact->is_string() && !contact->empty())
    batch.Put(Handle(Column::kRequestContacts),
              layout::JoinKey(state.id, contact->get_ref<const std::string&>()), "");
  return {};
}

Result<performance::RequestFacts> RocksStateStore::LoadFacts(std::string_view id) {
  std::string row;
  auto s = db_->Get(rocksdb::ReadOptions(), Handle(Column::kRequestFacts), id, &row);
  if (s.IsNotFound())
    return MakeError(ErrorCode::kCorruption, "state store: request " + std::string(id) +
                                                 " has no performance facts: run `ledger replay`");
  if (!s.ok()) return FromRocks(s, "read request facts");
  auto facts = performance::RequestFacts::Decode(row);
  if (!facts)
    return MakeError(ErrorCode::kCorruption, "state store: request " + std::string(id) + ": " +
                                                 facts.error().message);
  return facts;
}

// Contacts live in their own columns, never in a request's row: the two
// topics interleave differently live and in a rebuild, and the state must
// not depend on that order.
void RocksStateStore::ApplyContactEvent(const events::StoredEvent& stored, rocksdb::WriteBatch& batch) {
  const events::Event& event = stored.event;
  if (event.type != types::kContactReceived) return;
  views_->AddContactEvent(event, stored.appended_ms);
  batch.Put(Handle(Column::kContacts), event.subject, layout::ContactRow(event));
  auto request = event.data.find("request_id");
  if (request != event.data.end() && request->is_string() && !request->empty())
    batch.Put(Handle(Column::kRequestContacts),
              layout::JoinKey(request->get_ref<const std::string&>(), event.subject), "");
}

// The outbox takes each changed department-day with the row: the publisher
// sends what it reads there and takes it out only while it is unchanged.
// view_changes takes the same changes by append time (a batch may add to
// a time an earlier batch wrote: events of one ms on both sides).
Status RocksStateStore::WriteViews(rocksdb::WriteBatch& batch) {
  auto row_key = [](const performance::DayKey& key) { return performance::RowKey(key); };
  for (auto dimension : performance::kDimensions) {
    if (auto merged = MergeRows(layout::DayColumn(dimension), views_->days(dimension), row_key, batch); !merged)
      return merged;
    auto kind = performance::ChangeKindOf(dimension);
    auto change_key = [kind](const performance::ChangeKey& key) { return performance::ChangeRowKey(kind, key); };
    if (auto merged = MergeRows(Column::kViewChanges, views_->changes(dimension), change_key, batch); !merged)
      return merged;
  }
  auto channel_key = [](const performance::ChangeKey& key) {
    return performance::ChangeRowKey(performance::ChangeKind::kChannel, key);
  };
  if (auto merged = MergeRows(Column::kViewChanges, views_->channel_changes(), channel_key, batch); !merged)
    return merged;
  return MergeRows(Column::kChannelDay, views_->channels(), row_key, batch);
}

// Each row the batch changed is read once (one MultiGet, in key order:
// `key_of` keeps the map's order), added to, and written once.
template <typename Key, typename Figures, typename KeyOf>
Status RocksStateStore::MergeRows(Column column, const std::map<Key, Figures>& changes, KeyOf key_of,
                                  rocksdb::WriteBatch& batch) {
  if (changes.empty()) return {};
  std::vector<std::string> keys;
  keys.reserve(changes.size());
  for (const auto& [key, delta] : changes) keys.push_back(key_of(key));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), Handle(column), keys.size(), slices.data(), values.data(),
                statuses.data(), /*sorted_input=*/true);
  size_t i = 0;
  for (const auto& [key, delta] : changes) {
    Figures row;
    if (statuses[i].ok()) {
      auto stored = Figures::Decode(values[i].ToStringView());
      if (!stored) {
        auto [name, day] = NameAndDay(key);
        return CorruptViewRow(column, name, day, stored.error().message);
      }
      row = std::move(*stored);
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], std::string("read ") + layout::ColumnName(column));
    }
    row.Merge(delta);
    std::string encoded = row.Encode();
    if (column == Column::kDeptDay) batch.Put(Handle(Column::kPerformanceOutbox), keys[i], encoded);
    batch.Put(Handle(column), keys[i], std::move(encoded));
    ++i;
  }
  return {};
}

void RocksStateStore::WriteRequest(CachedRequest& entry, rocksdb::WriteBatch& batch) {
  batch.Put(Handle(Column::kRequests), entry.state.id, layout::RequestRow(entry.state));
  batch.Put(Handle(Column::kRequestFacts), entry.state.id, entry.facts.Encode());
  auto index = layout::IndexRowsOf(entry.state);
  for (const auto& row : entry.stored_index)
    if (!std::binary_search(index.begin(), index.end(), row))
      batch.Delete(Handle(row.column), row.key);
  for (const auto& row : index)
    if (!std::binary_search(entry.stored_index.begin(), entry.stored_index.end(), row))
      batch.Put(Handle(row.column), row.key, "");
  entry.stored_index = std::move(index);
  entry.unwritten = false;
}

Status RocksStateStore::MarkPublished(const std::vector<UnpublishedDay>& published) {
  if (read_only()) return MakeError(ErrorCode::kUnavailable, "state store is open read-only");
  // Under the apply lock: no batch re-adds a row between the check and the delete.
  std::lock_guard lock(apply_mutex_);
  rocksdb::WriteBatch batch;
  for (const auto& day : published) {
    std::string key = performance::RowKey({day.department, day.day}), now;
    auto s = db_->Get(rocksdb::ReadOptions(), Handle(Column::kPerformanceOutbox), key, &now);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return FromRocks(s, "read the performance outbox");
    if (now == day.stored) batch.Delete(Handle(Column::kPerformanceOutbox), key);
  }
  if (auto s = Write(batch); !s.ok()) return FromRocks(s, "mark published");
  return {};
}

Status RocksStateStore::WriteUnwritten() {
  if (!rebuild_) return {};
  std::lock_guard lock(apply_mutex_);
  if (rebuild_failed_)
    return MakeError(ErrorCode::kUnavailable, "state store: an earlier rebuild write failed");
  auto unwritten = requests_.Unwritten();
  // In slices: one batch of every row would be a copy of them all at once.
  constexpr size_t kRowsPerBatch = 4096;
  rocksdb::WriteBatch& batch = batch_;
  for (size_t i = 0; i < unwritten.size(); i += kRowsPerBatch) {
    batch.Clear();
    for (size_t j = i; j < std::min(unwritten.size(), i + kRowsPerBatch); ++j)
      WriteRequest(*unwritten[j], batch);
    if (auto s = Write(batch); !s.ok()) {
      rebuild_failed_ = true;
      return FromRocks(s, "write request rows");
    }
  }
  return {};
}

}  // namespace ledger::projections
