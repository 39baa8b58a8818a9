// Broken catalogs are refused with a message that names the origin, the
// line and the field. Each case marks the line the message must name with
// a "# <-" comment.

#include <string>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_support.h"

namespace ledger::catalog {
namespace {

using testing::kCenter;

constexpr const char* kDepartments = R"([[departments]]
code = "DOT"
name = "Transportation"
[[departments]]
code = "SHA"
name = "State Highways"
external = true
)";

constexpr const char* kServices = R"([[services]]
code = "pothole"
name = "Pothole"
department = "DOT"
sla_business_hours = 72
)";

struct BrokenCatalog {
  const char* label;
  std::string toml;
  const char* message;  // what follows "catalog.toml:<marked line>: "
};

void PrintTo(const BrokenCatalog& c, std::ostream* os) { *os << c.label; }

// The 1-based line holding the "# <-" marker.
int MarkedLine(const std::string& toml) {
  const size_t marker = toml.find("# <-");
  if (marker == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(toml.begin(), toml.begin() + marker, '\n'));
}

std::string WithCenter(const std::string& center) { return center + kDepartments + kServices; }
std::string WithDepartments(const std::string& departments) {
  return kCenter + departments + kServices;
}
std::string WithServices(const std::string& services) {
  return std::string(kCenter) + kDepartments + services;
}

