#pragma once
// Writing into a closed RocksDB store of the ledger behind its back, for
// tests that need what only a bug, an older version or damage would store.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>
#include <string_view>
#include <vector>

namespace ledger::testing {

// Puts `key` = `value` into column family `column` of the store at `dir`.
inline void PutInColumn(const std::string& dir, std::string_view column, std::string_view key,
                        std::string_view value) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &db).ok());
  bool found = false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != column) continue;
    found = true;
    EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], rocksdb::Slice(key.data(), key.size()),
                        rocksdb::Slice(value.data(), value.size()))
                    .ok());
  }
  EXPECT_TRUE(found) << dir << " has no column family " << column;
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

}  // namespace ledger::testing
