#pragma once
// Opening, feeding and summarising a StateStore in tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "projections/state_layout.h"
#include "projections/state_store.h"
#include "tests/support/raw_rocksdb.h"
#include "tests/support/shipped_catalog.h"

namespace ledger::projections::fixtures {

// Sets `key` of the meta column of the closed state store at `state_dir`
// to `value`, straight in RocksDB (what an older or damaged store holds).
inline void PutStateMeta(const std::string& state_dir, std::string_view key, std::string_view value) {
  ledger::testing::PutInColumn(state_dir, layout::ColumnName(layout::Column::kMeta), key, value);
}

inline std::unique_ptr<StateStore> OpenStore(const std::string& path,
                                             OpenMode mode = OpenMode::kReadWrite) {
  auto store = StateStore::Open(path, mode, ledger::testing::ShippedCatalog());
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(*store) : nullptr;
}

// Applies `events` in order, `batch_size` at a time.
inline void ApplyInBatches(StateStore& store, const std::vector<events::StoredEvent>& events,
                           size_t batch_size) {
  for (size_t i = 0; i < events.size(); i += batch_size) {
    std::vector<events::StoredEvent> batch(
        events.begin() + i, events.begin() + std::min(events.size(), i + batch_size));
    auto applied = store.ApplyBatch(batch);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }
}

inline std::string ChecksumOf(StateStore& store) {
  auto sum = store.Checksum();
  EXPECT_TRUE(sum.ok()) << (sum.ok() ? "" : sum.error().message);
  return sum.ok() ? *sum : "";
}

// Merges two topics' events, taking `take_a` from a then `take_b` from b
// in turn; each topic keeps its own order.
inline std::vector<events::StoredEvent> Interleave(const std::vector<events::StoredEvent>& a,
                                                   const std::vector<events::StoredEvent>& b,
                                                   size_t take_a, size_t take_b) {
  std::vector<events::StoredEvent> out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    for (size_t n = 0; n < take_a && i < a.size(); ++n) out.push_back(a[i++]);
    for (size_t n = 0; n < take_b && j < b.size(); ++n) out.push_back(b[j++]);
  }
  return out;
}

inline std::vector<events::StoredEvent> Concat(std::vector<events::StoredEvent> a,
                                               const std::vector<events::StoredEvent>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace ledger::projections::fixtures
