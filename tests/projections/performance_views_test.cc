// The performance views as the state store keeps them: folded with the
// requests in the same batches, read back by name and day range, with
// backlogs, overdue counts and channel rows that match what the city did.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "projections/state_layout.h"
#include "tests/projections/city.h"
#include "tests/projections/store_helpers.h"

namespace ledger::projections {
namespace {

using fixtures::ApplyInBatches;
using fixtures::ChecksumOf;
using fixtures::kDay;
using fixtures::kDepartments;
using fixtures::kMinute;
using fixtures::kT0;
using fixtures::OpenStore;
using fixtures::TempDir;
using performance::Dimension;
namespace types = events::types;

constexpr int kRequests = 60;
constexpr const char* kDay0 = "2026-03-02";  // kT0 is 04:00 in New York

// Where BuildCity leaves request i: its department, and whether it is closed.
std::string HolderOf(int i) { return kDepartments[(i % 5 == 0 ? i + 1 : i) % 4]; }
bool IsClosed(int i) { return i % 7 == 0; }

std::map<std::string, performance::DayFigures> ByName(const std::vector<DayRow>& rows) {
  std::map<std::string, performance::DayFigures> out;
  for (const auto& row : rows) out[row.name].Merge(row.figures);
  return out;
}

TEST(PerformanceViews, DepartmentDaysCountWhatTheCityDid) {
  TempDir dir;
  auto city = fixtures::BuildCity(kRequests);
  auto store = OpenStore(dir.Sub("state"));
  ApplyInBatches(*store, fixtures::Interleave(city.log.Requests(), city.log.Contacts(), 5, 3), 7);

  auto rows = store->DayRows(Dimension::kDepartment, "", "0000-01-01", "9999-12-31", std::nullopt);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_FALSE(rows->empty());
  for (const auto& row : *rows) EXPECT_EQ(row.day, kDay0) << row.name;
  auto by_department = ByName(*rows);
  std::map<std::string, uint64_t> opened, closed, in, out;
  std::map<std::string, int64_t> backlog;
  for (int i = 0; i < kRequests; ++i) {
    ++opened[kDepartments[i % 4]];
    if (i % 5 == 0) {
      ++out[kDepartments[i % 4]];
      ++in[HolderOf(i)];
    }
    if (IsClosed(i)) ++closed[HolderOf(i)];
    else ++backlog[HolderOf(i)];
  }
  for (const auto& department : kDepartments) {
    const auto& f = by_department[department];
    EXPECT_EQ(f.opened, opened[department]) << department;
    EXPECT_EQ(f.closed, closed[department]) << department;
    EXPECT_EQ(f.transferred_in, in[department]) << department;
    EXPECT_EQ(f.transferred_out, out[department]) << department;
    EXPECT_EQ(f.time_to_close.count(), closed[department]) << department;
    EXPECT_EQ(f.sla_counted, closed[department]) << "every request has a deadline";
    EXPECT_EQ(f.backlog_change, backlog[department]) << department;
  }

  auto backlogs = store->Backlogs(Dimension::kDepartment, "", "9999-12-31", std::nullopt);
  ASSERT_TRUE(backlogs.ok()) << backlogs.error().message;
  for (const auto& department : kDepartments)
    EXPECT_EQ((*backlogs)[department], backlog[department]) << department;
  auto before = store->Backlogs(Dimension::kDepartment, "DOT", "2026-03-01", std::nullopt);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->empty()) << "nothing was held before the first day";

  // Every request has a deadline 1-3 days on: overdue only once they pass.
  auto none = store->OverdueCounts("", kT0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto overdue = store->OverdueCounts("", kT0 + 10 * kDay);
  ASSERT_TRUE(overdue.ok()) << overdue.error().message;
  for (const auto& department : kDepartments)
    EXPECT_EQ((*overdue)[department], static_cast<uint64_t>(backlog[department])) << department;
  auto one = store->OverdueCounts("DPW", kT0 + 10 * kDay);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (std::map<std::string, uint64_t>{{"DPW", static_cast<uint64_t>(backlog["DPW"])}}));

  auto services = store->DayRows(Dimension::kService, "", kDay0, kDay0, std::nullopt);
  ASSERT_TRUE(services.ok());
  uint64_t opened_by_service = 0;
  for (const auto& [service, f] : ByName(*services)) opened_by_service += f.opened;
  EXPECT_EQ(opened_by_service, static_cast<uint64_t>(kRequests));
  auto areas = store->DayRows(Dimension::kArea, "", kDay0, kDay0, std::nullopt);
  ASSERT_TRUE(areas.ok());
  EXPECT_EQ(ByName(*areas)["unknown"].opened, static_cast<uint64_t>(kRequests)) << "the city's locations have no zip";

