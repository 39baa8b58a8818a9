#include "projections/state_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "events/event_types.h"
#include "projections/request_cache.h"
#include "projections/state_checksum.h"
#include "projections/state_layout.h"
#include "storage/rocks_logger.h"

namespace ledger::projections {
namespace {

using events::ErrorCode;
using events::MakeError;
using layout::Column;
namespace types = events::types;

events::Error FromRocks(const rocksdb::Status& s, const std::string& context) {
  ErrorCode code = s.IsCorruption()                  ? ErrorCode::kCorruption
                   : s.IsBusy() || s.IsTryAgain()    ? ErrorCode::kUnavailable
                   : s.IsNotFound()                  ? ErrorCode::kNotFound
                                                     : ErrorCode::kIo;
  return MakeError(code, "state store: " + context + ": " + s.ToString());
}

// Keys of `history`, `request_contacts` and `request_duplicates` are
// "<stream id>\0<rest>"; prefix blooms over "<stream id>\0" let a lookup of
// a request with no links skip the files entirely.
class StreamPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "ledger.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    auto view = key.ToStringView();
    return rocksdb::Slice(key.data(), view.find('\0') + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.ToStringView().find('\0') != std::string_view::npos;
  }
};

bool HasStreamPrefix(Column c) {
  return c == Column::kHistory || c == Column::kRequestContacts ||
         c == Column::kRequestDuplicates;
}

// Columns a rebuild writes without reading them back before it ends.
bool WrittenBlindly(Column c) { return c != Column::kRequests && c != Column::kMeta; }

rocksdb::ColumnFamilyOptions ColumnOptions(Column column,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           OpenMode mode) {
  rocksdb::ColumnFamilyOptions options;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  bool rebuild_blind = mode == OpenMode::kRebuild && WrittenBlindly(column);
  if (column == Column::kRequests || HasStreamPrefix(column)) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    if (!rebuild_blind) options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  if (column == Column::kRequests) options.memtable_whole_key_filtering = true;
  // A vector memtable takes a write in constant time and sorts once, when
  // it is flushed or read; reads of it before then are slow, and a
  // rebuild does none.
  if (rebuild_blind) options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  // Fewer, larger L0 compactions: a rebuild's keys arrive in no order, so
  // each L0 file overlaps all of L1. Still below the write slowdown (20).
  if (mode == OpenMode::kRebuild) options.level0_file_num_compaction_trigger = 8;
  if (HasStreamPrefix(column)) options.prefix_extractor = std::make_shared<StreamPrefix>();
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> ColumnDescriptors(OpenMode mode) {
  auto cache = rocksdb::NewLRUCache(256 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < layout::kColumnCount; ++i)
    descriptors.emplace_back(layout::kColumnNames[i],
                             ColumnOptions(static_cast<Column>(i), cache, mode));
  return descriptors;
}

class RocksStateStore final : public StateStore {
 public:
  RocksStateStore(std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> handles, std::string secondary_dir,
                  bool rebuild, size_t cached_requests)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        secondary_dir_(std::move(secondary_dir)),
        rebuild_(rebuild),
        requests_(cached_requests) {}

  ~RocksStateStore() override {
    if (rebuild_) {
      // Best effort: a rebuild checks its state with Checksum, which writes
      // the rows first and reports a failure.
      static_cast<void>(WriteUnwritten());
      db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
    }
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close().PermitUncheckedError();
    db_.reset();
    std::error_code ignored;
    if (!secondary_dir_.empty()) std::filesystem::remove_all(secondary_dir_, ignored);
  }

  Status ApplyBatch(const std::vector<events::StoredEvent>& events) override;
  std::map<events::TopicPartition, uint64_t> Positions() override;
  Result<std::optional<RequestView>> GetRequest(const std::string& id) override;
  Result<std::optional<StoredRequest>> GetStoredRequest(const std::string& id) override;
  Result<std::vector<events::Event>> History(const std::string& id) override;
  Result<RequestPage> ListRequests(const RequestQuery& query) override;
  Result<Quarantine> Quarantined(size_t max_listed) override;
  Result<std::optional<IdempotencyRecord>> FindIdempotencyKey(std::string_view actor,
                                                              std::string_view key) override;
  Result<std::string> Checksum() override;
  Status Refresh() override;

  Status WriteSchemaVersion();

 private:
  rocksdb::ColumnFamilyHandle* Handle(Column c) const { return handles_[static_cast<size_t>(c)]; }
  bool read_only() const { return !secondary_dir_.empty(); }

  Result<std::map<events::TopicPartition, uint64_t>> ReadPositions();
  Result<std::optional<RequestState>> LoadRequest(std::string_view id);
  Result<std::optional<std::string>> LoadRequestText(std::string_view id);
  // Fills the contacts and duplicates of request `id`.
  Status LoadLinks(const std::string& id, std::vector<std::string>& contacts,
                   std::vector<std::string>& duplicates);
  // Folds `events` into the cached requests and `batch`, advancing
  // `positions` and recording each position moved in `advanced`; the
  // requests changed are appended to `changed`, once each.
  Status Fold(const std::vector<events::StoredEvent>& events,
              std::map<events::TopicPartition, uint64_t>& positions,
              std::map<events::TopicPartition, uint64_t>& advanced,
              std::vector<CachedRequest*>& changed, rocksdb::WriteBatch& batch);
  // Applies one 311.requests event; sets `refused` (and applies nothing)
  // when the event cannot apply, saying why.
  Status ApplyRequestEvent(const events::StoredEvent& stored,
                           std::vector<CachedRequest*>& changed, rocksdb::WriteBatch& batch,
                           std::string& refused);
  void ApplyContactEvent(const events::Event& event, rocksdb::WriteBatch& batch);
  // Puts the request's row and its index changes into `batch`.
  void WriteRequest(CachedRequest& entry, rocksdb::WriteBatch& batch);
  // kRebuild: writes the rows the cached states have run ahead of, so that
  // reads see them. A no-op for the other modes.
  Status WriteUnwritten();
  rocksdb::Status Write(rocksdb::WriteBatch& batch);
  // Calls visit(key, value) for every row of `column` under `prefix`.
  template <typename Visit>
  Status ScanPrefix(Column column, std::string_view prefix, Visit visit);
  Result<std::vector<std::string>> LinkedIds(Column column, const std::string& id);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string secondary_dir_;  // non-empty: opened read-only as a secondary
  std::mutex apply_mutex_;     // one ApplyBatch at a time: it reads, folds, writes
  // kRebuild: no write-ahead log, and request rows written only when their
  // requests leave the cache or the store is read or closed.
  const bool rebuild_;
  // The members below are guarded by apply_mutex_.
  // The positions as last written, read once. This store is their only writer.
  std::optional<std::map<events::TopicPartition, uint64_t>> applied_positions_;
  // States of recently folded requests. Outside a rebuild, every state is
  // written by the ApplyBatch that changed it.
  RequestCache requests_;
  // kRebuild: a write failed, so the cached states and the stored rows no
  // longer agree; the rebuild must start over.
  bool rebuild_failed_ = false;
  // Reused by every write, so its buffer grows once, not per batch.
  rocksdb::WriteBatch batch_;
};

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
  Status folded = Fold(events, positions, advanced, changed, batch);
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
      ApplyContactEvent(stored.event, batch);
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

// Contacts live in their own columns, never in a request's row: the two
// topics interleave differently live and in a rebuild, and the state must
// not depend on that order.
void RocksStateStore::ApplyContactEvent(const events::Event& event, rocksdb::WriteBatch& batch) {
  if (event.type != types::kContactReceived) return;
  batch.Put(Handle(Column::kContacts), event.subject, layout::ContactRow(event));
  auto request = event.data.find("request_id");
  if (request != event.data.end() && request->is_string() && !request->empty())
    batch.Put(Handle(Column::kRequestContacts),
              layout::JoinKey(request->get_ref<const std::string&>(), event.subject), "");
}

void RocksStateStore::WriteRequest(CachedRequest& entry, rocksdb::WriteBatch& batch) {
  batch.Put(Handle(Column::kRequests), entry.state.id, layout::RequestRow(entry.state));
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

Result<std::optional<std::string>> RocksStateStore::LoadRequestText(std::string_view id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), Handle(Column::kRequests), id, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "read request");
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<RequestState>> RocksStateStore::LoadRequest(std::string_view id) {
  auto text = LoadRequestText(id);
  if (!text) return text.error();
  if (!*text) return std::optional<RequestState>();
  Json json = Json::parse(**text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object())
    return MakeError(ErrorCode::kCorruption, "state store: request row '" + std::string(id) +
                                                 "' is not a JSON object");
  return std::optional<RequestState>(RequestState::FromJson(json));
}

template <typename Visit>
Status RocksStateStore::ScanPrefix(Column column, std::string_view prefix, Visit visit) {
  rocksdb::ReadOptions options;
  options.prefix_same_as_start = HasStreamPrefix(column);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, Handle(column)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (auto visited = visit(it->key().ToStringView(), it->value().ToStringView()); !visited)
      return visited;
  }
  if (!it->status().ok()) return FromRocks(it->status(), std::string("scan ") + ColumnName(column));
  return {};
}

Result<std::map<events::TopicPartition, uint64_t>> RocksStateStore::ReadPositions() {
  std::map<events::TopicPartition, uint64_t> positions;
  auto scanned = ScanPrefix(Column::kMeta, layout::kPositionPrefix,
                            [&](std::string_view key, std::string_view value) -> Status {
                              auto tp = layout::ParsePositionKey(key);
                              if (!tp || value.size() != 8)
                                return MakeError(ErrorCode::kCorruption,
                                                 "state store: bad position row");
                              positions[*tp] = layout::ReadBigEndian64(value);
                              return {};
                            });
  if (!scanned) return scanned.error();
  return positions;
}

std::map<events::TopicPartition, uint64_t> RocksStateStore::Positions() {
  auto positions = ReadPositions();
  return positions ? std::move(*positions) : std::map<events::TopicPartition, uint64_t>{};
}

Result<std::vector<std::string>> RocksStateStore::LinkedIds(Column column, const std::string& id) {
  std::vector<std::string> ids;
  std::string prefix = layout::JoinKey(id, "");
  auto scanned = ScanPrefix(column, prefix, [&](std::string_view key, std::string_view) -> Status {
    ids.emplace_back(key.substr(prefix.size()));
    return {};
  });
  if (!scanned) return scanned.error();
  return ids;
}

Status RocksStateStore::LoadLinks(const std::string& id, std::vector<std::string>& contacts,
                                  std::vector<std::string>& duplicates) {
  auto linked_contacts = LinkedIds(Column::kRequestContacts, id);
  if (!linked_contacts) return linked_contacts.error();
  auto linked_duplicates = LinkedIds(Column::kRequestDuplicates, id);
  if (!linked_duplicates) return linked_duplicates.error();
  contacts = std::move(*linked_contacts);
  duplicates = std::move(*linked_duplicates);
  return {};
}

Result<std::optional<RequestView>> RocksStateStore::GetRequest(const std::string& id) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  auto state = LoadRequest(id);
  if (!state) return state.error();
  if (!*state) return std::optional<RequestView>();
  RequestView view{std::move(**state), {}, {}};
  if (auto links = LoadLinks(id, view.contacts, view.duplicates); !links) return links.error();
  return std::optional<RequestView>(std::move(view));
}

