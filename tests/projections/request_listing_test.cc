#include <gtest/gtest.h>

#include <set>

#include "projections/state_store.h"
#include "tests/projections/city.h"
#include "tests/projections/store_helpers.h"

namespace ledger::projections {
namespace {

using fixtures::kDay;
using fixtures::kMinute;
using fixtures::kT0;
using fixtures::RequestId;
namespace types = events::types;

std::vector<std::string> Ids(const RequestPage& page) {
  std::vector<std::string> ids;
  for (const auto& r : page.requests) ids.push_back(r.id);
  return ids;
}

// Follows cursors to the end; returns every id in page order.
std::vector<std::string> AllPages(StateStore& store, RequestQuery query, size_t* pages = nullptr,
                                  size_t* empty_pages_with_cursor = nullptr) {
  std::vector<std::string> ids;
  for (size_t n = 1;; ++n) {
    auto page = store.ListRequests(query);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
    if (!page.ok() || n > 1000) return ids;
    EXPECT_LE(page->requests.size(), query.limit);
    for (auto& id : Ids(*page)) ids.push_back(id);
    if (page->requests.empty() && !page->next_cursor.empty() && empty_pages_with_cursor)
      ++*empty_pages_with_cursor;
    if (pages) *pages = n;
    if (page->next_cursor.empty()) return ids;
    query.cursor = page->next_cursor;
  }
}

class RequestListing : public ::testing::Test {
 protected:
  // 237 requests of fixtures::BuildCity, no contacts needed for listing.
  void SetUp() override {
    city_ = fixtures::BuildCity(237);
    store_ = fixtures::OpenStore(dir_.Sub("state"));
    fixtures::ApplyInBatches(*store_, city_.log.Requests(), 100);
  }
  RequestState StateOf(const std::string& id) { return store_->GetRequest(id)->value().state; }
  // Ids of the city's requests that satisfy `keep`, in creation order.
  template <typename Keep>
  std::vector<std::string> Expected(Keep keep) {
    std::vector<std::string> ids;
    for (const auto& id : city_.ids)
      if (keep(StateOf(id))) ids.push_back(id);
    return ids;
  }

