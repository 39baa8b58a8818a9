// Reports: periods cut to the range, ranges checked, and figures shown with
// their sample sizes and low-sample flags.
#include "performance/report.h"

#include <gtest/gtest.h>

namespace ledger::performance {
namespace {

std::vector<std::string> Starts(const DayRange& range, Granularity g, FiscalYearStart fiscal = {}) {
  std::vector<std::string> out;
  for (const auto& p : Periods(range, g, fiscal)) out.push_back(p.from + ".." + p.to);
  return out;
}

TEST(Report, PeriodsAreCutToTheRange) {
  EXPECT_EQ(Starts({"2026-12-30", "2027-01-12"}, Granularity::kWeek),
            (std::vector<std::string>{"2026-12-30..2027-01-03", "2027-01-04..2027-01-10", "2027-01-11..2027-01-12"}));
  EXPECT_EQ(Starts({"2026-12-15", "2027-02-01"}, Granularity::kMonth),
            (std::vector<std::string>{"2026-12-15..2026-12-31", "2027-01-01..2027-01-31", "2027-02-01..2027-02-01"}));
  EXPECT_EQ(Starts({"2028-02-28", "2028-03-01"}, Granularity::kDay),
            (std::vector<std::string>{"2028-02-28..2028-02-28", "2028-02-29..2028-02-29", "2028-03-01..2028-03-01"}));
  EXPECT_EQ(Starts({"0000-01-01", "0000-01-10"}, Granularity::kRange), (std::vector<std::string>{"0000-01-01..0000-01-10"}));
  EXPECT_EQ(Starts({"9999-12-20", "9999-12-31"}, Granularity::kMonth), (std::vector<std::string>{"9999-12-20..9999-12-31"}));
  EXPECT_EQ(Starts({"1969-12-28", "1970-01-05"}, Granularity::kWeek),
            (std::vector<std::string>{"1969-12-28..1969-12-28", "1969-12-29..1970-01-04", "1970-01-05..1970-01-05"}));
}

TEST(Report, FiscalYearsStartOnTheConfiguredDay) {
  EXPECT_EQ(Starts({"2026-05-15", "2027-07-02"}, Granularity::kFiscalYear),
            (std::vector<std::string>{"2026-05-15..2026-06-30", "2026-07-01..2027-06-30", "2027-07-01..2027-07-02"}));
  EXPECT_EQ(Starts({"2026-09-30", "2026-10-01"}, Granularity::kFiscalYear, {10, 1}),
            (std::vector<std::string>{"2026-09-30..2026-09-30", "2026-10-01..2026-10-01"}));
  EXPECT_EQ(Starts({"2027-12-31", "2028-03-01"}, Granularity::kFiscalYear, {1, 1}),
            (std::vector<std::string>{"2027-12-31..2027-12-31", "2028-01-01..2028-03-01"}));
  EXPECT_EQ(Starts({"9999-06-01", "9999-12-31"}, Granularity::kFiscalYear),
            (std::vector<std::string>{"9999-06-01..9999-06-30", "9999-07-01..9999-12-31"}));
}

TEST(Report, APeriodStartsOnItsFirstDay) {
  EXPECT_EQ(PeriodStart("2026-12-02", Granularity::kFiscalYear, {}), "2026-07-01");
  EXPECT_EQ(PeriodStart("2026-06-30", Granularity::kFiscalYear, {}), "2025-07-01");
  EXPECT_EQ(PeriodStart("2026-07-01", Granularity::kFiscalYear, {}), "2026-07-01");
  EXPECT_EQ(PeriodStart("2028-02-29", Granularity::kFiscalYear, {3, 1}), "2027-03-01");
  EXPECT_EQ(PeriodStart("2026-12-02", Granularity::kMonth, {}), "2026-12-01");
  EXPECT_EQ(PeriodStart("2026-12-02", Granularity::kWeek, {}), "2026-11-30") << "a Monday";
  EXPECT_EQ(PeriodStart("2026-12-02", Granularity::kDay, {}), "2026-12-02");
  EXPECT_EQ(PeriodStart("0000-03-01", Granularity::kFiscalYear, {}), "0000-01-01") << "no day before year 0";
  EXPECT_EQ(PeriodStart("0000-01-01", Granularity::kWeek, {}), "0000-01-01");
}

TEST(Report, AFiscalYearStartIsADayEveryYearHas) {
  auto start = ParseFiscalYearStart("10-01");
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->month, 10);
  EXPECT_EQ(start->day, 1);
  for (const std::string& bad : std::vector<std::string>{"02-29", "13-01", "00-10", "7-1", "07-01x", "", "04-31", std::string("07-0\0", 5)})
    EXPECT_FALSE(ParseFiscalYearStart(bad).ok()) << bad;
}

TEST(Report, RangesAreCheckedBeforeUse) {
  EXPECT_TRUE(CheckRange({"2026-01-01", "2026-12-31"}, "from", "to").ok());
  for (DayRange bad : std::vector<DayRange>{{"2026-02-29", "2026-03-01"},
                                            {"2026-1-01", "2026-03-01"},
                                            {"2026-03-02", "2026-03-01"},
                                            {"2000-01-01", "2026-03-01"},
                                            {"", ""},
                                            {std::string("2026-01-01\0", 11), "2026-01-02"}}) {
    auto checked = CheckRange(bad, "from", "to");
    EXPECT_FALSE(checked.ok()) << bad.from << " " << bad.to;
  }
  EXPECT_EQ(AddDays("2026-03-01", -1), "2026-02-28");
}

TEST(Report, FiguresCarryTheirSamples) {
  DayFigures f;
  f.closed = 40;
  f.sla_counted = 4;
  f.sla_met = 3;
  for (int i = 1; i <= 40; ++i) ASSERT_TRUE(f.time_to_close.Add(i * 1000).ok());
  std::map<std::string, Cell> cells;
  for (auto& [name, value] : FigureCells(f, 7, 30)) cells[name] = value;
  EXPECT_EQ(cells["backlog"], 7);
  EXPECT_EQ(cells["sla_met_share"], 0.75);
  EXPECT_EQ(cells["sla_met_share_sample"], 4);
  EXPECT_EQ(cells["time_to_close_sample"], 40);
  EXPECT_NEAR(cells["time_to_close_p50_seconds"].get<double>(), 20.0, 0.2);
  EXPECT_NEAR(cells["time_to_close_p90_seconds"].get<double>(), 36.0, 0.36);
  EXPECT_TRUE(cells["satisfaction_mean"].is_null()) << "no surveys";
  EXPECT_EQ(cells["low_sample"], (Cell{"first_response", "sla_met_share", "satisfaction"})) << "in column order";
}

}  // namespace
}  // namespace ledger::performance
