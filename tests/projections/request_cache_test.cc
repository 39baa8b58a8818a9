#include "projections/request_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ledger::projections {
namespace {

CachedRequest Folded(const std::string& id, bool unwritten) {
  CachedRequest entry;
  entry.state.id = id;
  entry.unwritten = unwritten;
  return entry;
}

TEST(RequestCache, TrimDropsTheLeastRecentlyUsedAndWritesUnwrittenOnesFirst) {
  RequestCache cache(4);
  for (const char* id : {"SR-1", "SR-2", "SR-3", "SR-4"}) cache.Add(id, Folded(id, id[3] % 2 == 1));
  std::vector<std::string> written;
  auto write = [&](CachedRequest& entry) {
    written.push_back(entry.state.id);
    EXPECT_TRUE(entry.unwritten);
  };
  cache.Trim(write);
  EXPECT_EQ(cache.size(), 4u) << "at capacity nothing goes";

  ASSERT_NE(cache.Find("SR-1"), nullptr);  // SR-1 is now the most recently used
  cache.Add("SR-5", Folded("SR-5", false));
  cache.Trim(write);
  EXPECT_EQ(cache.size(), 3u) << "trimmed to three quarters of capacity";
  EXPECT_EQ(written, std::vector<std::string>{"SR-3"}) << "SR-2 was written already";
  EXPECT_EQ(cache.Find("SR-2"), nullptr);
  EXPECT_EQ(cache.Find("SR-3"), nullptr);
  EXPECT_NE(cache.Find("SR-1"), nullptr);
  EXPECT_NE(cache.Find("SR-4"), nullptr);
  EXPECT_NE(cache.Find("SR-5"), nullptr);
}

TEST(RequestCache, UnwrittenListsOnlyStatesAheadOfTheirRowsInIdOrder) {
  RequestCache cache(10);
  for (const char* id : {"SR-C", "SR-A", "SR-D", "SR-B"}) cache.Add(id, Folded(id, true));
  cache.Find("SR-D")->unwritten = false;
  std::vector<std::string> ids;
  for (CachedRequest* entry : cache.Unwritten()) ids.push_back(entry->state.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"SR-A", "SR-B", "SR-C"}));
}

}  // namespace
}  // namespace ledger::projections
