// The catalog the project ships, loading from real files, and the JSON
// form served at GET /v1/catalog.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_support.h"

namespace ledger::catalog {
namespace {

using testing::UtcMs;

const std::string kShippedCatalog = std::string(LEDGER_SOURCE_DIR) + "/config/catalog.toml";

using ledger::testing::TempDir;

std::shared_ptr<const Catalog> Shipped() {
  auto catalog = Catalog::Load(kShippedCatalog);
  if (!catalog.ok()) ADD_FAILURE() << catalog.error().message;
  return catalog.ok() ? *catalog : nullptr;
}

TEST(ShippedCatalog, LoadsWithEnoughDepartmentsAndServices) {
  auto catalog = Shipped();
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(catalog->center_name(), "Riverbend County 311");
  EXPECT_EQ(catalog->time_zone(), "America/New_York");
  EXPECT_EQ(catalog->hours().weekdays, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_GE(catalog->departments().size(), 15u);
  EXPECT_GE(catalog->services().size(), 50u);
  const auto& services = catalog->services();
  EXPECT_GE(std::count_if(services.begin(), services.end(),
                          [](const Service& s) { return !s.attributes.empty(); }),
            15);
  for (std::string_view code : {"SHA", "SCH", "CITY", "RGE"}) {
    const Department* agency = catalog->FindDepartment(code);
    ASSERT_NE(agency, nullptr) << code;
    EXPECT_TRUE(agency->external) << code;
  }
  for (std::string_view code : {"DOT", "DSW", "DPS", "HCE", "DOH", "DAS", "PNE", "LIB", "REC",
                                "WTR", "FIN", "DEP", "DHCA", "HHS"}) {
    const Department* department = catalog->FindDepartment(code);
    ASSERT_NE(department, nullptr) << code;
    EXPECT_FALSE(department->external) << code;
  }
}

TEST(ShippedCatalog, KeyServicesHaveTheirTargets) {
  auto catalog = Shipped();
  ASSERT_NE(catalog, nullptr);
  const Service* pothole = catalog->FindService("pothole");
  ASSERT_NE(pothole, nullptr);
  EXPECT_EQ(pothole->sla.unit, SlaUnit::kBusinessHours);
  EXPECT_EQ(pothole->sla.amount, 72);
  const Service* no_heat = catalog->FindService("no-heat");
  ASSERT_NE(no_heat, nullptr);
  EXPECT_EQ(no_heat->default_priority, "urgent");
  EXPECT_EQ(no_heat->sla.unit, SlaUnit::kCalendarDays);
  const Service* bulk = catalog->FindService("bulk-trash");
  ASSERT_NE(bulk, nullptr);
  EXPECT_EQ(bulk->department, "DSW");
  ASSERT_EQ(bulk->attributes.size(), 2u);
  EXPECT_EQ(bulk->attributes[0].code, "items");
  EXPECT_EQ(bulk->attributes[0].type, AttributeType::kMultiValueList);
  EXPECT_TRUE(bulk->attributes[0].required);
  EXPECT_EQ(bulk->attributes[1].type, AttributeType::kDate);
  EXPECT_EQ(catalog->FindService("no-such-service"), nullptr);
}

TEST(ShippedCatalog, PotholeDeadlineSkipsThanksgivingHolidays) {
  auto catalog = Shipped();
  ASSERT_NE(catalog, nullptr);
  // Monday 2026-11-23 07:00 EST; 72 hours = six 12-hour days: Mon, Tue, Wed,
  // then (Thanksgiving and the day after, weekend) Mon, Tue, Wed until 19:00.
  const Service& pothole = *catalog->FindService("pothole");
  EXPECT_EQ(catalog->SlaDeadline(pothole, UtcMs(2026, 11, 23, 12)), UtcMs(2026, 12, 3, 0));
}

TEST(ShippedCatalog, LocalDateIsTheCentersCalendarDay) {
  auto catalog = Shipped();
  ASSERT_NE(catalog, nullptr);
  // 03:00 UTC is still the previous evening in New York.
  EXPECT_EQ(catalog->LocalDate(UtcMs(2026, 11, 24, 3)), "2026-11-23");
  EXPECT_EQ(catalog->LocalDate(UtcMs(2026, 11, 24, 5)), "2026-11-24");
}

TEST(ShippedCatalog, ToJsonServesCenterDepartmentsAndServices) {
  auto catalog = Shipped();
  ASSERT_NE(catalog, nullptr);
  const Json json = catalog->ToJson();
  EXPECT_EQ(json["center"]["name"], "Riverbend County 311");
  EXPECT_EQ(json["center"]["hours"]["open"], "07:00");
  EXPECT_EQ(json["center"]["hours"]["close"], "19:00");
  EXPECT_EQ(json["center"]["hours"]["weekdays"],
            Json::parse(R"(["mon","tue","wed","thu","fri"])"));
  EXPECT_TRUE(std::any_of(json["center"]["holidays"].begin(), json["center"]["holidays"].end(),
                          [](const Json& h) { return h["date"] == "2026-11-26"; }));
  EXPECT_EQ(json["departments"].size(), catalog->departments().size());
  const Json& sha = *std::find_if(json["departments"].begin(), json["departments"].end(),
                                  [](const Json& d) { return d["code"] == "SHA"; });
  EXPECT_EQ(sha["external"], true);
  const Json& pothole = *std::find_if(json["services"].begin(), json["services"].end(),
                                      [](const Json& s) { return s["code"] == "pothole"; });
  EXPECT_EQ(pothole["sla"], Json::parse(R"({"unit":"business_hours","amount":72})"));
  EXPECT_EQ(pothole["department"], "DOT");
  EXPECT_EQ(pothole["priority"], "normal");
  const Json& bulk = *std::find_if(json["services"].begin(), json["services"].end(),
                                   [](const Json& s) { return s["code"] == "bulk-trash"; });
  EXPECT_EQ(bulk["sla"]["unit"], "calendar_days");
  EXPECT_EQ(bulk["attributes"][0]["type"], "multivaluelist");
  EXPECT_EQ(bulk["attributes"][0]["required"], true);
  EXPECT_EQ(bulk["attributes"][0]["values"][1], "mattress");
}

TEST(CatalogLoad, MissingFileIsAnIoError) {
  TempDir dir;
  auto catalog = Catalog::Load(dir.path() + "/absent.toml");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().code, base::ErrorCode::kIo);
  EXPECT_NE(catalog.error().message.find("absent.toml"), std::string::npos);
}

TEST(CatalogLoad, ErrorsNameTheFileItWasLoadedFrom) {
  TempDir dir;
  const std::string path = dir.Write("broken.toml", "[center]\nname = \"X\"\ntime_zone = 7\n");
  auto catalog = Catalog::Load(path);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().code, base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(catalog.error().message.rfind(path + ":3: center: field 'time_zone':", 0), 0u)
      << catalog.error().message;
}

}  // namespace
}  // namespace ledger::catalog
