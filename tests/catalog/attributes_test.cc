// ValidateAttributes: a request's attributes against its service's
// definition, with messages that name the attribute.

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "tests/catalog/catalog_test_support.h"

namespace ledger::catalog {
namespace {

const std::string kCatalog = std::string(testing::kCenter) + R"(
[[departments]]
code = "DSW"
name = "Solid Waste"

[[services]]
code = "bulk-trash"
name = "Bulk trash pickup"
department = "DSW"
sla_calendar_days = 7
[[services.attributes]]
code = "items"
description = "Items to pick up"
type = "multivaluelist"
required = true
values = ["furniture", "mattress", "appliance", "electronics", "yard waste bundle", "other"]
[[services.attributes]]
code = "preferred_date"
description = "Preferred pickup date"
type = "date"
[[services.attributes]]
code = "pieces"
description = "How many pieces?"
type = "integer"
[[services.attributes]]
code = "weight_lbs"
description = "Heaviest piece, in pounds"
type = "number"
[[services.attributes]]
code = "stairs"
description = "Are there stairs?"
type = "boolean"
[[services.attributes]]
code = "where"
description = "Where will the items be?"
type = "singlevaluelist"
values = ["curb", "alley"]
[[services.attributes]]
code = "note"
description = "Anything the crew should know"
type = "string"
)";

class AttributesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = testing::ParseValid(kCatalog);
    ASSERT_NE(catalog_, nullptr);
  }
  // The error message, or "ok".
  std::string Check(const char* attributes_json) const {
    const base::Status status = catalog_->ValidateAttributes(
        *catalog_->FindService("bulk-trash"), Json::parse(attributes_json));
    if (status.ok()) return "ok";
    EXPECT_EQ(status.error().code, base::ErrorCode::kInvalidArgument);
    return status.error().message;
  }
  std::shared_ptr<const Catalog> catalog_;
};

TEST_F(AttributesTest, AcceptsEveryTypeWhenRight) {
  EXPECT_EQ(Check(R"({"items": ["furniture", "mattress"], "preferred_date": "2026-12-01",
                      "pieces": 3, "weight_lbs": 120.5, "stairs": false, "where": "curb",
                      "note": "behind the garage"})"),
            "ok");
}

TEST_F(AttributesTest, AcceptsOnlyTheRequiredOnesAndEmptyOptionalOnes) {
  EXPECT_EQ(Check(R"({"items": ["other"]})"), "ok");
  EXPECT_EQ(Check(R"({"items": ["other"], "note": "", "preferred_date": null})"), "ok");
  EXPECT_EQ(Check(R"({"items": ["other"], "weight_lbs": 40})"), "ok");
}

TEST_F(AttributesTest, RejectsMissingRequired) {
  EXPECT_EQ(Check(R"({})"), "attributes/items: required");
  EXPECT_EQ(Check(R"({"items": []})"), "attributes/items: required");
  EXPECT_EQ(Check(R"({"items": null, "pieces": 2})"), "attributes/items: required");
}

TEST_F(AttributesTest, RejectsWrongTypes) {
  EXPECT_EQ(Check(R"({"items": ["other"], "pieces": "3"})"),
            "attributes/pieces: must be an integer");
  EXPECT_EQ(Check(R"({"items": ["other"], "pieces": 2.5})"),
            "attributes/pieces: must be an integer");
  EXPECT_EQ(Check(R"({"items": ["other"], "weight_lbs": "heavy"})"),
            "attributes/weight_lbs: must be a number");
  EXPECT_EQ(Check(R"({"items": ["other"], "stairs": "yes"})"),
            "attributes/stairs: must be true or false");
  EXPECT_EQ(Check(R"({"items": ["other"], "note": 7})"), "attributes/note: must be a string");
  EXPECT_EQ(Check(R"({"items": "furniture"})"),
            "attributes/items: must be an array of values from furniture, mattress, appliance, "
            "electronics, yard waste bundle, other");
}

TEST_F(AttributesTest, RejectsDatesThatAreNotIsoCalendarDays) {
  EXPECT_EQ(Check(R"({"items": ["other"], "preferred_date": "12/01/2026"})"),
            "attributes/preferred_date: must be a date YYYY-MM-DD");
  EXPECT_EQ(Check(R"({"items": ["other"], "preferred_date": "2026-02-30"})"),
            "attributes/preferred_date: must be a date YYYY-MM-DD");
}

TEST_F(AttributesTest, RejectsValuesNotInTheList) {
  EXPECT_EQ(Check(R"({"items": ["furniture", "sofa"]})"),
            "attributes/items: value 'sofa' is not one of furniture, mattress, appliance, "
            "electronics, yard waste bundle, other");
  EXPECT_EQ(Check(R"({"items": ["other"], "where": "porch"})"),
            "attributes/where: value 'porch' is not one of curb, alley");
}

TEST_F(AttributesTest, RejectsUnknownAttributes) {
  EXPECT_EQ(Check(R"({"item": ["furniture"]})"),
            "attributes/item: unknown attribute for service 'bulk-trash'");
}

TEST_F(AttributesTest, RejectsAttributesThatAreNotAnObject) {
  EXPECT_EQ(Check(R"(["furniture"])"), "attributes: must be an object");
}

}  // namespace
}  // namespace ledger::catalog