Result<std::optional<StoredRequest>> RocksStateStore::GetStoredRequest(const std::string& id) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  auto text = LoadRequestText(id);
  if (!text) return text.error();
  if (!*text) return std::optional<StoredRequest>();
  StoredRequest stored{std::move(**text), {}, {}};
  if (auto links = LoadLinks(id, stored.contacts, stored.duplicates); !links) return links.error();
  return std::optional<StoredRequest>(std::move(stored));
}

Result<std::vector<events::Event>> RocksStateStore::History(const std::string& id) {
  std::vector<events::Event> history;
  auto scanned = ScanPrefix(Column::kHistory, layout::JoinKey(id, ""),
                            [&](std::string_view, std::string_view value) -> Status {
                              auto event = events::DecodeEvent(value);
                              if (!event) return event.error();
                              history.push_back(std::move(*event));
                              return {};
                            });
  if (!scanned) return scanned.error();
  return history;
}

Result<RequestPage> RocksStateStore::ListRequests(const RequestQuery& query) {
  if (auto written = WriteUnwritten(); !written) return written.error();
  auto plan = layout::PlanListing(query);
  if (!plan) return plan.error();
  RequestPage page;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(plan->index)));
  it->Seek(plan->start);
  if (plan->skip_start && it->Valid() && it->key() == plan->start) it->Next();
  size_t scanned = 0;
  std::string last_key;
  for (; it->Valid() && plan->Covers(it->key().ToStringView()); it->Next()) {
    if (scanned == plan->scan_budget || page.requests.size() == query.limit) {
      page.next_cursor = layout::EncodeCursor(*plan, last_key);
      break;
    }
    ++scanned;
    last_key = it->key().ToString();
    auto state = LoadRequest(std::string_view(last_key).substr(plan->id_offset));
    if (!state) return state.error();
    if (*state && layout::Matches(query, **state)) page.requests.push_back(std::move(**state));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list requests");
  return page;
}

