// SLA deadlines in the center's local time. Both units do their arithmetic
// on local wall-clock time and convert to UTC once at the end, so a
// deadline across a DST change keeps its local hour.

#include <algorithm>
#include <chrono>

#include <date/tz.h>

#include "catalog/catalog.h"

namespace ledger::catalog {
namespace {

using Millis = std::chrono::milliseconds;
using LocalMillis = date::local_time<Millis>;

bool IsWorkingDay(date::local_days day, const OpeningHours& hours, const std::set<int>& holidays) {
  const int weekday = static_cast<int>(date::weekday{day}.iso_encoding());
  return std::find(hours.weekdays.begin(), hours.weekdays.end(), weekday) != hours.weekdays.end() &&
         !holidays.contains(static_cast<int>(day.time_since_epoch().count()));
}

// Spends `amount` hours of opening time from `start` on, day by day; time
// before opening, after closing and on non-working days is skipped.
// REQUIRES: hours.weekdays not empty and open_minute < close_minute, so
// every week has opening time and the walk ends.
LocalMillis AddBusinessHours(LocalMillis start, int amount, const OpeningHours& hours,
                             const std::set<int>& holidays) {
  Millis remaining = std::chrono::hours{amount};
  LocalMillis cursor = start;
  for (;;) {
    const date::local_days day = date::floor<date::days>(cursor);
    if (IsWorkingDay(day, hours, holidays)) {
      const LocalMillis open = day + std::chrono::minutes{hours.open_minute};
      const LocalMillis close = day + std::chrono::minutes{hours.close_minute};
      cursor = std::max(cursor, open);
      if (cursor < close) {
        if (remaining <= close - cursor) return cursor + remaining;
        remaining -= close - cursor;
      }
    }
    cursor = day + date::days{1};
  }
}

}  // namespace

int64_t Catalog::SlaDeadline(const Service& service, int64_t submitted_ms) const {
  const date::sys_time<Millis> submitted{Millis{submitted_ms}};
  const LocalMillis local = zone_->to_local(submitted);
  LocalMillis due = local;
  switch (service.sla.unit) {
    case SlaUnit::kCalendarDays:
      due = local + date::days{service.sla.amount};
      break;
    case SlaUnit::kBusinessHours:
      due = AddBusinessHours(local, service.sla.amount, hours_, holiday_days_);
      break;
  }
  // A local time the autumn change repeats resolves to its first occurrence;
  // one the spring change skips resolves to the moment of the change.
  return zone_->to_sys(due, date::choose::earliest).time_since_epoch().count();
}

}  // namespace ledger::catalog