const BrokenCatalog kBrokenCatalogs[] = {
    {"TomlSyntax", WithServices("[[services]]\ncode = \"pothole # <-\n"), ""},
    {"UnknownTimeZone",
     WithCenter("[center]\nname = \"X\"\ntime_zone = \"Mars/Base\" # <-\n"
                "[center.hours]\nopen = \"07:00\"\nclose = \"19:00\"\nweekdays = [\"mon\"]\n"),
     "center: field 'time_zone': unknown time zone 'Mars/Base'"},
    {"MissingCenterName",
     WithCenter("[center] # <-\ntime_zone = \"America/New_York\"\n"
                "[center.hours]\nopen = \"07:00\"\nclose = \"19:00\"\nweekdays = [\"mon\"]\n"),
     "center: field 'name': is required"},
    {"MalformedOpeningTime",
     WithCenter("[center]\nname = \"X\"\ntime_zone = \"America/New_York\"\n"
                "[center.hours]\nopen = \"7am\" # <-\nclose = \"19:00\"\nweekdays = [\"mon\"]\n"),
     "center.hours: field 'open': must be a time \"HH:MM\", got '7am'"},
    {"CloseBeforeOpen",
     WithCenter("[center]\nname = \"X\"\ntime_zone = \"America/New_York\"\n"
                "[center.hours]\nopen = \"19:00\"\nclose = \"07:00\" # <-\nweekdays = [\"mon\"]\n"),
     "center.hours: field 'close': must be later than open (19:00)"},
    {"UnknownWeekday",
     WithCenter("[center]\nname = \"X\"\ntime_zone = \"America/New_York\"\n"
                "[center.hours]\nopen = \"07:00\"\nclose = \"19:00\"\n"
                "weekdays = [\"mon\", \"funday\"] # <-\n"),
     "center.hours: field 'weekdays': unknown weekday 'funday'"},
    {"ImpossibleHolidayDate",
     std::string(kCenter) + "[[center.holidays]]\ndate = \"2026-02-30\" # <-\nname = \"X\"\n" +
         kDepartments + kServices,
     "center: holiday #1: field 'date': must be a date YYYY-MM-DD, got '2026-02-30'"},
    {"HolidayListedTwice",
     std::string(kCenter) + "[[center.holidays]]\ndate = 2026-12-25\nname = \"Christmas\"\n" +
         "[[center.holidays]]\ndate = 2026-12-25 # <-\nname = \"Christmas again\"\n" +
         kDepartments + kServices,
     "center: holiday 2026-12-25: field 'date': listed twice"},
    {"LowerCaseDepartmentCode",
     WithDepartments("[[departments]]\ncode = \"dot\" # <-\nname = \"Transportation\"\n"),
     "department #1: field 'code': 'dot' must match [A-Z][A-Z0-9]{1,15}"},
    {"DepartmentCodeTooLong",
     WithDepartments("[[departments]]\ncode = \"DOTDOTDOTDOTDOTDO\" # <-\nname = \"T\"\n"),
     "department #1: field 'code': 'DOTDOTDOTDOTDOTDO' must match [A-Z][A-Z0-9]{1,15}"},
    {"DuplicateDepartment",
     WithDepartments(std::string(kDepartments) + "[[departments]]\ncode = \"DOT\" # <-\nname = \"Y\"\n"),
     "department 'DOT': field 'code': duplicate code, first defined on line 8"},
    {"DepartmentWithoutName", WithDepartments("[[departments]] # <-\ncode = \"DOT\"\n"),
     "department 'DOT': field 'name': is required"},
    {"ExternalNotABoolean",
     WithDepartments("[[departments]]\ncode = \"DOT\"\nname = \"T\"\nexternal = \"yes\" # <-\n"),
     "department 'DOT': field 'external': must be true or false, got 'yes'"},
    {"NoServices", std::string("# <- the document itself\n") + kCenter + kDepartments,
     "catalog: field 'services': is required"},
    {"UnknownDepartment",
     WithServices("[[services]]\ncode = \"bulk-trash\"\nname = \"Bulk trash\"\n"
                  "department = \"DPWX\" # <-\nsla_calendar_days = 7\n"),
     "service 'bulk-trash': field 'department': unknown department 'DPWX'"},
    {"ServiceOfExternalAgency",
     WithServices("[[services]]\ncode = \"state-road\"\nname = \"State road\"\n"
                  "department = \"SHA\" # <-\nsla_calendar_days = 7\n"),
     "service 'state-road': field 'department': 'SHA' is an external agency"},
    {"ServiceWithoutName",
     WithServices("[[services]] # <-\ncode = \"pothole\"\ndepartment = \"DOT\"\n"
                  "sla_calendar_days = 7\n"),
     "service 'pothole': field 'name': is required"},
    {"BadServiceCode",
     WithServices("[[services]]\ncode = \"Bulk_Trash\" # <-\nname = \"B\"\ndepartment = \"DOT\"\n"
                  "sla_calendar_days = 7\n"),
     "service #1: field 'code': 'Bulk_Trash' must match [a-z0-9-]+"},
    {"DuplicateService",
     WithServices(std::string(kServices) + "[[services]]\ncode = \"pothole\" # <-\nname = \"P\"\n" +
                  "department = \"DOT\"\nsla_calendar_days = 1\n"),
     "service 'pothole': field 'code': duplicate code, first defined on line 15"},
    {"ZeroSlaAmount",
     WithServices("[[services]]\ncode = \"pothole\"\nname = \"P\"\ndepartment = \"DOT\"\n"
                  "sla_calendar_days = 0 # <-\n"),
     "service 'pothole': field 'sla_calendar_days': must be between 1 and 3650, got 0"},
    {"NegativeSlaAmount",
     WithServices("[[services]]\ncode = \"pothole\"\nname = \"P\"\ndepartment = \"DOT\"\n"
                  "sla_business_hours = -8 # <-\n"),
     "service 'pothole': field 'sla_business_hours': must be between 1 and 10000, got -8"},
    {"UnknownSlaUnit",
     WithServices("[[services]]\ncode = \"pothole\"\nname = \"P\"\ndepartment = \"DOT\"\n"
                  "sla_weeks = 2 # <-\n"),
     "service 'pothole': field 'sla_weeks': unknown SLA unit 'weeks'"},
    {"TwoSlaUnits",
     WithServices("[[services]]\ncode = \"pothole\"\nname = \"P\"\ndepartment = \"DOT\"\n"
                  "sla_calendar_days = 3\nsla_business_hours = 72 # <-\n"),
     "service 'pothole': field 'sla_business_hours': give sla_calendar_days or "
     "sla_business_hours, not both"},
    {"NoSla",
     WithServices("[[services]] # <-\ncode = \"pothole\"\nname = \"P\"\ndepartment = \"DOT\"\n"),
     "service 'pothole': field 'sla_calendar_days': is required (or sla_business_hours)"},
    {"UnknownPriority",
     WithServices("[[services]]\ncode = \"pothole\"\nname = \"P\"\ndepartment = \"DOT\"\n"
                  "sla_calendar_days = 3\npriority = \"asap\" # <-\n"),
     "service 'pothole': field 'priority': unknown priority 'asap'"},
    {"MisspeltField",
     WithServices("[[services]]\ncode = \"pothole\"\nname = \"P\"\ndepartmnet = \"DOT\" # <-\n"
                  "sla_calendar_days = 3\n"),
     "service 'pothole': field 'departmnet': unknown field"},
    {"UnknownAttributeType",
     WithServices(std::string(kServices) + "[[services.attributes]]\ncode = \"size\"\n" +
                  "description = \"Size\"\ntype = \"color\" # <-\n"),
     "service 'pothole': attribute 'size': field 'type': unknown type 'color'"},
    {"ListAttributeWithoutValues",
     WithServices(std::string(kServices) + "[[services.attributes]] # <-\ncode = \"size\"\n" +
                  "description = \"Size\"\ntype = \"singlevaluelist\"\n"),
     "service 'pothole': attribute 'size': field 'values': is required"},
    {"ListAttributeWithEmptyValues",
     WithServices(std::string(kServices) + "[[services.attributes]]\ncode = \"size\"\n" +
                  "description = \"Size\"\ntype = \"multivaluelist\"\nvalues = [] # <-\n"),
     "service 'pothole': attribute 'size': field 'values': must not be empty"},
    {"ValuesOnAStringAttribute",
     WithServices(std::string(kServices) + "[[services.attributes]]\ncode = \"size\"\n" +
                  "description = \"Size\"\ntype = \"string\"\nvalues = [\"a\"] # <-\n"),
     "service 'pothole': attribute 'size': field 'values': only singlevaluelist and "
     "multivaluelist attributes take values"},
    {"DuplicateAttribute",
     WithServices(std::string(kServices) +
                  "[[services.attributes]]\ncode = \"size\"\ndescription = \"S\"\n" +
                  "type = \"string\"\n[[services.attributes]]\ncode = \"size\" # <-\n" +
                  "description = \"S\"\ntype = \"integer\"\n"),
     "service 'pothole': attribute 'size': field 'code': duplicate attribute code"},
};

