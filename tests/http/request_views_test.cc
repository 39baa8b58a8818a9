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

TEST(RequestViews, StoredDocumentIsTheStatePlusLinksOverdueAndUrl) {
  auto state = Pothole();
  projections::StoredRequest stored{state.ToJson().dump(), {"CT-1", "CT-2"}, {"SR-DUP"}};
  auto text = StoredRequestJson(stored, state.deadline_ms + 1);
  ASSERT_TRUE(text.ok()) << text.error().message;
  Json expected = state.ToJson();
  expected["overdue"] = true;
  expected["contacts"] = {"CT-1", "CT-2"};
  expected["contact_count"] = 2;
  expected["duplicates"] = {"SR-DUP"};
  expected["url"] = "/v1/requests/SR-0CNACZGB3TTH8";
  EXPECT_EQ(Json::parse(*text), expected);
}

TEST(RequestViews, OverdueFollowsDeadlineAndStatus) {
  auto state = Pothole();
  projections::StoredRequest before{state.ToJson().dump(), {}, {}};
  EXPECT_FALSE(Json::parse(*StoredRequestJson(before, state.deadline_ms - 1))["overdue"]);
  state.status = "closed";
  projections::StoredRequest closed{state.ToJson().dump(), {}, {}};
  EXPECT_FALSE(Json::parse(*StoredRequestJson(closed, state.deadline_ms + 1))["overdue"]);
}

TEST(RequestViews, CorruptStoredStateIsAnErrorNotAResponse) {
  projections::StoredRequest broken{"not json", {}, {}};
  auto text = StoredRequestJson(broken, 0);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, base::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace ledger::http
