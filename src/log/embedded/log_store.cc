#include "log/embedded/internal/log_store.h"

#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <system_error>

#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/table.h>

#include "storage/rocks_logger.h"

namespace ledger::log {
namespace {

using base::ErrorCode;
using base::MakeError;

bool Supports(rocksdb::CompressionType type) {
  for (auto supported : rocksdb::GetSupportedCompressions())
    if (supported == type) return true;
  return false;
}

// Events are written once, in key order per topic, and read in ranges:
// large memtables, cheap lz4 on hot levels, zstd where data settles.
rocksdb::ColumnFamilyOptions EventsFamilyOptions() {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = 64 << 20;
  options.level_compaction_dynamic_level_bytes = true;
  options.compression =
      Supports(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  if (Supports(rocksdb::kZSTD)) options.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 << 10;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Stream heads are read by key only, once per stream the writer has not
// cached; append times (one per group commit and topic) are as small.
rocksdb::ColumnFamilyOptions StreamsFamilyOptions() {
  rocksdb::ColumnFamilyOptions options;
  options.OptimizeForPointLookup(64);
  options.write_buffer_size = 32 << 20;
  return options;
}

constexpr int kMaxOpenFiles = 512;

rocksdb::DBOptions StoreOptions(bool secondary) {
  rocksdb::DBOptions options;
  options.IncreaseParallelism(2);
  options.info_log = storage::LedgerLogFor("embedded log");
  if (secondary) {
    options.max_open_files = -1;  // required by OpenAsSecondary
  } else {
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    // Bounded, so that a long log's table files cannot take the descriptors
    // the HTTP connections need (RocksDB's default is unlimited).
    options.max_open_files = kMaxOpenFiles;
  }
  return options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> Families() {
  return {{rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
          {kEventsFamily, EventsFamilyOptions()},
          {kStreamsFamily, StreamsFamilyOptions()},
          {kAppendTimesFamily, StreamsFamilyOptions()}};
}

base::Error OpenError(const std::string& path, const rocksdb::Status& status) {
  // RocksDB reports a held LOCK file as an IO error naming the lock.
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos)
    return MakeError(ErrorCode::kUnavailable,
                     "data directory " + path + " is in use by another process (" +
                         status.ToString() + ")");
  if (status.IsCorruption())
    return MakeError(ErrorCode::kCorruption, "log in " + path + ": " + status.ToString());
  return MakeError(ErrorCode::kIo, "cannot open log in " + path + ": " + status.ToString());
}

base::Result<std::string> MakeSecondaryDir() {
  std::error_code ec;
  std::string pattern = (std::filesystem::temp_directory_path(ec) / "ledger-log-reader-XXXXXX");
  if (ec) pattern = "/tmp/ledger-log-reader-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr)
    return MakeError(ErrorCode::kIo, "cannot create a directory for the log reader: " + pattern);
  return pattern;
}

base::Result<uint64_t> OffsetAt(rocksdb::Iterator& it, std::string_view topic) {
  auto parts = ParseEventKey(it.key().ToStringView());
  if (!parts || parts->topic != topic)
    return MakeError(ErrorCode::kCorruption, "malformed event key in topic " + std::string(topic));
  return parts->offset;
}

}  // namespace

base::Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& path, bool secondary,
                                                         std::shared_ptr<rocksdb::Env> env) {
  std::unique_ptr<LogStore> store(new LogStore());
  store->env_ = std::move(env);
  rocksdb::DB* db = nullptr;
  rocksdb::Status status;
  if (secondary) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec))
      return MakeError(ErrorCode::kNotFound, "no log in " + path);
    auto dir = MakeSecondaryDir();
    if (!dir) return dir.error();
    store->secondary_dir_ = *dir;  // removed by ~LogStore, also on failure below
    status = rocksdb::DB::OpenAsSecondary(StoreOptions(true), path, *dir, Families(),
                                          &store->handles_, &db);
  } else {
    // Made here, or RocksDB reports the missing directory as an error first.
    std::error_code ignored;
    std::filesystem::create_directories(path, ignored);
    rocksdb::DBOptions options = StoreOptions(false);
    if (store->env_) options.env = store->env_.get();
    status = rocksdb::DB::Open(options, path, Families(), &store->handles_, &db);
  }
  if (!status.ok()) return OpenError(path, status);
  store->db_.reset(db);
  store->families_ = FamilyHandles{store->handles_[1], store->handles_[2], store->handles_[3]};
  return store;
}

LogStore::~LogStore() {
  if (db_) {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
    db_.reset();
  }
  if (!secondary_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir_, ec);
  }
}

base::Status LogStore::CatchUp() {
  std::lock_guard lock(catch_up_mu_);
  auto status = db_->TryCatchUpWithPrimary();
  if (!status.ok())
    return MakeError(ErrorCode::kIo, "cannot follow the writing server: " + status.ToString());
  return {};
}

