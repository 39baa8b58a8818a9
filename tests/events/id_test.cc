#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

#include "events/event.h"

namespace ledger::events {
namespace {

constexpr int64_t kNov23 = 1795442880123;
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

bool AllCrockford(std::string_view s) { return s.find_first_not_of(kCrockford) == s.npos; }

TEST(EventId, IsA26CharacterUlid) {
  std::string id = NewEventId(kNov23);
  EXPECT_EQ(id.size(), 26u);
  EXPECT_TRUE(AllCrockford(id)) << id;
}

TEST(EventId, SortsByTime) {
  // Includes steps that carry across base32 digits and the 32-bit boundary.
  for (int64_t t : {kNov23, int64_t{31}, int64_t{1023}, int64_t{4294967295}}) {
    for (int64_t step : {int64_t{1}, int64_t{2}, int64_t{1000}, int64_t{86400000}}) {
      std::string earlier = NewEventId(t);
      std::string later = NewEventId(t + step);
      EXPECT_LT(earlier, later) << t << " + " << step;
    }
  }
}

TEST(EventId, HundredThousandIdsAreUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(NewEventId(kNov23)).second) << i;
}

TEST(RequestId, IsSrPlusThirteenCharacters) {
  std::string id = NewRequestId(kNov23);
  ASSERT_EQ(id.size(), 16u) << id;
  EXPECT_EQ(id.substr(0, 3), "SR-");
  EXPECT_TRUE(AllCrockford(id.substr(3))) << id;
}

TEST(RequestId, TenThousandInOneMillisecondAreUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(seen.insert(NewRequestId(kNov23)).second) << i;
}

TEST(RequestId, SortsByTime) {
  EXPECT_LT(NewRequestId(kNov23), NewRequestId(kNov23 + 1));
  EXPECT_LT(NewRequestId(kNov23), NewRequestId(kNov23 + 86400000));
}

TEST(ContactId, IsCtPlusThirteenCharacters) {
  std::string id = NewContactId(kNov23);
  ASSERT_EQ(id.size(), 16u) << id;
  EXPECT_EQ(id.substr(0, 3), "CT-");
  EXPECT_TRUE(AllCrockford(id.substr(3))) << id;
}

}  // namespace
}  // namespace ledger::events
