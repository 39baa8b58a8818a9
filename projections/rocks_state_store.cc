#include "projections/internal/rocks_state_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <sodium.h>

#include <cstdlib>
#include <filesystem>

#include "storage/rocks_logger.h"

namespace ledger::projections {
namespace {

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

// What the memtables of all column families may hold together (each would
// otherwise take up to twice its 64 MiB write buffer).
constexpr size_t kMemtableBudget = 128 << 20;

// Columns a rebuild writes without reading them back before it ends.
bool WrittenBlindly(Column c) {
  return c != Column::kRequests && c != Column::kRequestFacts && c != Column::kMeta &&
         c != Column::kDeptDay && c != Column::kServiceDay && c != Column::kAreaDay &&
         c != Column::kChannelDay && c != Column::kViewChanges;
}

rocksdb::ColumnFamilyOptions ColumnOptions(Column column,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           OpenMode mode) {
  rocksdb::ColumnFamilyOptions options;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  bool rebuild_blind = mode == OpenMode::kRebuild && WrittenBlindly(column);
  bool point_reads = column == Column::kRequests || column == Column::kRequestFacts;
  if (point_reads || HasStreamPrefix(column)) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    if (!rebuild_blind) options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  if (point_reads) options.memtable_whole_key_filtering = true;
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
  // A rebuild reads back only the request states its own cache has let go.
  auto cache = rocksdb::NewLRUCache(mode == OpenMode::kRebuild ? 64 << 20 : 256 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < layout::kColumnCount; ++i)
    descriptors.emplace_back(layout::kColumnNames[i],
                             ColumnOptions(static_cast<Column>(i), cache, mode));
  return descriptors;
}

}  // namespace

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

base::Error FromRocks(const rocksdb::Status& s, const std::string& context) {
  ErrorCode code = s.IsCorruption()                  ? ErrorCode::kCorruption
                   : s.IsBusy() || s.IsTryAgain()    ? ErrorCode::kUnavailable
                   : s.IsNotFound()                  ? ErrorCode::kNotFound
                                                     : ErrorCode::kIo;
  return MakeError(code, "state store: " + context + ": " + s.ToString());
}

// Keys of `history`, `request_contacts` and `request_duplicates` are
// "<stream id>\0<rest>"; prefix blooms over "<stream id>\0" let a lookup of
// a request with no links skip the files entirely.
bool HasStreamPrefix(Column c) {
  return c == Column::kHistory || c == Column::kRequestContacts ||
         c == Column::kRequestDuplicates;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path, OpenMode mode,
                                                     std::shared_ptr<const catalog::Catalog> catalog,
                                                     size_t cached_requests) {
  if (!catalog && mode != OpenMode::kReadOnly)
    return MakeError(ErrorCode::kInvalidArgument, "a writable state store needs the catalog");
  if (sodium_init() < 0) return MakeError(ErrorCode::kIo, "libsodium failed to initialise");
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  // One budget for the memtables of every column family (a replay fills
  // several at once): the largest is flushed when they hold more.
  options.db_write_buffer_size = kMemtableBudget;
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
                                                 mode == OpenMode::kRebuild, cached_requests,
                                                 std::move(catalog));
  if (auto version = store->WriteSchemaVersion(); !version) return version.error();
  return std::unique_ptr<StateStore>(std::move(store));
}

events::Json QuarantinedEventJson(const QuarantinedEvent& q) {
  return {{"topic", q.where.topic}, {"partition", q.where.partition}, {"offset", q.offset},
          {"id", q.event_id},       {"subject", q.subject},           {"type", q.type},
          {"sequence", q.sequence}, {"reason", q.reason}};
}

}  // namespace ledger::projections