base::Result<std::map<std::string, uint64_t>> LogStore::ScanTopicEnds() {
  std::map<std::string, uint64_t> ends;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), families_.events));
  // One seek to the last key of each topic, then one past it to the next topic.
  it->SeekToFirst();
  while (it->Valid()) {
    auto parts = ParseEventKey(it->key().ToStringView());
    if (!parts) return MakeError(ErrorCode::kCorruption, "malformed event key in the log");
    std::string topic(parts->topic);
    it->SeekForPrev(EventKey(topic, std::numeric_limits<uint64_t>::max()));
    if (!it->Valid()) break;
    auto last = OffsetAt(*it, topic);
    if (!last) return last.error();
    ends[topic] = *last + 1;
    it->Seek(TopicUpperBound(topic));
  }
  if (!it->status().ok())
    return MakeError(ErrorCode::kIo, "cannot scan the log: " + it->status().ToString());
  return ends;
}

base::Result<uint64_t> LogStore::ReadTopicEnd(const std::string& topic) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), families_.events));
  it->SeekForPrev(EventKey(topic, std::numeric_limits<uint64_t>::max()));
  if (!it->status().ok())
    return MakeError(ErrorCode::kIo, "cannot read topic " + topic + ": " + it->status().ToString());
  if (!it->Valid()) return uint64_t{0};
  auto parts = ParseEventKey(it->key().ToStringView());
  if (!parts || parts->topic != topic) return uint64_t{0};
  return parts->offset + 1;
}

base::Result<StreamHead> LogStore::ReadHead(const std::string& stream_key) {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), families_.streams, stream_key, &value);
  if (status.IsNotFound()) return StreamHead{};
  if (!status.ok())
    return MakeError(ErrorCode::kIo, "cannot read a stream's version: " + status.ToString());
  return DecodeStreamHead(value);
}

// The append times of one topic's events, read along with them in offset
// order: each event's is that of the last group commit mark at or before it.
class AppendTimes {
 public:
  AppendTimes(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family, const std::string& topic, uint64_t from)
      : topic_(topic), upper_(TopicUpperBound(topic)), upper_slice_(upper_) {
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper_slice_;
    it_.reset(db.NewIterator(options, family));
    it_->SeekForPrev(EventKey(topic, from));
    if (!it_->Valid()) it_->Seek(EventKey(topic, 0));
    Load();
  }

  // The append time of the event at `offset` (offsets rising call by call).
  base::Result<int64_t> At(uint64_t offset) {
    while (next_offset_ && *next_offset_ <= offset) {
      if (auto taken = Take(); !taken) return taken.error();
      it_->Next();
      Load();
    }
    return current_ms_;
  }

  base::Status status() const {
    if (it_->status().ok()) return {};
    return MakeError(ErrorCode::kIo, "cannot read append times of " + topic_ + ": " + it_->status().ToString());
  }

 private:
  // Reads the mark under the iterator as the next one, if it is the topic's.
  void Load() {
    next_offset_.reset();
    if (!it_->Valid()) return;
    auto parts = ParseEventKey(it_->key().ToStringView());
    if (parts && parts->topic == topic_) next_offset_ = parts->offset;
  }
  base::Status Take() {
    auto ms = DecodeAppendTime(it_->value().ToStringView());
    if (!ms) return MakeError(ErrorCode::kCorruption, "append time of " + topic_ + ": " + ms.error().message);
    current_ms_ = *ms;
    return {};
  }

  std::string topic_, upper_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::optional<uint64_t> next_offset_;  // offset of the mark not yet taken
  int64_t current_ms_ = 0;               // 0 before the first mark (a log older than marks)
};

base::Result<std::vector<events::StoredEvent>> LogStore::Read(const events::TopicPartition& tp,
                                                                uint64_t from, size_t max) {
  std::vector<events::StoredEvent> out;
  AppendTimes times(*db_, families_.append_times, tp.topic, from);
  std::string upper = TopicUpperBound(tp.topic);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, families_.events));
  for (it->Seek(EventKey(tp.topic, from)); it->Valid() && out.size() < max; it->Next()) {
    auto offset = OffsetAt(*it, tp.topic);
    if (!offset) return offset.error();
    auto appended_ms = times.At(*offset);
    if (!appended_ms) return appended_ms.error();
    auto event = events::DecodeEvent(it->value().ToStringView());
    if (!event) {
      out.push_back({tp, *offset, {}, *appended_ms, {}, event.error().message});
      continue;
    }
    out.push_back({tp, *offset, std::move(*event), *appended_ms, it->value().ToString()});
  }
  if (auto status = times.status(); !status) return status.error();
  if (!it->status().ok())
    return MakeError(ErrorCode::kIo,
                     "cannot read topic " + tp.topic + ": " + it->status().ToString());
  return out;
}

}  // namespace ledger::log