  fixtures::TempDir dir_;
  fixtures::City city_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(RequestListing, PagesCoverEveryRowExactlyOnceInCreationOrder) {
  RequestQuery query;
  query.limit = 50;
  size_t pages = 0;
  auto ids = AllPages(*store_, query, &pages);
  EXPECT_EQ(ids, city_.ids);
  EXPECT_EQ(pages, 5u);
}

TEST_F(RequestListing, ByDepartmentFollowsRouting) {
  RequestQuery query;
  query.department = "DPW";
  query.limit = 7;
  auto expected = Expected([](const RequestState& s) { return s.department == "DPW"; });
  EXPECT_EQ(AllPages(*store_, query), expected);
  // Request 5 was submitted to DPW (5 % 4 == 1) and routed on to DEP.
  EXPECT_EQ(std::count(expected.begin(), expected.end(), RequestId(5)), 0);
  query.department = "DEP";
  auto dep = AllPages(*store_, query);
  EXPECT_EQ(std::count(dep.begin(), dep.end(), RequestId(5)), 1);
}

TEST_F(RequestListing, ByDepartmentAndStatusMovesWithStatusChanges) {
  RequestQuery query;
  query.department = "DOT";
  query.status = "open";
  query.limit = 500;
  auto open = AllPages(*store_, query);
  EXPECT_EQ(open, Expected([](const RequestState& s) {
              return s.department == "DOT" && s.status == "open";
            }));
  // Request 4: DOT, open (4 % 3, 4 % 5 and 4 % 7 are all non-zero).
  ASSERT_EQ(std::count(open.begin(), open.end(), RequestId(4)), 1);

  city_.log.Request(RequestId(4), types::kRequestStatusChanged,
                    {{"from", "open"}, {"to", "on_hold"}}, kT0 + kDay);
  fixtures::ApplyInBatches(*store_, city_.log.Requests(), 1000);
  open = AllPages(*store_, query);
  EXPECT_EQ(std::count(open.begin(), open.end(), RequestId(4)), 0) << "left the open index";
  query.status = "on_hold";
  EXPECT_EQ(AllPages(*store_, query), std::vector<std::string>{RequestId(4)});
}

TEST_F(RequestListing, ByServiceWithStatusFilter) {
  RequestQuery query;
  query.service_code = "noise";
  query.status = "closed";
  query.limit = 3;
  auto expected = Expected([](const RequestState& s) {
    return s.service_code == "noise" && s.status == "closed";
  });
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(AllPages(*store_, query), expected);
}

TEST_F(RequestListing, ByCreatedRangeIsHalfOpen) {
  RequestQuery query;
  query.created_from_ms = kT0 + 10 * kMinute;
  query.created_to_ms = kT0 + 20 * kMinute;
  query.limit = 4;
  std::vector<std::string> expected(city_.ids.begin() + 10, city_.ids.begin() + 20);
  EXPECT_EQ(AllPages(*store_, query), expected);
  query.department = "DEP";
  EXPECT_EQ(AllPages(*store_, query), Expected([](const RequestState& s) {
              return s.department == "DEP" && s.created_ms >= kT0 + 10 * kMinute &&
                     s.created_ms < kT0 + 20 * kMinute;
            }));
}

TEST_F(RequestListing, OverdueListsOpenRequestsPastDeadlineUntilClosed) {
  RequestQuery query;
  query.overdue_only = true;
  query.now_ms = kT0 + kDay + 30 * kMinute;  // deadlines of i % 3 == 0 with i < 30 have passed
  query.limit = 100;
  auto overdue = AllPages(*store_, query);
  auto expected = Expected([&](const RequestState& s) { return s.OverdueAt(query.now_ms); });
  std::sort(overdue.begin(), overdue.end());
  EXPECT_EQ(overdue, expected);
  ASSERT_EQ(std::count(overdue.begin(), overdue.end(), RequestId(3)), 1);
  EXPECT_EQ(std::count(overdue.begin(), overdue.end(), RequestId(0)), 0) << "request 0 is closed";

  city_.log.Request(RequestId(3), types::kRequestClosed, Json::object(), kT0 + kDay);
  fixtures::ApplyInBatches(*store_, city_.log.Requests(), 1000);
  overdue = AllPages(*store_, query);
  EXPECT_EQ(std::count(overdue.begin(), overdue.end(), RequestId(3)), 0);
  EXPECT_EQ(overdue.size(), expected.size() - 1);
  query.department = "DPW";
  EXPECT_EQ(AllPages(*store_, query), Expected([&](const RequestState& s) {
              return s.department == "DPW" && s.OverdueAt(query.now_ms);
            }));
}

TEST_F(RequestListing, SparseMatchesEndPagesEarlyWithACursor) {
  RequestQuery query;
  query.status = "on_hold";  // not an index: every row is read and filtered
  query.limit = 1;           // a page reads at most 50 rows
  for (int i : {10, 150, 230})
    city_.log.Request(RequestId(i), types::kRequestStatusChanged,
                      {{"from", "open"}, {"to", "on_hold"}}, kT0 + kDay);
  fixtures::ApplyInBatches(*store_, city_.log.Requests(), 1000);
  size_t empty_pages = 0;
  auto ids = AllPages(*store_, query, nullptr, &empty_pages);
  EXPECT_EQ(ids, (std::vector<std::string>{RequestId(10), RequestId(150), RequestId(230)}));
  EXPECT_GT(empty_pages, 0u) << "the gap from 10 to 150 is longer than one page's scan";
}

TEST_F(RequestListing, RejectsCursorsItDidNotMake) {
  RequestQuery query;
  query.limit = 10;
  auto first = store_->ListRequests(query);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_cursor.empty());

  for (const std::string& bad :
       std::vector<std::string>{"not a cursor!", "Zm9vYmFy", first->next_cursor + "AA"}) {
    query.cursor = bad;
    auto page = store_->ListRequests(query);
    ASSERT_FALSE(page.ok()) << bad;
    EXPECT_EQ(page.error().code, base::ErrorCode::kInvalidArgument);
    EXPECT_EQ(page.error().message, "invalid cursor");
  }
  RequestQuery by_department;
  by_department.department = "DOT";
  by_department.cursor = first->next_cursor;  // made for idx_created
  EXPECT_FALSE(store_->ListRequests(by_department).ok());

  by_department.cursor.clear();
  by_department.limit = 5;
  auto dot = store_->ListRequests(by_department);
  ASSERT_TRUE(dot.ok());
  RequestQuery other_department = by_department;
  other_department.department = "DPW";
  other_department.cursor = dot->next_cursor;
  auto wrong = store_->ListRequests(other_department);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "invalid cursor");

  RequestQuery zero;
  zero.limit = 0;
  EXPECT_FALSE(store_->ListRequests(zero).ok());
}

}  // namespace
}  // namespace ledger::projections
