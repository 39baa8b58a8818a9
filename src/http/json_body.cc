#include "src/http/json_body.h"

namespace ledger::http {
namespace {
struct TooDeep {};
}  // namespace

base::Result<Json> ParseJsonBody(const HttpRequest& request, int max_depth) {
  using base::ErrorCode;
  using base::MakeError;
  std::string type = request.Header("content-type");
  if (!type.empty() && type.rfind("application/json", 0) != 0)
    return MakeError(ErrorCode::kInvalidArgument,
                     "content type must be application/json, not '" + type + "'");
  if (request.body.empty()) return MakeError(ErrorCode::kInvalidArgument, "body is empty; expected a JSON object");
  try {
    // A container opening at nlohmann's depth d is level d + 1 (the body's
    // own object opens at depth 0); scalars and keys add no level.
    Json body = Json::parse(request.body, [max_depth](int depth, Json::parse_event_t event, Json&) {
      bool opens = event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
      if (opens && depth >= max_depth) throw TooDeep{};
      return true;
    });
    if (!body.is_object()) return MakeError(ErrorCode::kInvalidArgument, "body must be a JSON object");
    return body;
  } catch (const TooDeep&) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "body nests deeper than " + std::to_string(max_depth) + " levels");
  } catch (const Json::out_of_range& e) {
    // nlohmann says "[json.exception.out_of_range.406] number overflow parsing '1e400'"
    std::string what = e.what();
    auto colon = what.find("] ");
    return MakeError(ErrorCode::kInvalidArgument,
                     "body holds a number out of range: " +
                         (colon == std::string::npos ? what : what.substr(colon + 2)));
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann says "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
    auto colon = what.find("] ");
    return MakeError(ErrorCode::kInvalidArgument,
                     "body is not valid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
  }
}

}  // namespace ledger::http