  auto channels = store->ChannelRows(kDay0, kDay0, std::nullopt);
  ASSERT_TRUE(channels.ok()) << channels.error().message;
  ASSERT_EQ(channels->size(), 1u);
  const auto& phone = channels->front();
  EXPECT_EQ(phone.name, "phone");
  EXPECT_EQ(phone.figures.contacts, static_cast<uint64_t>(kRequests + kRequests / 4));
  EXPECT_EQ(phone.figures.requests_created, static_cast<uint64_t>(kRequests));
  EXPECT_EQ(phone.figures.wait_ms_sum, phone.figures.contacts * 30'000);
}

TEST(PerformanceViews, RangesAndNamesSelectRows) {
  TempDir dir;
  fixtures::TestLog log;
  // One request a day for five days, in DOT.
  for (int d = 0; d < 5; ++d)
    log.Request("SR-" + std::to_string(d), types::kRequestSubmitted,
                fixtures::SubmittedData("pothole", d % 2 ? "DPW" : "DOT", kT0 + 10 * kDay), kT0 + d * kDay);
  auto store = OpenStore(dir.Sub("state"));
  ApplyInBatches(*store, log.Requests(), 2);
  auto days = [&](std::string_view name, std::string_view from, std::string_view to) {
    std::vector<std::string> out;
    auto rows = store->DayRows(Dimension::kDepartment, name, from, to, std::nullopt);
    EXPECT_TRUE(rows.ok());
    for (const auto& row : *rows) out.push_back(row.name + " " + row.day);
    return out;
  };
  EXPECT_EQ(days("DOT", "2026-03-03", "2026-03-06"), (std::vector<std::string>{"DOT 2026-03-04", "DOT 2026-03-06"}));
  EXPECT_EQ(days("", "2026-03-03", "2026-03-05"),
            (std::vector<std::string>{"DOT 2026-03-04", "DPW 2026-03-03", "DPW 2026-03-05"}));
  EXPECT_TRUE(days("DO", "0000-01-01", "9999-12-31").empty()) << "a name is matched whole";
  EXPECT_TRUE(days("", "2026-03-05", "2026-03-04").empty());
  auto backlogs = store->Backlogs(Dimension::kDepartment, "", "2026-03-04", std::nullopt);
  ASSERT_TRUE(backlogs.ok());
  EXPECT_EQ(*backlogs, (std::map<std::string, int64_t>{{"DOT", 2}, {"DPW", 1}}));
}

// A late event (appended now, happened days ago) changes the day it
// happened on, and the live store and a rebuild agree byte for byte.
TEST(PerformanceViews, ALateEventChangesItsOwnDayAndRebuildsAgree) {
  TempDir dir;
  fixtures::TestLog log;
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0);
  log.Request("SR-2", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", kT0 + kDay),
              kT0 + 5 * kDay);
  log.Request("SR-1", types::kRequestClosed, {{"resolution_code", "done"}}, kT0 + 2 * kDay);  // late
  auto live = OpenStore(dir.Sub("live"));
  ApplyInBatches(*live, log.Requests(), 1);
  auto rows = live->DayRows(Dimension::kDepartment, "DOT", "0000-01-01", "9999-12-31", std::nullopt);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1].day, "2026-03-04");
  EXPECT_EQ((*rows)[1].figures.closed, 1u);
  EXPECT_EQ((*rows)[1].figures.sla_counted, 1u);
  EXPECT_EQ((*rows)[1].figures.sla_met, 0u) << "closed a day after its deadline";
  EXPECT_EQ((*rows)[2].figures.opened, 1u);
  EXPECT_EQ((*rows)[2].figures.closed, 0u);

  auto rebuilt = OpenStore(dir.Sub("rebuilt"), OpenMode::kRebuild);
  ApplyInBatches(*rebuilt, log.Requests(), 3);
  EXPECT_EQ(ChecksumOf(*rebuilt), ChecksumOf(*live));
}

