#pragma once
// Text forms of the center's calendar, shared by the TOML reader, the
// attribute checks and ToJson: "07:00" clock times, "2026-12-25" dates and
// "mon".."sun" weekdays. The performance reports (performance/) count
// days with it too.

#include <optional>
#include <string>
#include <string_view>

namespace ledger::catalog {

// Minutes after midnight of "HH:MM", 00:00 through 24:00; nullopt if malformed.
std::optional<int> ParseClock(std::string_view text);
std::string FormatClock(int minute);

// Days since 1970-01-01 of "YYYY-MM-DD"; nullopt if malformed or no such day
// (2026-02-30).
std::optional<int> ParseIsoDate(std::string_view text);
std::optional<int> DaysFromCivil(int year, int month, int day);
std::string FormatIsoDate(int days);

// ISO weekday, 1 = "mon" .. 7 = "sun"; nullopt for any other name.
std::optional<int> ParseWeekday(std::string_view name);
std::string_view WeekdayName(int iso_weekday);

}  // namespace ledger::catalog