Result<std::optional<IdempotencyRecord>> RocksStateStore::FindIdempotencyKey(std::string_view actor,
                                                                              std::string_view key) {
  std::vector<std::string> rows;
  auto scanned = ScanPrefix(Column::kIdempotency, layout::IdempotencyPrefix(actor, key),
                            [&](std::string_view, std::string_view value) -> Status {
                              rows.emplace_back(value);
                              return {};
                            });
  if (!scanned) return scanned.error();
  return layout::CombineIdempotencyRows(rows);
}

Result<Quarantine> RocksStateStore::Quarantined(size_t max_listed) {
  Quarantine quarantine;
  auto scanned = ScanPrefix(Column::kQuarantine, "",
                            [&](std::string_view, std::string_view value) -> Status {
                              if (quarantine.count++ >= max_listed) return {};
                              auto row = layout::ParseQuarantineRow(value);
                              if (!row) return row.error();
                              quarantine.first.push_back(std::move(*row));
                              return {};
                            });
  if (!scanned) return scanned.error();
  return quarantine;
}

Result<std::string> RocksStateStore::Checksum() {
  if (auto written = WriteUnwritten(); !written) return written.error();
  std::vector<size_t> order;
  for (size_t i = 0; i < layout::kColumnCount; ++i)
    if (static_cast<Column>(i) != Column::kMeta) order.push_back(i);
  std::sort(order.begin(), order.end(), [](size_t a, size_t b) {
    return std::string_view(layout::kColumnNames[a]) < std::string_view(layout::kColumnNames[b]);
  });
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (size_t i : order) handles.push_back(handles_[i]);
  rocksdb::ReadOptions options;
  options.total_order_seek = true;
  options.fill_cache = false;  // one pass over everything: nothing to keep
  options.readahead_size = 2 << 20;
  // NewIterators: one consistent view across every column.
  std::vector<rocksdb::Iterator*> raw;
  auto s = db_->NewIterators(options, handles, &raw);
  if (!s.ok()) return FromRocks(s, "checksum");
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators(raw.begin(), raw.end());

  StateChecksum checksum;
  for (size_t n = 0; n < order.size(); ++n) {
    checksum.Add('C', layout::kColumnNames[order[n]]);
    auto& it = iterators[n];
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      checksum.Add('K', it->key().ToStringView());
      checksum.Add('V', it->value().ToStringView());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "checksum");
  }
  return checksum.Finish();
}

