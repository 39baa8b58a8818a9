// Catalog::Parse: reads the TOML document of config/catalog.toml (its shape
// is documented at the top of that file) and checks every rule, naming the
// origin, line and field of the first problem found.

#include <algorithm>
#include <array>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>

#include <date/tz.h>

#include "catalog/calendar.h"
#include "catalog/catalog.h"
#include "toml_reader/toml_reader.h"

namespace ledger::catalog {
namespace {

using base::ErrorCode;
using toml_reader::Quoted;
using toml_reader::Section;
using toml_reader::Shown;

constexpr std::array<std::string_view, 4> kPriorities = {"low", "normal", "high", "urgent"};
constexpr std::array<AttributeType, 7> kAttributeTypes = {
    AttributeType::kString,          AttributeType::kNumber, AttributeType::kInteger,
    AttributeType::kBoolean,         AttributeType::kDate,   AttributeType::kSingleValueList,
    AttributeType::kMultiValueList};
// Longer targets are typos, and a business-hour count walks day by day.
constexpr int64_t kMaxCalendarDays = 3650;
constexpr int64_t kMaxBusinessHours = 10000;

bool IsUpperOrDigit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [A-Z][A-Z0-9]{1,15}: department codes become topic names 311.dept.<code>.
bool IsDepartmentCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 16 || code[0] < 'A' || code[0] > 'Z') return false;
  for (char c : code)
    if (!IsUpperOrDigit(c)) return false;
  return true;
}

// [a-z0-9-]+: service codes appear in URLs and Open311 service_code.
bool IsServiceCode(std::string_view code) {
  if (code.empty()) return false;
  for (char c : code)
    if (!IsLowerOrDigit(c) && c != '-') return false;
  return true;
}

// [a-z][a-z0-9_]*: attribute codes are JSON keys and Open311 attribute[code] names.
bool IsAttributeCode(std::string_view code) {
  if (code.empty() || code[0] < 'a' || code[0] > 'z') return false;
  for (char c : code)
    if (!IsLowerOrDigit(c) && c != '_') return false;
  return true;
}

struct Center {
  std::string name;
  std::string time_zone;
  const date::time_zone* zone = nullptr;
  OpeningHours hours;
  std::vector<Holiday> holidays;
  std::set<int> holiday_days;
};

// Reads the catalog's sections (toml_reader::Reader keeps the first problem).
class CatalogReader : public toml_reader::Reader {
 public:
  using Reader::Reader;

  Center ReadCenter(const Section& top);
  std::vector<Department> ReadDepartments(const Section& top);
  std::vector<Service> ReadServices(const Section& top, const std::vector<Department>& departments);

 private:
  OpeningHours ReadHours(const Section& center);
  std::vector<Holiday> ReadHolidays(const Section& center, std::set<int>& days);
  std::optional<int> ReadHolidayDate(const Section& s);
  Service ReadService(Section s, const std::map<std::string, bool, std::less<>>& external);
  void ReadSla(const Section& s, SlaTarget& sla);
  int SlaAmount(const Section& s, std::string_view field, int64_t max);
  ServiceAttribute ReadAttribute(Section s, const std::string& service_where);

  int Clock(const Section& s, std::string_view field);
};

int CatalogReader::Clock(const Section& s, std::string_view field) {
  const std::string text = String(s, field, true);
  const std::optional<int> minute = ParseClock(text);
  if (!minute && !text.empty()) Fail(s, field, "must be a time \"HH:MM\", got " + Quoted(text));
  return minute.value_or(0);
}

Center CatalogReader::ReadCenter(const Section& top) {
  Center center;
  const toml::table* table = Table(top, "center", true);
  if (!table) return center;
  const Section s{*table, "center"};
  RejectUnknownFields(s, {"name", "time_zone", "hours", "holidays"});
  center.name = String(s, "name", true);
  center.time_zone = String(s, "time_zone", true);
  if (!center.time_zone.empty()) {
    try {
      center.zone = date::locate_zone(center.time_zone);
    } catch (const std::exception&) {
      Fail(s, "time_zone", "unknown time zone " + Quoted(center.time_zone));
    }
  }
  center.hours = ReadHours(s);
  center.holidays = ReadHolidays(s, center.holiday_days);
  return center;
}

OpeningHours CatalogReader::ReadHours(const Section& center) {
  OpeningHours hours;
  const toml::table* table = Table(center, "hours", true);
  if (!table) return hours;
  const Section s{*table, "center.hours"};
  RejectUnknownFields(s, {"open", "close", "weekdays"});
  hours.open_minute = Clock(s, "open");
  hours.close_minute = Clock(s, "close");
  if (ok() && hours.open_minute >= hours.close_minute)
    Fail(s, "close", "must be later than open (" + FormatClock(hours.open_minute) + ")");
  hours.weekdays.clear();
  for (const std::string& name : Strings(s, "weekdays")) {
    const std::optional<int> weekday = ParseWeekday(name);
    if (!weekday) {
      Fail(s, "weekdays", "unknown weekday " + Quoted(name) + " (mon, tue, ..., sun)");
    } else if (std::find(hours.weekdays.begin(), hours.weekdays.end(), *weekday) !=
               hours.weekdays.end()) {
      Fail(s, "weekdays", "weekday " + Quoted(name) + " listed twice");
    }
    hours.weekdays.push_back(weekday.value_or(0));
  }
  std::sort(hours.weekdays.begin(), hours.weekdays.end());
  return hours;
}