// A view row that does not decode stops the batch: nothing of it is written.
// As of a time, the views are folded from the events appended by then:
// a late close appended after it is taken back from the day it changed,
// a request appended after it is absent, and the backlog and channel rows
// follow; the rows by append time rebuild byte for byte in other batches.
TEST(PerformanceViews, AsOfATimeTheViewsAreTheEventsAppendedByThen) {
  TempDir dir;
  fixtures::TestLog log;
  constexpr int64_t kFirst = kT0 + kMinute, kSecond = kT0 + 2 * kMinute, kLate = kT0 + 5 * kDay;
  log.AppendAt(kFirst);
  log.Contact("CT-1", {{"channel", "phone"}, {"outcome", "request_created"}}, kT0);
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0,
              "phone");
  log.AppendAt(kSecond);
  log.Request("SR-2", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0,
              "phone");
  log.AppendAt(kLate);  // recorded days later, for the first day
  log.Request("SR-1", types::kRequestClosed, {{"resolution_code", "done"}}, kT0 + kMinute);
  log.Request("SR-3", types::kRequestSubmitted, fixtures::SubmittedData("graffiti", "DPW", kT0 + 9 * kDay),
              kT0 + 4 * kDay);
  auto live = OpenStore(dir.Sub("live"));
  ApplyInBatches(*live, fixtures::Interleave(log.Requests(), log.Contacts(), 1, 1), 1);

  auto dot = [&](std::optional<int64_t> as_of) {
    auto rows = live->DayRows(Dimension::kDepartment, "DOT", "0000-01-01", "9999-12-31", as_of);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows : std::vector<DayRow>{};
  };
  auto now = dot(std::nullopt);
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].figures.opened, 2u);
  EXPECT_EQ(now[0].figures.closed, 1u);
  auto then = dot(kSecond);
  ASSERT_EQ(then.size(), 1u);
  EXPECT_EQ(then[0].day, kDay0);
  EXPECT_EQ(then[0].figures.opened, 2u);
  EXPECT_EQ(then[0].figures.closed, 0u) << "the close was appended later";
  EXPECT_EQ(then[0].figures.time_to_close.count(), 0u);
  EXPECT_EQ(then[0].figures.backlog_change, 2);
  EXPECT_EQ(dot(kLate - 1)[0].figures, then[0].figures) << "nothing appended between";
  EXPECT_EQ(dot(kLate)[0].figures, now[0].figures) << "at the late append time it counts";
  auto first = dot(kFirst);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].figures.opened, 1u);
  EXPECT_TRUE(dot(kFirst - 1).empty()) << "nothing was appended yet";
  EXPECT_TRUE(dot(-62'135'596'800'000).empty());

  auto all_then = live->DayRows(Dimension::kDepartment, "", "0000-01-01", "9999-12-31", kSecond);
  ASSERT_TRUE(all_then.ok());
  ASSERT_EQ(all_then->size(), 1u) << "DPW's request was appended later";
  auto backlogs = live->Backlogs(Dimension::kDepartment, "", "9999-12-31", kSecond);
  ASSERT_TRUE(backlogs.ok());
  EXPECT_EQ((*backlogs)["DOT"], 2);
  EXPECT_EQ((*backlogs)["DPW"], 0);
  auto backlogs_now = live->Backlogs(Dimension::kDepartment, "", "9999-12-31", std::nullopt);
  ASSERT_TRUE(backlogs_now.ok());
  EXPECT_EQ((*backlogs_now)["DOT"], 1);
  EXPECT_EQ((*backlogs_now)["DPW"], 1);
  auto service_then = live->DayRows(Dimension::kService, "pothole", kDay0, kDay0, kFirst);
  ASSERT_TRUE(service_then.ok());
  ASSERT_EQ(service_then->size(), 1u);
  EXPECT_EQ(service_then->front().figures.opened, 1u);
  auto channels_then = live->ChannelRows(kDay0, kDay0, kFirst);
  ASSERT_TRUE(channels_then.ok());
  ASSERT_EQ(channels_then->size(), 1u);
  EXPECT_EQ(channels_then->front().figures.contacts, 1u);
  EXPECT_EQ(channels_then->front().figures.requests_created, 1u);
  auto channels_now = live->ChannelRows(kDay0, kDay0, std::nullopt);
  ASSERT_TRUE(channels_now.ok());
  EXPECT_EQ(channels_now->front().figures.requests_created, 2u);

  auto rebuilt = OpenStore(dir.Sub("rebuilt"), OpenMode::kRebuild);
  ApplyInBatches(*rebuilt, fixtures::Interleave(log.Requests(), log.Contacts(), 3, 1), 4);
  EXPECT_EQ(ChecksumOf(*rebuilt), ChecksumOf(*live));
}

