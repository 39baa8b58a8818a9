// SLA deadlines in America/New_York (EDT = UTC-4 until 2026-11-01 02:00,
// EST = UTC-5 after), opening hours Monday-Friday 07:00-19:00, Thanksgiving
// and the day after as holidays. Every deadline is checked as a UTC instant.

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_support.h"

namespace ledger::catalog {
namespace {

using testing::ParseValid;
using testing::UtcMs;

const std::string kCatalog = std::string(testing::kCenter) + R"([[center.holidays]]
date = 2026-11-26
name = "Thanksgiving Day"
[[center.holidays]]
date = "2026-11-27"
name = "Day after Thanksgiving"

[[departments]]
code = "DOT"
name = "Transportation"

[[services]]
code = "two-hours"
name = "Two business hours"
department = "DOT"
sla_business_hours = 2
[[services]]
code = "eight-hours"
name = "Eight business hours"
department = "DOT"
sla_business_hours = 8
[[services]]
code = "twelve-hours"
name = "Twelve business hours"
department = "DOT"
sla_business_hours = 12
[[services]]
code = "one-day"
name = "One calendar day"
department = "DOT"
sla_calendar_days = 1
[[services]]
code = "ten-days"
name = "Ten calendar days"
department = "DOT"
sla_calendar_days = 10
)";

class SlaDeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = ParseValid(kCatalog);
    ASSERT_NE(catalog_, nullptr);
  }
  int64_t Deadline(std::string_view service, int64_t submitted_ms) const {
    return catalog_->SlaDeadline(*catalog_->FindService(service), submitted_ms);
  }
  std::shared_ptr<const Catalog> catalog_;
};

TEST_F(SlaDeadlineTest, BusinessHoursSkipTheNightAndTheWeekend) {
  // Friday 2026-11-20 18:00 EST: one hour on Friday, one on Monday from 07:00.
  EXPECT_EQ(Deadline("two-hours", UtcMs(2026, 11, 20, 23)), UtcMs(2026, 11, 23, 13));
}

TEST_F(SlaDeadlineTest, BusinessHoursSkipHolidays) {
  // Wednesday 2026-11-25 17:00 EST: two hours on Wednesday; Thanksgiving, the
  // day after and the weekend skipped; six more on Monday 2026-11-30 -> 13:00.
  EXPECT_EQ(Deadline("eight-hours", UtcMs(2026, 11, 25, 22)), UtcMs(2026, 11, 30, 18));
}

TEST_F(SlaDeadlineTest, SubmittedBeforeOpeningCountsFromOpening) {
  // Tuesday 2026-11-24 05:30 EST -> counting starts 07:00, due 09:00.
  EXPECT_EQ(Deadline("two-hours", UtcMs(2026, 11, 24, 10, 30)), UtcMs(2026, 11, 24, 14));
}

TEST_F(SlaDeadlineTest, SubmittedOnAWeekendCountsFromMondayOpening) {
  // Saturday 2026-11-21 12:00 EST -> Monday 07:00 + 2 hours.
  EXPECT_EQ(Deadline("two-hours", UtcMs(2026, 11, 21, 17)), UtcMs(2026, 11, 23, 14));
}

TEST_F(SlaDeadlineTest, BusinessHoursWithinOneDay) {
  // Tuesday 2026-11-24 10:15 EST -> 12:15.
  EXPECT_EQ(Deadline("two-hours", UtcMs(2026, 11, 24, 15, 15)), UtcMs(2026, 11, 24, 17, 15));
}

TEST_F(SlaDeadlineTest, DeadlineMayFallExactlyAtClosing) {
  // Tuesday 07:00 + 12 hours is Tuesday 19:00 EST, not Wednesday morning.
  EXPECT_EQ(Deadline("twelve-hours", UtcMs(2026, 11, 24, 12)), UtcMs(2026, 11, 25, 0));
}

TEST_F(SlaDeadlineTest, BusinessHoursAcrossTheDstChange) {
  // Friday 2026-10-30 18:00 EDT; Monday 2026-11-02 08:00 is EST.
  EXPECT_EQ(Deadline("two-hours", UtcMs(2026, 10, 30, 22)), UtcMs(2026, 11, 2, 13));
}

TEST_F(SlaDeadlineTest, BusinessHoursAcrossTheSpringDstChange) {
  // Friday 2027-03-12 15:00 EST (UTC-5): four hours on Friday to 19:00; the
  // clocks go forward on Sunday 2027-03-14; four more from Monday 07:00 EDT
  // (UTC-4) -> 11:00 EDT, 15:00 UTC. Counting in UTC would give 16:00.
  EXPECT_EQ(Deadline("eight-hours", UtcMs(2027, 3, 12, 20)), UtcMs(2027, 3, 15, 15));
}

TEST_F(SlaDeadlineTest, BusinessHoursAcrossTheAutumnDstChangeOverSeveralDays) {
  // Thursday 2026-10-29 13:00 EDT (UTC-4): six hours to 19:00; Friday's
  // twelve; the clocks go back on Sunday 2026-11-01; six more from Monday
  // 07:00 EST (UTC-5) -> 13:00 EST, 18:00 UTC. Twenty-four hours in all.
  EXPECT_EQ(Deadline("twelve-hours", UtcMs(2026, 10, 29, 17)), UtcMs(2026, 10, 30, 17));
  EXPECT_EQ(catalog_->SlaDeadline(*catalog_->FindService("twelve-hours"),
                                  Deadline("twelve-hours", UtcMs(2026, 10, 29, 17))),
            UtcMs(2026, 11, 2, 18));
}

TEST_F(SlaDeadlineTest, CalendarDaysKeepLocalTimeAcrossTheDstChange) {
  // Thursday 2026-10-29 10:00 EDT + 10 days = Sunday 2026-11-08 10:00 EST:
  // 10 days and one hour of elapsed time.
  EXPECT_EQ(Deadline("ten-days", UtcMs(2026, 10, 29, 14)), UtcMs(2026, 11, 8, 15));
}

TEST_F(SlaDeadlineTest, CalendarDaysIgnoreHoursAndHolidays) {
  // Wednesday 2026-11-25 21:00 EST + 1 day = Thanksgiving 21:00 EST.
  EXPECT_EQ(Deadline("one-day", UtcMs(2026, 11, 26, 2)), UtcMs(2026, 11, 27, 2));
}

TEST_F(SlaDeadlineTest, RepeatedLocalTimeResolvesToTheEarlierInstant) {
  // Saturday 2026-10-31 01:30 EDT + 1 day = 01:30 on 2026-11-01, which
  // happens twice; the first (EDT) is the deadline.
  EXPECT_EQ(Deadline("one-day", UtcMs(2026, 10, 31, 5, 30)), UtcMs(2026, 11, 1, 5, 30));
}

TEST_F(SlaDeadlineTest, SkippedLocalTimeResolvesToTheChange) {
  // Saturday 2027-03-13 02:30 EST + 1 day = 02:30 on 2027-03-14, which does
  // not exist; clocks jump from 02:00 EST to 03:00 EDT at 07:00 UTC.
  EXPECT_EQ(Deadline("one-day", UtcMs(2027, 3, 13, 7, 30)), UtcMs(2027, 3, 14, 7));
}

}  // namespace
}  // namespace ledger::catalog
