// Start-up as an operator meets it when the data directory is damaged.
#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <filesystem>

#include "log/log_format.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

// Overwrites the stored bytes of 311.requests offset 0 with garbage, as a
// damaged disk would, using RocksDB directly.
void DamageFirstRequestEvent(const std::string& log_dir) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), log_dir, &names).ok());
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), log_dir, families, &handles, &db).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == log::kEventsFamily) {
      EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], log::EventKey("311.requests", 0),
                          "{not an event").ok());
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

TEST(LedgerStart, CorruptLogEventStopsStartWithAClearErrorInsteadOfHanging) {
  TempDir dir;
  app::Settings settings = TestSettings(dir.path() + "/data");
  {
    LedgerUnderTest ledger(settings);
    ASSERT_EQ(ledger.Client().Post("/v1/requests", PotholeRequest()).status, 201);
  }
  std::filesystem::remove_all(settings.state_dir());  // force a re-projection from the log
  DamageFirstRequestEvent(settings.log_dir());
  auto started = app::Ledger::Start(settings);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("cannot project the log before serving"), std::string::npos)
      << started.error().message;
  EXPECT_NE(started.error().message.find("311.requests"), std::string::npos) << started.error().message;
}

}  // namespace
}  // namespace ledger::testing
