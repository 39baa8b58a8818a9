// "Acknowledged only after fsync", proved with a file system that loses
// what was not synced. SIGKILL cannot prove it: the page cache survives the
// process, so a log that never synced would pass every kill test.
//
// PowerCut passes every file operation through to the real disk and
// remembers, per file, how many bytes were synced. At Cut() the power goes:
// from then on nothing RocksDB does reaches the disk (its close writes,
// renames and deletions are dropped), and Apply() leaves each file with
// only its synced bytes, as the disk would hold them after the outage.
// (Directory entries are kept: the fault under test is file data.)
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "tests/log/log_test_support.h"

namespace ledger::log::testing {
namespace {

namespace fs = std::filesystem;
using rocksdb::FileOptions;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

class PowerCut : public rocksdb::FileSystemWrapper {
 public:
  PowerCut() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "PowerCut"; }

  void Cut() { cut_ = true; }

  // After Cut() and once the store is closed: each file keeps its synced
  // bytes; files made after the cut are gone.
  void Apply() {
    std::lock_guard lock(mu_);
    for (const auto& [path, file] : files_) {
      std::error_code ec;
      if (file.made_after_cut)
        fs::remove(path, ec);
      else if (fs::exists(path, ec) && fs::file_size(path, ec) > file.synced)
        fs::resize_file(path, file.synced, ec);
      EXPECT_FALSE(ec) << path << ": " << ec.message();
    }
  }

  uint64_t syncs() const { return syncs_; }

  IOStatus NewWritableFile(const std::string& path, const FileOptions& options,
                           std::unique_ptr<FSWritableFile>* result, IODebugContext* dbg) override {
    auto status = target()->NewWritableFile(path, options, result, dbg);
    if (status.ok()) Track(path, 0, result);
    return status;
  }

  IOStatus ReopenWritableFile(const std::string& path, const FileOptions& options,
                              std::unique_ptr<FSWritableFile>* result, IODebugContext* dbg) override {
    std::error_code ec;
    uint64_t existing = fs::exists(path, ec) ? fs::file_size(path, ec) : 0;
    auto status = target()->ReopenWritableFile(path, options, result, dbg);
    if (status.ok()) Track(path, existing, result);
    return status;
  }

  IOStatus ReuseWritableFile(const std::string& path, const std::string& old_path, const FileOptions& options,
                             std::unique_ptr<FSWritableFile>* result, IODebugContext* dbg) override {
    return IOStatus::NotSupported("PowerCut does not recycle files");
  }

  IOStatus DeleteFile(const std::string& path, const IOOptions& options, IODebugContext* dbg) override {
    if (cut_) return IOStatus::OK();
    std::lock_guard lock(mu_);
    files_.erase(path);
    return target()->DeleteFile(path, options, dbg);
  }

  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& options,
                      IODebugContext* dbg) override {
    if (cut_) return IOStatus::OK();
    std::lock_guard lock(mu_);
    if (auto it = files_.find(from); it != files_.end()) {
      files_[to] = it->second;
      files_.erase(it);
    }
    return target()->RenameFile(from, to, options, dbg);
  }

 private:
  struct FileState {
    uint64_t size = 0;    // bytes appended
    uint64_t synced = 0;  // of them, synced before the cut
    bool made_after_cut = false;
  };

  class TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    TrackedFile(std::unique_ptr<FSWritableFile> file, PowerCut& power, std::string path)
        : FSWritableFileOwnerWrapper(std::move(file)), power_(power), path_(std::move(path)) {}