std::vector<Holiday> CatalogReader::ReadHolidays(const Section& center, std::set<int>& days) {
  std::vector<Holiday> holidays;
  int ordinal = 0;
  for (const toml::table* table : Tables(center, "holidays", false)) {
    Section s{*table, "center: holiday #" + std::to_string(++ordinal)};
    RejectUnknownFields(s, {"date", "name"});
    const std::optional<int> day = ReadHolidayDate(s);
    if (!day) continue;
    s.where = "center: holiday " + FormatIsoDate(*day);
    if (!days.insert(*day).second) Fail(s, "date", "listed twice");
    holidays.push_back(Holiday{FormatIsoDate(*day), String(s, "name", true)});
  }
  return holidays;
}

// A TOML local date (2026-12-25) or the same as a string ("2026-12-25").
std::optional<int> CatalogReader::ReadHolidayDate(const Section& s) {
  const toml::node* node = Field(s, "date", true);
  if (!node) return std::nullopt;
  std::optional<int> day;
  if (const auto* local = node->as_date()) {
    const toml::date& d = local->get();
    day = DaysFromCivil(d.year, d.month, d.day);
  } else if (const auto* text = node->as_string()) {
    day = ParseIsoDate(text->get());
  }
  if (!day) Fail(s, "date", "must be a date YYYY-MM-DD, got " + Shown(*node));
  return day;
}

std::vector<Department> CatalogReader::ReadDepartments(const Section& top) {
  std::vector<Department> departments;
  std::map<std::string, toml::source_index, std::less<>> first_line;
  int ordinal = 0;
  for (const toml::table* table : Tables(top, "departments", true)) {
    Section s{*table, "department #" + std::to_string(++ordinal)};
    Department department;
    department.code = String(s, "code", true);
    if (!department.code.empty()) {
      if (!IsDepartmentCode(department.code)) {
        Fail(s, "code", Quoted(department.code) +
                            " must match [A-Z][A-Z0-9]{1,15}: it names the topic 311.dept.<code>");
      }
      s.where = "department " + Quoted(department.code);
      const auto line = table->source().begin.line;
      if (auto [it, added] = first_line.emplace(department.code, line); !added)
        Fail(s, "code", "duplicate code, first defined on line " + std::to_string(it->second));
    }
    RejectUnknownFields(s, {"code", "name", "external"});
    department.name = String(s, "name", true);
    department.external = Bool(s, "external", false);
    departments.push_back(std::move(department));
  }
  return departments;
}

std::vector<Service> CatalogReader::ReadServices(const Section& top,
                                                 const std::vector<Department>& departments) {
  std::map<std::string, bool, std::less<>> external;
  for (const Department& department : departments) external[department.code] = department.external;
  std::vector<Service> services;
  std::map<std::string, toml::source_index, std::less<>> first_line;
  int ordinal = 0;
  for (const toml::table* table : Tables(top, "services", true)) {
    Section s{*table, "service #" + std::to_string(++ordinal)};
    Service service = ReadService(s, external);
    const auto line = table->source().begin.line;
    if (auto [it, added] = first_line.emplace(service.code, line); !added && ok()) {
      Fail(Section{*table, "service " + Quoted(service.code)}, "code",
           "duplicate code, first defined on line " + std::to_string(it->second));
    }
    services.push_back(std::move(service));
  }
  return services;
}

Service CatalogReader::ReadService(Section s,
                                   const std::map<std::string, bool, std::less<>>& external) {
  Service service;
  service.code = String(s, "code", true);
  if (!service.code.empty()) {
    if (!IsServiceCode(service.code))
      Fail(s, "code", Quoted(service.code) + " must match [a-z0-9-]+");
    s.where = "service " + Quoted(service.code);
  }
  ReadSla(s, service.sla);
  RejectUnknownFields(s, {"code", "name", "department", "group", "description",
                          "sla_calendar_days", "sla_business_hours", "priority", "attributes"});
  service.name = String(s, "name", true);
  service.department = String(s, "department", true);
  if (!service.department.empty()) {
    const auto it = external.find(service.department);
    if (it == external.end())
      Fail(s, "department", "unknown department " + Quoted(service.department));
    else if (it->second)
      Fail(s, "department", Quoted(service.department) +
                                " is an external agency: requests reach it only by transfer");
  }
  service.group = String(s, "group", false);
  service.description = String(s, "description", false);
  if (Field(s, "priority", false)) {
    service.default_priority = String(s, "priority", true);
    if (std::find(kPriorities.begin(), kPriorities.end(), service.default_priority) ==
        kPriorities.end()) {
      Fail(s, "priority", "unknown priority " + Quoted(service.default_priority) +
                              " (low, normal, high, urgent)");
    }
  }
  std::set<std::string, std::less<>> attribute_codes;
  int ordinal = 0;
  for (const toml::table* table : Tables(s, "attributes", false)) {
    const Section a{*table, s.where + ": attribute #" + std::to_string(++ordinal)};
    ServiceAttribute attribute = ReadAttribute(a, s.where);
    if (!attribute.code.empty() && !attribute_codes.insert(attribute.code).second) {
      Fail(Section{*table, s.where + ": attribute " + Quoted(attribute.code)}, "code",
           "duplicate attribute code");
    }
    service.attributes.push_back(std::move(attribute));
  }
  return service;
}

