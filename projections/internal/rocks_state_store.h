#pragma once
// RocksStateStore (internal to ledger_projections): the StateStore on
// RocksDB. Its methods are spread by job: rocks_state_store.cc opens the store
// and lays out its column families, state_fold.cc folds events and writes
// them, state_reads.cc answers the reads of requests, view_reads.cc those
// of the performance views.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "events/event_types.h"
#include "projections/request_cache.h"
#include "projections/state_layout.h"
#include "projections/state_store.h"

namespace ledger::projections {

// A RocksDB status as the ledger's error, naming `context`.
base::Error FromRocks(const rocksdb::Status& s, const std::string& context);
// kCorruption for a performance view row of `column` that does not decode.
base::Error CorruptViewRow(layout::Column column, std::string_view name, std::string_view day,
                           const std::string& why);
// True for the columns whose keys start with a request id (prefix seeks).
bool HasStreamPrefix(layout::Column c);

// The names every part of the store's implementation uses.
using base::ErrorCode;
using base::MakeError;
using layout::Column;
namespace types = events::types;

class RocksStateStore final : public StateStore {
 public:
  // `catalog` may be null only for a read-only store.
  RocksStateStore(std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> handles, std::string secondary_dir,
                  bool rebuild, size_t cached_requests,
                  std::shared_ptr<const catalog::Catalog> catalog)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        secondary_dir_(std::move(secondary_dir)),
        rebuild_(rebuild),
        catalog_(std::move(catalog)),
        requests_(cached_requests) {
    if (catalog_) views_.emplace(*catalog_);
  }

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
  Result<std::vector<DayRow>> DayRows(performance::Dimension dimension, std::string_view name,
                                      std::string_view from_day, std::string_view to_day,
                                      std::optional<int64_t> as_of) override;
  Result<std::map<std::string, int64_t>> Backlogs(performance::Dimension dimension, std::string_view name,
                                                  std::string_view day, std::optional<int64_t> as_of) override;
  Result<std::vector<ChannelRow>> ChannelRows(std::string_view from_day, std::string_view to_day,
                                              std::optional<int64_t> as_of) override;
  Result<std::map<std::string, uint64_t>> OverdueCounts(std::string_view department, int64_t now_ms) override;
  Result<std::vector<DueTimer>> DueTimers(int64_t now_ms, size_t limit) override;
  uint64_t ViewsChanged() const override { return views_changed_.load(); }
  Result<std::vector<UnpublishedDay>> UnpublishedDays(size_t limit) override;
  Status MarkPublished(const std::vector<UnpublishedDay>& published) override;
  Result<std::string> Checksum() override;
  Status Refresh() override;

  Status WriteSchemaVersion();

 private:
  rocksdb::ColumnFamilyHandle* Handle(Column c) const { return handles_[static_cast<size_t>(c)]; }
  bool read_only() const { return !secondary_dir_.empty(); }

  Result<std::map<events::TopicPartition, uint64_t>> ReadPositions();
  Result<std::optional<RequestState>> LoadRequest(std::string_view id);
  Result<std::optional<std::string>> LoadRequestText(std::string_view id);
  // The performance facts of a stored request; kCorruption if it has none.
  Result<performance::RequestFacts> LoadFacts(std::string_view id);
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
  void ApplyContactEvent(const events::StoredEvent& stored, rocksdb::WriteBatch& batch);
  // Adds the views' changes of this batch to their stored rows, into `batch`.
  Status WriteViews(rocksdb::WriteBatch& batch);
  template <typename Key, typename Figures, typename KeyOf>
  Status MergeRows(Column column, const std::map<Key, Figures>& changes, KeyOf key_of, rocksdb::WriteBatch& batch);
  // Puts the request's row, facts and index changes into `batch`.
  void WriteRequest(CachedRequest& entry, rocksdb::WriteBatch& batch);
  // kRebuild: writes the rows the cached states have run ahead of, so that
  // reads see them. A no-op for the other modes.
  Status WriteUnwritten();
  rocksdb::Status Write(rocksdb::WriteBatch& batch);
  // Calls visit(key, value) for every row of `column` under `prefix`.
  template <typename Visit>
  Status ScanPrefix(Column column, std::string_view prefix, Visit visit);
  Result<std::vector<std::string>> LinkedIds(Column column, const std::string& id);
  // The performance views' rows (view_reads.cc). An as_of read takes the
  // rows and the changes after it from one snapshot (`read`), or a batch
  // written between them would be subtracted from rows that lack it.
  template <typename Visit>
  Status ScanViewRows(const rocksdb::ReadOptions& read, Column column, std::string_view name,
                      std::string_view from_day, std::string_view to_day, Visit visit);
  template <typename Figures>
  Result<std::vector<performance::DayRowOf<Figures>>> ReadViewRows(Column column, performance::ChangeKind kind,
                                                                   std::string_view name, std::string_view from_day,
                                                                   std::string_view to_day,
                                                                   std::optional<int64_t> as_of);
  // The changes of `kind` appended after `after_ms`, summed per name and
  // day, of `name` alone or of every name when it is empty.
  template <typename Figures>
  Result<std::map<performance::DayKey, Figures>> ChangesAfter(const rocksdb::ReadOptions& read,
                                                              performance::ChangeKind kind, std::string_view name,
                                                              int64_t after_ms);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string secondary_dir_;  // non-empty: opened read-only as a secondary
  std::mutex apply_mutex_;     // one ApplyBatch at a time: it reads, folds, writes
  // kRebuild: no write-ahead log, and request rows written only when their
  // requests leave the cache or the store is read or closed.
  const bool rebuild_;
  const std::shared_ptr<const catalog::Catalog> catalog_;  // null for a read-only store
  // The members below are guarded by apply_mutex_.
  // The views' changes of the batch being applied; set unless read-only.
  std::optional<performance::BatchViews> views_;
  // The positions as last written, read once. This store is their only writer.
  std::optional<std::map<events::TopicPartition, uint64_t>> applied_positions_;
  // States of recently folded requests. Outside a rebuild, every state is
  // written by the ApplyBatch that changed it.
  RequestCache requests_;
  // kRebuild: a write failed, so the cached states and the stored rows no
  // longer agree; the rebuild must start over.
  bool rebuild_failed_ = false;
  std::atomic<uint64_t> views_changed_{0};
  // Reused by every write, so its buffer grows once, not per batch.
  rocksdb::WriteBatch batch_;
};

}  // namespace ledger::projections