    IOStatus Append(const rocksdb::Slice& data, const IOOptions& options, IODebugContext* dbg) override {
      power_.Appended(path_, data.size());
      return target()->Append(data, options, dbg);
    }
    IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                    const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
      power_.Appended(path_, data.size());
      return target()->Append(data, options, info, dbg);
    }
    IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
      auto status = target()->Sync(options, dbg);
      if (status.ok()) power_.Synced(path_);
      return status;
    }
    IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
      auto status = target()->Fsync(options, dbg);
      if (status.ok()) power_.Synced(path_);
      return status;
    }
    // Syncs only part of the file: counted as no sync at all.
    IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options, IODebugContext* dbg) override {
      return target()->RangeSync(offset, nbytes, options, dbg);
    }

   private:
    PowerCut& power_;
    const std::string path_;
  };

  void Track(const std::string& path, uint64_t existing, std::unique_ptr<FSWritableFile>* result) {
    {
      std::lock_guard lock(mu_);
      files_[path] = {existing, existing, cut_.load()};
    }
    *result = std::make_unique<TrackedFile>(std::move(*result), *this, path);
  }
  void Appended(const std::string& path, uint64_t bytes) {
    std::lock_guard lock(mu_);
    files_[path].size += bytes;
  }
  void Synced(const std::string& path) {
    if (cut_) return;
    std::lock_guard lock(mu_);
    auto& file = files_[path];
    file.synced = file.size;
    ++syncs_;
  }

  std::atomic<bool> cut_{false};
  std::atomic<uint64_t> syncs_{0};
  std::mutex mu_;
  std::map<std::string, FileState> files_;
};

constexpr char kRequests[] = "311.requests";

// Clients append until the power goes; after it every append the log
// acknowledged is there, at its offset, with its bytes, and the log takes
// appends again. Several rounds on the same directory, so a cut also lands
// on a log that has already recovered from one.
TEST(PowerCut, EveryAcknowledgedAppendSurvivesLosingEveryUnsyncedWrite) {
  TempDir dir;
  std::string path = dir.Sub("log");
  constexpr int kClients = 4;
  constexpr int kRounds = 3;
  std::map<uint64_t, std::string> acknowledged;  // offset -> event id
  std::mutex acknowledged_mu;
  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto power = std::make_shared<PowerCut>();
    std::shared_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(power);
    auto opened = OpenEmbeddedLog({.path = path, .env = env});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto log = std::move(*opened);
    std::atomic<int> acked_this_round{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c)
      clients.emplace_back([&, c] {
        for (int i = 0; !stop; ++i) {
          std::string subject = "r" + std::to_string(round) + "-" + std::to_string(c) + "-" + std::to_string(i);
          auto stored = AppendAndWait(*log, {MakeRecord(kRequests, subject)});
          std::lock_guard lock(acknowledged_mu);
          if (stop) return;  // answered once the power was cut: its sync may have been lost
          if (!stored.ok()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
          }
          acknowledged[(*stored)[0].offset] = (*stored)[0].event.id;
          ++acked_this_round;
        }
      });
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         acked_this_round < 300 && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_GE(acked_this_round, 300) << "appends were not acknowledged before the cut";
    // The cut comes first; only appends acknowledged before it must survive.
    {
      std::lock_guard lock(acknowledged_mu);
      power->Cut();
      stop = true;
    }
    for (auto& t : clients) t.join();
    log.reset();  // RocksDB's close writes nothing that reaches the disk
    power->Apply();
    EXPECT_GT(power->syncs(), 0u);

    auto reopened = OpenOrDie(path);
    ASSERT_NE(reopened, nullptr);
    auto all = reopened->Read({kRequests, 0}, 0, 10'000'000);
    ASSERT_TRUE(all.ok()) << all.error().message;
    std::map<uint64_t, std::string> stored;
    for (const auto& e : all->events) stored[e.offset] = e.event.id;
    size_t lost = 0;
    for (const auto& [offset, id] : acknowledged)
      if (!stored.count(offset) || stored[offset] != id) ++lost;
    EXPECT_EQ(lost, 0u) << "of " << acknowledged.size() << " acknowledged appends, " << lost
                        << " were lost with the unsynced writes (" << stored.size() << " stored)";
    // What survived beyond the acknowledged is whole and continues after them.
    EXPECT_EQ(stored.size(), stored.empty() ? 0 : stored.rbegin()->first + 1) << "a gap in the offsets";
    // The log takes appends again, after what survived; the next round
    // holds it to everything stored now.
    auto after = AppendAndWait(*reopened, {MakeRecord(kRequests, "after-cut-" + std::to_string(round))});
    ASSERT_TRUE(after.ok()) << after.error().message;
    EXPECT_EQ((*after)[0].offset, stored.size());
    acknowledged = std::move(stored);
    acknowledged[(*after)[0].offset] = (*after)[0].event.id;
  }
}

}  // namespace
}  // namespace ledger::log::testing
