#include "catalog/catalog.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <date/tz.h>

#include "catalog/calendar.h"

namespace ledger::catalog {

const char* SlaUnitName(SlaUnit unit) {
  switch (unit) {
    case SlaUnit::kCalendarDays:
      return "calendar_days";
    case SlaUnit::kBusinessHours:
      return "business_hours";
  }
  return "calendar_days";
}

const char* AttributeTypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return "string";
    case AttributeType::kNumber:
      return "number";
    case AttributeType::kInteger:
      return "integer";
    case AttributeType::kBoolean:
      return "boolean";
    case AttributeType::kDate:
      return "date";
    case AttributeType::kSingleValueList:
      return "singlevaluelist";
    case AttributeType::kMultiValueList:
      return "multivaluelist";
  }
  return "string";
}

Result<std::shared_ptr<const Catalog>> Catalog::Load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  if (file) text << file.rdbuf();
  if (!file || file.bad()) {
    return base::MakeError(base::ErrorCode::kIo,
                             "cannot read catalog " + path + ": " + std::strerror(errno));
  }
  return Parse(text.str(), path);
}

const Department* Catalog::FindDepartment(std::string_view code) const {
  const auto it = department_index_.find(code);
  return it == department_index_.end() ? nullptr : &departments_[it->second];
}

const Service* Catalog::FindService(std::string_view code) const {
  const auto it = service_index_.find(code);
  return it == service_index_.end() ? nullptr : &services_[it->second];
}

std::string Catalog::LocalDate(int64_t time_ms) const {
  const date::sys_time<std::chrono::milliseconds> instant{std::chrono::milliseconds{time_ms}};
  const date::local_days day = date::floor<date::days>(zone_->to_local(instant));
  return FormatIsoDate(static_cast<int>(day.time_since_epoch().count()));
}

namespace {

Json CenterJson(const std::string& name, const std::string& time_zone, const OpeningHours& hours,
                const std::vector<Holiday>& holidays) {
  Json weekdays = Json::array();
  for (int weekday : hours.weekdays) weekdays.push_back(WeekdayName(weekday));
  Json holiday_list = Json::array();
  for (const Holiday& holiday : holidays)
    holiday_list.push_back({{"date", holiday.date}, {"name", holiday.name}});
  return {{"name", name},
          {"time_zone", time_zone},
          {"hours",
           {{"open", FormatClock(hours.open_minute)},
            {"close", FormatClock(hours.close_minute)},
            {"weekdays", std::move(weekdays)}}},
          {"holidays", std::move(holiday_list)}};
}

Json ServiceJson(const Service& service) {
  Json attributes = Json::array();
  for (const ServiceAttribute& attribute : service.attributes) {
    attributes.push_back({{"code", attribute.code},
                          {"description", attribute.description},
                          {"type", AttributeTypeName(attribute.type)},
                          {"required", attribute.required},
                          {"values", attribute.values}});
  }
  return {{"code", service.code},
          {"name", service.name},
          {"department", service.department},
          {"group", service.group},
          {"description", service.description},
          {"sla", {{"unit", SlaUnitName(service.sla.unit)}, {"amount", service.sla.amount}}},
          {"priority", service.default_priority},
          {"attributes", std::move(attributes)}};
}

}  // namespace

Json Catalog::ToJson() const {
  Json departments = Json::array();
  for (const Department& department : departments_) {
    departments.push_back(
        {{"code", department.code}, {"name", department.name}, {"external", department.external}});
  }
  Json services = Json::array();
  for (const Service& service : services_) services.push_back(ServiceJson(service));
  return {{"center", CenterJson(center_name_, time_zone_, hours_, holidays_)},
          {"departments", std::move(departments)},
          {"services", std::move(services)}};
}

}  // namespace ledger::catalog
