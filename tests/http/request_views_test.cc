// The request document of the API, spliced around the stored state's text,
// says the same as the decoded state plus the derived fields.
#include <gtest/gtest.h>

#include "src/http/request_views.h"

namespace ledger::http {
namespace {

projections::RequestState Pothole() {
  projections::RequestState s;
  s.id = "SR-0CNACZGB3TTH8";
  s.service_code = "pothole";
  s.department = "DOT";
  s.status = "in_progress";
  s.description = "Deep \"pothole\" \u00e9";
  s.created_ms = 1'790'000'000'000;
  s.deadline_ms = 1'790'100'000'000;
  s.version = 3;
  return s;
}

std::optional<CloseTimeEstimate> NoEstimate(std::string_view) { return std::nullopt; }

TEST(RequestViews, StoredDocumentIsTheStatePlusLinksOverdueAndUrl) {
  auto state = Pothole();
  projections::StoredRequest stored{state.ToJson().dump(), {"CT-1", "CT-2"}, {"SR-DUP"}};
  auto text = StoredRequestJson(stored, state.deadline_ms + 1, NoEstimate);
  ASSERT_TRUE(text.ok()) << text.error().message;
  Json expected = state.ToJson();
  expected["overdue"] = true;
  expected["contacts"] = {"CT-1", "CT-2"};
  expected["contact_count"] = 2;
  expected["duplicates"] = {"SR-DUP"};
  expected["url"] = "/v1/requests/SR-0CNACZGB3TTH8";
  expected["expected_completion"] = nullptr;
  EXPECT_EQ(Json::parse(*text), expected);
}

// Open: created + the service's p50 and p90; not open: none.
TEST(RequestViews, ExpectedCompletionIsCreationPlusTheServicesTimesToClose) {
  auto state = Pothole();
  projections::StoredRequest stored{state.ToJson().dump(), {}, {}};
  std::string asked;
  auto estimate = [&](std::string_view service) -> std::optional<CloseTimeEstimate> {
    asked = service;
    return CloseTimeEstimate{3'600'000, 86'400'000, 41, "2026-08-26", "2026-11-23"};
  };
  Json j = Json::parse(*StoredRequestJson(stored, 0, estimate));
  EXPECT_EQ(asked, "pothole");
  EXPECT_EQ(j["expected_completion"], (Json{{"p50", events::FormatTime(state.created_ms + 3'600'000)},
                                            {"p90", events::FormatTime(state.created_ms + 86'400'000)},
                                            {"sample", 41},
                                            {"from", "2026-08-26"},
                                            {"to", "2026-11-23"}}));
  state.status = "resolved";
  projections::StoredRequest resolved{state.ToJson().dump(), {}, {}};
  EXPECT_TRUE(Json::parse(*StoredRequestJson(resolved, 0, estimate))["expected_completion"].is_null());
  // An estimate past the year 9999 is no time.
  state.status = "open";
  state.created_ms = events::kMaxTimeMs - 1000;
  projections::StoredRequest late{state.ToJson().dump(), {}, {}};
  EXPECT_TRUE(Json::parse(*StoredRequestJson(late, 0, estimate))["expected_completion"]["p50"].is_null());
}

TEST(RequestViews, OverdueFollowsDeadlineAndStatus) {
  auto state = Pothole();
  projections::StoredRequest before{state.ToJson().dump(), {}, {}};
  EXPECT_FALSE(Json::parse(*StoredRequestJson(before, state.deadline_ms - 1, NoEstimate))["overdue"]);
  state.status = "closed";
  projections::StoredRequest closed{state.ToJson().dump(), {}, {}};
  EXPECT_FALSE(Json::parse(*StoredRequestJson(closed, state.deadline_ms + 1, NoEstimate))["overdue"]);
}

TEST(RequestViews, CorruptStoredStateIsAnErrorNotAResponse) {
  projections::StoredRequest broken{"not json", {}, {}};
  auto text = StoredRequestJson(broken, 0, NoEstimate);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, base::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace ledger::http
