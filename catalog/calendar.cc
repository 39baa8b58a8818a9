#include "catalog/calendar.h"

#include <array>
#include <cstdio>

#include <date/date.h>

namespace ledger::catalog {
namespace {

constexpr std::array<std::string_view, 7> kWeekdayNames = {"mon", "tue", "wed", "thu",
                                                          "fri", "sat", "sun"};

// The decimal value of `text` if it is exactly `digits` ASCII digits.
std::optional<int> Digits(std::string_view text, size_t digits) {
  if (text.size() != digits) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<int> ParseClock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  auto hour = Digits(text.substr(0, 2), 2);
  auto minute = Digits(text.substr(3, 2), 2);
  if (!hour || !minute || *minute > 59) return std::nullopt;
  int total = *hour * 60 + *minute;
  if (total > 24 * 60) return std::nullopt;
  return total;
}

std::string FormatClock(int minute) {
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d", minute / 60, minute % 60);
  return text;
}

std::optional<int> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = Digits(text.substr(0, 4), 4);
  auto month = Digits(text.substr(5, 2), 2);
  auto day = Digits(text.substr(8, 2), 2);
  if (!year || !month || !day) return std::nullopt;
  return DaysFromCivil(*year, *month, *day);
}

std::optional<int> DaysFromCivil(int year, int month, int day) {
  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (month < 1 || day < 1 || !ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

std::string FormatIsoDate(int days) {
  return date::format("%F", date::sys_days{date::days{days}});
}

std::optional<int> ParseWeekday(std::string_view name) {
  for (size_t i = 0; i < kWeekdayNames.size(); ++i)
    if (kWeekdayNames[i] == name) return static_cast<int>(i) + 1;
  return std::nullopt;
}

std::string_view WeekdayName(int iso_weekday) { return kWeekdayNames.at(iso_weekday - 1); }

}  // namespace ledger::catalog