Status RocksStateStore::Refresh() {
  if (!read_only()) return {};
  auto s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return FromRocks(s, "catch up with writer");
  return {};
}

Status RocksStateStore::WriteSchemaVersion() {
  std::string stored;
  auto s = db_->Get(rocksdb::ReadOptions(), Handle(Column::kMeta), layout::kSchemaVersionKey,
                    &stored);
  if (s.ok() && stored != layout::kSchemaVersion)
    return MakeError(ErrorCode::kCorruption, "the state store has schema version " + stored + ", this ledger's is " +
                                                 std::string(layout::kSchemaVersion) +
                                                 ": run `ledger replay` to rebuild it from the log");
  if (s.ok() || read_only()) return {};
  if (!s.IsNotFound()) return FromRocks(s, "read schema version");
  s = db_->Put(rocksdb::WriteOptions(), Handle(Column::kMeta), layout::kSchemaVersionKey,
               layout::kSchemaVersion);
  if (!s.ok()) return FromRocks(s, "write schema version");
  return {};
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path, OpenMode mode,
                                                     size_t cached_requests) {
  if (sodium_init() < 0) return MakeError(ErrorCode::kIo, "libsodium failed to initialise");
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.info_log = storage::LedgerLogFor("projections");
  // Bounded like the log's: table files never take the descriptors HTTP needs.
  options.max_open_files = 512;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  std::string secondary_dir;
  rocksdb::Status s;
  if (mode != OpenMode::kReadOnly) {
    // Vector memtables take no concurrent writes; the store has one writer.
    options.allow_concurrent_memtable_write = mode != OpenMode::kRebuild;
    // Made here, or RocksDB reports the missing directory as an error first.
    std::error_code ignored;
    std::filesystem::create_directories(path, ignored);
    s = rocksdb::DB::Open(options, path, ColumnDescriptors(mode), &handles, &raw);
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec))
      return MakeError(ErrorCode::kNotFound, "no state directory at " + path);
    // A secondary instance tails the writer's MANIFEST and WAL; its own info
    // log needs a directory of its own.
    std::string pattern = (std::filesystem::temp_directory_path() / "ledger-state-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      return MakeError(ErrorCode::kIo, "cannot create a directory for the read-only state store");
    secondary_dir = pattern;
    options.max_open_files = -1;
    s = rocksdb::DB::OpenAsSecondary(options, path, secondary_dir, ColumnDescriptors(mode),
                                     &handles, &raw);
  }
  if (!s.ok()) {
    std::error_code ignored;
    if (!secondary_dir.empty()) std::filesystem::remove_all(secondary_dir, ignored);
    return FromRocks(s, "open " + path);
  }
  auto store = std::make_unique<RocksStateStore>(std::unique_ptr<rocksdb::DB>(raw),
                                                 std::move(handles), std::move(secondary_dir),
                                                 mode == OpenMode::kRebuild, cached_requests);
  if (auto version = store->WriteSchemaVersion(); !version) return version.error();
  return std::unique_ptr<StateStore>(std::move(store));
}

events::Json QuarantinedEventJson(const QuarantinedEvent& q) {
  return {{"topic", q.where.topic}, {"partition", q.where.partition}, {"offset", q.offset},
          {"id", q.event_id},       {"subject", q.subject},           {"type", q.type},
          {"sequence", q.sequence}, {"reason", q.reason}};
}

}  // namespace ledger::projections