class BrokenCatalogTest : public ::testing::TestWithParam<BrokenCatalog> {};

TEST_P(BrokenCatalogTest, IsRefusedNamingLineAndField) {
  const BrokenCatalog& c = GetParam();
  const int line = MarkedLine(c.toml);
  ASSERT_GT(line, 0) << "case without a # <- marker";
  auto catalog = Catalog::Parse(c.toml, "catalog.toml");
  ASSERT_FALSE(catalog.ok()) << c.toml;
  EXPECT_EQ(catalog.error().code, base::ErrorCode::kInvalidArgument);
  const std::string expected = "catalog.toml:" + std::to_string(line) + ": " + c.message;
  EXPECT_EQ(catalog.error().message.substr(0, expected.size()), expected)
      << "got: " << catalog.error().message;
}

INSTANTIATE_TEST_SUITE_P(Catalog, BrokenCatalogTest, ::testing::ValuesIn(kBrokenCatalogs),
                         [](const auto& info) { return std::string(info.param.label); });

TEST(Catalog, MinimalCatalogParses) {
  auto catalog = Catalog::Parse(std::string(kCenter) + kDepartments + kServices, "catalog.toml");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_EQ((*catalog)->services().size(), 1u);
  EXPECT_EQ((*catalog)->services()[0].default_priority, "normal");
  EXPECT_FALSE((*catalog)->FindDepartment("DOT")->external);
  EXPECT_TRUE((*catalog)->FindDepartment("SHA")->external);
}

}  // namespace
}  // namespace ledger::catalog
