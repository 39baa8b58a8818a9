#pragma once
// The service catalog of a center: departments (and outside agencies that
// requests can be transferred to), service types with their department,
// SLA target and attributes, and the center's calendar (time zone, opening
// hours, holidays) that business-hour SLAs count in. Loaded from TOML
// (config/catalog.toml); immutable once loaded.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "base/result.h"

namespace date {
class time_zone;
}

namespace ledger::catalog {

using events::Json;
using base::Result;

struct Department {
  std::string code;  // "DOT": upper-case letters and digits, used in topic names
  std::string name;  // "Department of Transportation"
  bool external = false;  // an outside agency: only a transfer target
};

enum class SlaUnit { kCalendarDays, kBusinessHours };

struct SlaTarget {
  SlaUnit unit = SlaUnit::kCalendarDays;
  int amount = 0;  // > 0
};

enum class AttributeType { kString, kNumber, kInteger, kBoolean, kDate, kSingleValueList, kMultiValueList };

// The names used in catalog.toml and in ToJson: "calendar_days",
// "business_hours"; "string", "number", ..., "multivaluelist".
const char* SlaUnitName(SlaUnit unit);
const char* AttributeTypeName(AttributeType type);

struct ServiceAttribute {
  std::string code;         // "items"
  std::string description;  // "Items to pick up"
  AttributeType type = AttributeType::kString;
  bool required = false;
  std::vector<std::string> values;  // allowed values for list types
};

struct Service {
  std::string code;        // "bulk-trash"
  std::string name;        // "Bulk trash pickup"
  std::string department;  // Department::code (never external)
  std::string group;       // Open311 group, e.g. "Streets"
  std::string description;
  SlaTarget sla;
  std::string default_priority = "normal";  // low | normal | high | urgent
  std::vector<ServiceAttribute> attributes;
};

struct OpeningHours {
  int open_minute = 7 * 60;    // minutes after local midnight
  int close_minute = 19 * 60;  // exclusive
  std::vector<int> weekdays = {1, 2, 3, 4, 5};  // ISO: 1 = Monday .. 7 = Sunday
};

struct Holiday {
  std::string date;  // local date "2026-12-25"
  std::string name;
};

class Catalog {
 public:
  // Parses TOML text. On any error returns kInvalidArgument whose message
  // names the origin, line and field: "catalog.toml:42: service 'bulk-trash':
  // field 'department': unknown department 'DPWX'".
  static Result<std::shared_ptr<const Catalog>> Parse(std::string_view toml_text,
                                                      std::string_view origin);
  // Reads and parses a file (its path is the origin in messages); kIo if it
  // cannot be read.
  static Result<std::shared_ptr<const Catalog>> Load(const std::string& path);

  const std::string& center_name() const { return center_name_; }
  const std::string& time_zone() const { return time_zone_; }  // IANA, e.g. "America/New_York"
  const OpeningHours& hours() const { return hours_; }
  const std::vector<Holiday>& holidays() const { return holidays_; }
  const std::vector<Department>& departments() const { return departments_; }
  const std::vector<Service>& services() const { return services_; }

  const Department* FindDepartment(std::string_view code) const;
  const Service* FindService(std::string_view code) const;

  // The SLA deadline (UTC ms) of a request for `service` submitted at
  // `submitted_ms`. Calendar days: the same local wall-clock time N days
  // later. Business hours: N hours counted only inside opening hours on
  // working days that are not holidays, in the center's time zone; a request
  // submitted outside them starts counting at the next opening. A local time
  // the autumn DST change repeats resolves to its earlier instant.
  // REQUIRES: `service` is valid (amount > 0), e.g. one of services().
  int64_t SlaDeadline(const Service& service, int64_t submitted_ms) const;

  // The center's local calendar date of an instant, "2026-11-23": the day a
  // contact or request counts towards in daily statistics.
  std::string LocalDate(int64_t time_ms) const;

  // Checks a request's service attributes against the service definition:
  // required ones present, types and list values right, no unknown codes.
  // kInvalidArgument naming the attribute.
  base::Status ValidateAttributes(const Service& service, const Json& attributes) const;

  // The catalog as JSON for GET /v1/catalog.
  Json ToJson() const;

 private:
  Catalog() = default;  // only Parse builds one: every Catalog has a valid zone

  std::string center_name_;
  std::string time_zone_;
  OpeningHours hours_;
  std::vector<Holiday> holidays_;
  std::vector<Department> departments_;
  std::vector<Service> services_;
  std::map<std::string, size_t, std::less<>> department_index_;
  std::map<std::string, size_t, std::less<>> service_index_;
  const date::time_zone* zone_ = nullptr;  // resolved once at load; owned by the tz database
  std::set<int> holiday_days_;             // days since 1970-01-01, local dates
};

}  // namespace ledger::catalog