// Exactly one of sla_calendar_days / sla_business_hours; the key names the unit.
void CatalogReader::ReadSla(const Section& s, SlaTarget& sla) {
  for (auto&& [key, node] : s.table) {
    const std::string_view name = key.str();
    if (name.starts_with("sla_") && name != "sla_calendar_days" && name != "sla_business_hours") {
      Fail(s, name, "unknown SLA unit " + Quoted(name.substr(4)) +
                        " (use sla_calendar_days or sla_business_hours)");
    }
  }
  const bool days = s.table.contains("sla_calendar_days");
  const bool hours = s.table.contains("sla_business_hours");
  if (days && hours) {
    Fail(s, "sla_business_hours", "give sla_calendar_days or sla_business_hours, not both");
  } else if (!days && !hours) {
    Fail(s, "sla_calendar_days", "is required (or sla_business_hours)");
  } else if (days) {
    sla = {SlaUnit::kCalendarDays, SlaAmount(s, "sla_calendar_days", kMaxCalendarDays)};
  } else {
    sla = {SlaUnit::kBusinessHours, SlaAmount(s, "sla_business_hours", kMaxBusinessHours)};
  }
}

int CatalogReader::SlaAmount(const Section& s, std::string_view field, int64_t max) {
  return static_cast<int>(Integer(s, field, 1, max, true).value_or(0));
}

ServiceAttribute CatalogReader::ReadAttribute(Section s, const std::string& service_where) {
  ServiceAttribute attribute;
  attribute.code = String(s, "code", true);
  if (!attribute.code.empty()) {
    if (!IsAttributeCode(attribute.code))
      Fail(s, "code", Quoted(attribute.code) + " must match [a-z][a-z0-9_]*");
    s.where = service_where + ": attribute " + Quoted(attribute.code);
  }
  RejectUnknownFields(s, {"code", "description", "type", "required", "values"});
  attribute.description = String(s, "description", true);
  const std::string type = String(s, "type", true);
  const auto known = std::find_if(kAttributeTypes.begin(), kAttributeTypes.end(),
                                  [&](AttributeType t) { return AttributeTypeName(t) == type; });
  if (known != kAttributeTypes.end()) {
    attribute.type = *known;
  } else if (!type.empty()) {
    Fail(s, "type", "unknown type " + Quoted(type) +
                        " (string, number, integer, boolean, date, singlevaluelist, "
                        "multivaluelist)");
  }
  attribute.required = Bool(s, "required", false);
  const bool list = attribute.type == AttributeType::kSingleValueList ||
                    attribute.type == AttributeType::kMultiValueList;
  if (list) {
    attribute.values = Strings(s, "values");
    std::set<std::string_view> seen;
    for (const std::string& value : attribute.values)
      if (!seen.insert(value).second) Fail(s, "values", "value " + Quoted(value) + " listed twice");
  } else if (s.table.contains("values")) {
    Fail(s, "values", "only singlevaluelist and multivaluelist attributes take values");
  }
  return attribute;
}

}  // namespace

Result<std::shared_ptr<const Catalog>> Catalog::Parse(std::string_view toml_text,
                                                      std::string_view origin) {
  auto root = toml_reader::Parse(toml_text, origin);
  if (!root) return root.error();
  CatalogReader reader(origin);
  const Section top{*root, "catalog"};
  reader.RejectUnknownFields(top, {"center", "departments", "services"});
  Center center = reader.ReadCenter(top);
  std::vector<Department> departments = reader.ReadDepartments(top);
  std::vector<Service> services = reader.ReadServices(top, departments);
  if (!reader.ok()) return reader.error();

  std::shared_ptr<Catalog> catalog(new Catalog());  // private constructor: make_shared can't reach it
  catalog->center_name_ = std::move(center.name);
  catalog->time_zone_ = std::move(center.time_zone);
  catalog->zone_ = center.zone;
  catalog->hours_ = std::move(center.hours);
  catalog->holidays_ = std::move(center.holidays);
  catalog->holiday_days_ = std::move(center.holiday_days);
  catalog->departments_ = std::move(departments);
  catalog->services_ = std::move(services);
  for (size_t i = 0; i < catalog->departments_.size(); ++i)
    catalog->department_index_.emplace(catalog->departments_[i].code, i);
  for (size_t i = 0; i < catalog->services_.size(); ++i)
    catalog->service_index_.emplace(catalog->services_[i].code, i);
  return std::shared_ptr<const Catalog>(std::move(catalog));
}

}  // namespace ledger::catalog