// Late events for a day, folded while readers ask for that day as of a
// time before them: every answer is the day as it stood then, none fails
// (the rows and the changes after as_of come from one snapshot).
TEST(PerformanceViews, AsOfAnswersHoldWhileLateEventsAreFolded) {
  TempDir dir;
  fixtures::TestLog log;
  constexpr int64_t kFirst = kT0 + kMinute;
  constexpr int kLate = 300;
  log.AppendAt(kFirst);
  log.Request("SR-0", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0, "phone");
  for (int i = 1; i <= kLate; ++i) {
    log.AppendAt(kT0 + kDay + i);
    log.Request("SR-" + std::to_string(i), types::kRequestSubmitted,
                fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0, "phone");
  }
  auto store = OpenStore(dir.Sub("state"));
  const auto& events = log.Requests();
  ASSERT_TRUE(store->ApplyBatch({events[0]}).ok());
  std::atomic<bool> folding = true;
  std::thread writer([&] {
    for (size_t i = 1; i < events.size(); ++i) EXPECT_TRUE(store->ApplyBatch({events[i]}).ok());
    folding = false;
  });
  int answers = 0, violations = 0;
  while (folding || answers < 100) {
    auto rows = store->DayRows(Dimension::kDepartment, "DOT", kDay0, kDay0, kFirst);
    auto backlogs = store->Backlogs(Dimension::kDepartment, "DOT", kDay0, kFirst);
    ++answers;
    bool held = rows.ok() && rows->size() == 1 && rows->front().figures.opened == 1 && backlogs.ok() &&
                (*backlogs)["DOT"] == 1;
    if (!held) ++violations;
  }
  writer.join();
  EXPECT_EQ(violations, 0) << "of " << answers << " answers";
  auto now = store->DayRows(Dimension::kDepartment, "DOT", kDay0, kDay0, std::nullopt);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->front().figures.opened, uint64_t(kLate + 1));
}

// Events of one append time split over two batches add up in one change row.
TEST(PerformanceViews, ChangesOfOneAppendTimeAcrossBatchesAddUp) {
  TempDir dir;
  fixtures::TestLog log;
  log.AppendAt(kT0);
  for (int i = 0; i < 6; ++i)
    log.Request("SR-" + std::to_string(i), types::kRequestSubmitted,
                fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0);
  auto one = OpenStore(dir.Sub("one"));
  ApplyInBatches(*one, log.Requests(), 6);
  auto split = OpenStore(dir.Sub("split"));
  ApplyInBatches(*split, log.Requests(), 4);
  EXPECT_EQ(ChecksumOf(*split), ChecksumOf(*one));
  auto rows = split->DayRows(Dimension::kDepartment, "DOT", kDay0, kDay0, kT0);
  ASSERT_TRUE(rows.ok() && rows->size() == 1u);
  EXPECT_EQ(rows->front().figures.opened, 6u);
  auto before = split->DayRows(Dimension::kDepartment, "DOT", kDay0, kDay0, kT0 - 1);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->empty());
}

TEST(PerformanceViews, ADamagedViewRowRefusesTheBatch) {
  TempDir dir;
  fixtures::TestLog log;
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("pothole", "DOT", kT0 + kDay), kT0);
  log.Request("SR-1", types::kRequestClosed, {{"resolution_code", "done"}}, kT0 + kMinute);
  std::string path = dir.Sub("state");
  {
    auto store = OpenStore(path);
    ApplyInBatches(*store, {log.Requests()[0]}, 1);
  }
  ledger::testing::PutInColumn(path, layout::ColumnName(layout::Column::kDeptDay),
                               performance::RowKey({"DOT", kDay0}), "\x07garbage");
  auto store = OpenStore(path);
  auto positions = store->Positions();
  auto applied = store->ApplyBatch({log.Requests()[1]});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, base::ErrorCode::kCorruption);
  EXPECT_NE(applied.error().message.find("dept_day row of DOT on 2026-03-02"), std::string::npos)
      << applied.error().message;
  EXPECT_EQ(store->Positions(), positions);
  auto state = store->GetRequest("SR-1");
  ASSERT_TRUE(state.ok() && *state);
  EXPECT_EQ((*state)->state.status, "open");
}

}  // namespace
}  // namespace ledger::projections
