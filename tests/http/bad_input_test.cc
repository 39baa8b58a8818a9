// Every kind of bad input, over a real socket: the right status, a JSON
// error that says what is wrong, and nothing appended to the log.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

struct BadInputCase {
  std::string name;
  std::string method;
  std::string target;  // "{open}" and "{closed}" stand for request ids made in set-up
  std::string body;
  int status;
  std::string code;     // error.code
  std::string message;  // a part of error.message
  std::map<std::string, std::string> headers = {};
  bool with_key = true;
};

json Pothole(std::function<void(json&)> change) {
  json body = PotholeRequest();
  change(body);
  return body;
}

std::string Nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::vector<BadInputCase> Cases() {
  return {
      {"malformed JSON", "POST", "/v1/requests", R"({"service_code": "pothole",)", 400,
       "invalid_argument", "body is not valid JSON"},
      {"empty body", "POST", "/v1/requests", "", 400, "invalid_argument", "body is empty"},
      {"body is not an object", "POST", "/v1/requests", "[1,2]", 400, "invalid_argument",
       "must be a JSON object"},
      {"wrong type", "POST", "/v1/requests", Pothole([](json& b) { b["service_code"] = 42; }).dump(),
       400, "invalid_argument", "field 'service_code': must be a string"},
      {"missing field", "POST", "/v1/requests", Pothole([](json& b) { b.erase("description"); }).dump(),
       400, "invalid_argument", "field 'description': is required"},
      {"unknown field", "POST", "/v1/requests", Pothole([](json& b) { b["colour"] = "red"; }).dump(),
       400, "invalid_argument", "unknown field 'colour'"},
      {"unknown service code", "POST", "/v1/requests",
       Pothole([](json& b) { b["service_code"] = "dragon-sighting"; }).dump(), 400,
       "invalid_argument", "unknown service code 'dragon-sighting'"},
      {"location without address or coordinates", "POST", "/v1/requests",
       Pothole([](json& b) { b["location"] = {{"zip", "20850"}}; }).dump(), 400, "invalid_argument",
       "needs an address or both lat and lon"},
      {"latitude out of range", "POST", "/v1/requests",
       Pothole([](json& b) { b["location"]["lat"] = 123.0; }).dump(), 400, "invalid_argument",
       "field 'lat'"},
      {"attribute value not in list", "POST", "/v1/requests",
       Pothole([](json& b) { b["attributes"] = {{"size", "enormous"}}; }).dump(), 400,
       "invalid_argument", "size"},
      {"event time in the future", "POST", "/v1/requests",
       Pothole([](json& b) { b["occurred_at"] = "2999-01-01T00:00:00Z"; }).dump(), 400,
       "invalid_argument", "in the future"},
      {"invalid UTF-8", "POST", "/v1/requests",
       "{\"service_code\":\"pothole\",\"description\":\"bad \xff\xfe bytes\",\"location\":{\"address\":\"1 Main\"}}",
       400, "invalid_argument", "body is not valid JSON"},
      {"nesting too deep", "POST", "/v1/requests",
       "{\"service_code\":\"pothole\",\"attributes\":" + Nested(100) + "}", 400, "invalid_argument",
       "nests deeper than 32 levels"},
      {"number beyond a double", "POST", "/v1/requests",
       R"({"service_code":"pothole","description":"x","location":{"address":"1 Main"},"priority":1e400})",
       400, "invalid_argument", "number out of range"},
      {"negative number beyond a double", "POST", "/v1/requests/{open}/events",
       R"({"command":"assign","assignee":"crew-9","expected_version":-1e400})", 400,
       "invalid_argument", "number out of range"},
      {"number beyond a double in a contact", "POST", "/v1/contacts",
       R"({"channel":"phone","language":"en","outcome":"information","wait_seconds":1e400})", 400,
       "invalid_argument", "number out of range"},
      {"year 0 after its offset", "POST", "/v1/requests/{open}/events",
       R"({"command":"add_note","text":"x","visibility":"public","occurred_at":"0000-01-01T00:00:00+00:01"})",
       400, "invalid_argument", "outside years 0001 to 9999"},
      {"a minute before year 1 in UTC", "POST", "/v1/requests",
       Pothole([](json& b) { b["occurred_at"] = "0001-01-01T00:00:00+00:01"; }).dump(), 400,
       "invalid_argument", "outside years 0001 to 9999"},
      {"leap second", "POST", "/v1/requests/{open}/events",
       R"({"command":"add_note","text":"x","occurred_at":"2016-12-31T23:59:60Z"})", 400,
       "invalid_argument", "RFC 3339"},
      {"offset beyond 18 hours", "POST", "/v1/requests/{open}/events",
       R"({"command":"add_note","text":"x","occurred_at":"2026-01-01T00:00:00+18:01"})", 400,
       "invalid_argument", "RFC 3339"},
      {"year 0 in a contact", "POST", "/v1/contacts",
       R"({"channel":"phone","language":"en","outcome":"information","occurred_at":"0000-06-01T00:00:00Z"})",
       400, "invalid_argument", "outside years 0001 to 9999"},
      {"year 0 in a list bound", "GET", "/v1/requests?created_from=0000-01-01T00:00:00Z", "", 400,
       "invalid_argument", "outside years 0001 to 9999"},
      {"body too large", "POST", "/v1/requests",
       "{\"description\":\"" + std::string(2 << 20, 'x') + "\"}", 413, "too_large",
       "larger than 1048576 bytes"},
      {"wrong content type", "POST", "/v1/requests", PotholeRequest().dump(), 400, "invalid_argument",
       "content type must be application/json", {{"Content-Type", "text/plain"}}},
      {"no API key", "POST", "/v1/requests", PotholeRequest().dump(), 401, "unauthorized",
       "missing or unknown API key", {}, false},
      {"wrong API key", "POST", "/v1/requests", PotholeRequest().dump(), 401, "unauthorized",
       "missing or unknown API key", {{"Authorization", "Bearer not-the-key-0000000000"}}, false},
      {"no API key on a read", "GET", "/v1/requests/{open}", "", 401, "unauthorized", "API key", {}, false},
      {"unknown request (command)", "POST", "/v1/requests/SR-00000000000000/events",
       R"({"command":"close"})", 404, "not_found", "request 'SR-00000000000000' does not exist"},
      {"unknown request (read)", "GET", "/v1/requests/SR-00000000000000", "", 404, "not_found",
       "does not exist"},
      {"unknown request (history)", "GET", "/v1/requests/SR-00000000000000/history", "", 404,
       "not_found", "does not exist"},
      {"closing a closed request", "POST", "/v1/requests/{closed}/events", R"({"command":"close"})",
       409, "conflict", "is closed"},
      {"resolving a closed request", "POST", "/v1/requests/{closed}/events",
       R"({"command":"resolve","resolution_code":"fixed"})", 409, "conflict", "is closed"},
      {"reopening an open request", "POST", "/v1/requests/{open}/events",
       R"({"command":"reopen","reason":"why not"})", 409, "conflict", "only resolved, closed or transferred"},
      {"status it already has", "POST", "/v1/requests/{open}/events",
       R"({"command":"change_status","status":"open"})", 409, "conflict", "already open"},
      {"stale expected version", "POST", "/v1/requests/{open}/events",
       R"({"command":"assign","assignee":"crew-9","expected_version":7})", 409, "conflict",
       "is at version 1, not 7"},
      {"unknown command", "POST", "/v1/requests/{open}/events", R"({"command":"teleport"})", 400,
       "invalid_argument", "field 'command': must be one of"},
      {"field of another command", "POST", "/v1/requests/{open}/events",
       R"({"command":"assign","assignee":"x","score":3})", 400, "invalid_argument",
       "unknown field 'score' for command 'assign'"},
      {"route to unknown department", "POST", "/v1/requests/{open}/events",
       R"({"command":"route","to_department":"XYZ","reason":"test"})", 400, "invalid_argument",
       "unknown department 'XYZ'"},
      {"route to an outside agency", "POST", "/v1/requests/{open}/events",
       R"({"command":"route","to_department":"SHA","reason":"state road"})", 400,
       "invalid_argument", "transfer_external"},
      {"survey score out of range", "POST", "/v1/requests/{open}/events",
       R"({"command":"record_survey","score":9})", 400, "invalid_argument",
       "field 'score': must be an integer from 1 to 5"},
      {"duplicate of itself", "POST", "/v1/requests/{open}/events",
       R"({"command":"mark_duplicate","parent_id":"{open}"})", 400, "invalid_argument",
       "duplicate of itself"},
      {"duplicate of an unknown request", "POST", "/v1/requests/{open}/events",
       R"({"command":"mark_duplicate","parent_id":"SR-00000000000000"})", 404, "not_found",
       "parent request"},
      {"contact linked to unknown request", "POST", "/v1/contacts",
       R"({"channel":"phone","language":"en","outcome":"linked_to_request","request_id":"SR-00000000000000"})",
       404, "not_found", "does not exist"},
      {"contact with unknown channel", "POST", "/v1/contacts",
       R"({"channel":"pigeon","language":"en","outcome":"information"})", 400, "invalid_argument",
       "field 'channel': must be one of"},
      {"contact creating a request without one", "POST", "/v1/contacts",
       R"({"channel":"phone","language":"en","outcome":"created_request"})", 400,
       "invalid_argument", "field 'request': is required"},
      {"list with bad limit", "GET", "/v1/requests?department=DOT&limit=0", "", 400,
       "invalid_argument", "'limit'"},
      {"list with unknown parameter", "GET", "/v1/requests?colour=red", "", 400, "invalid_argument",
       "'colour': unknown parameter"},
      {"list with forged cursor", "GET", "/v1/requests?department=DOT&cursor=Zm9yZ2Vk", "", 400,
       "invalid_argument", "cursor"},
      {"list with bad time", "GET", "/v1/requests?created_from=yesterday", "", 400,
       "invalid_argument", "RFC 3339"},
      {"unknown endpoint", "GET", "/v1/dragons", "", 404, "not_found", "no such endpoint"},
      {"wrong method", "DELETE", "/v1/requests/{open}", "", 405, "method_not_allowed",
       "not allowed"},
      {"unknown method on an endpoint", "BREW", "/v1/requests", "", 405, "method_not_allowed",
       "BREW is not allowed on /v1/requests"},
      {"unknown method on an unknown path", "PROPFIND", "/v1/dragons", "", 404, "not_found",
       "no such endpoint: /v1/dragons"},
      // The target: an encoded "/" stays inside its segment, no control
      // character or invalid UTF-8 gets past decoding, "//" is not collapsed.
      {"encoded slash inside an id", "GET", "/v1/requests/{open}%2Fhistory", "", 404, "not_found",
       "request '{open}/history' does not exist"},
      {"encoded slash inside an endpoint", "GET", "/v1%2Fcatalog", "", 404, "not_found",
       "no such endpoint: /v1%2Fcatalog"},
      {"encoded slash turning a read into a command", "POST", "/v1/requests/{open}%2Fevents",
       R"({"command":"close"})", 405, "method_not_allowed", "POST is not allowed on /v1/requests/{id}"},
      {"NUL in an id", "GET", "/v1/requests/{open}%00/history", "", 400, "bad_request",
       "path segment '{open}%00' decodes to a control character"},
      {"line feed in an id", "POST", "/v1/requests/{open}%0A/events", R"({"command":"close"})", 400,
       "bad_request", "path segment '{open}%0A' decodes to a control character"},
      {"DEL in an id", "GET", "/v1/requests/{open}%7F", "", 400, "bad_request", "control character"},
      {"invalid UTF-8 in an id", "GET", "/v1/requests/{open}%FF", "", 400, "bad_request",
       "path segment '{open}%FF' is not valid UTF-8"},
      {"overlong UTF-8 slash in an id", "GET", "/v1/requests/{open}%C0%AFhistory", "", 400,
       "bad_request", "is not valid UTF-8"},
      {"invalid UTF-8 in a query value", "GET", "/v1/requests?department=DOT%FF", "", 400,
       "bad_request", "query parameter 'department': value is not valid UTF-8"},
      {"invalid UTF-8 in a query name", "GET", "/v1/requests?department%E9=DOT", "", 400,
       "bad_request", "query parameter 'department%E9': name is not valid UTF-8"},
      {"NUL in a query value", "GET", "/v1/requests?department=DOT%00", "", 400, "bad_request",
       "query parameter 'department': value decodes to a control character"},
      {"empty segment inside a path", "GET", "/v1/requests//{open}", "", 404, "not_found",
       "no such endpoint: /v1/requests//{open}"},
      {"empty segment after the version", "GET", "/v1//requests", "", 404, "not_found",
       "no such endpoint: /v1//requests"},
      {"trailing slash", "GET", "/v1/requests/", "", 404, "not_found",
       "no such endpoint: /v1/requests/"},
      {"fragment in the target", "GET", "/v1/catalog#top", "", 400, "bad_request",
       "malformed request target"},
      {"bad percent-encoding", "GET", "/v1/requests?department=%zz", "", 400, "bad_request",
       "malformed request target"},
  };
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos; (pos = s.find(from)) != std::string::npos;) s.replace(pos, from.size(), to);
  return s;
}

class BadInput : public ::testing::TestWithParam<Backend> {};

TEST_P(BadInput, EachCaseGetsItsStatusAClearJsonErrorAndAppendsNothing) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string open = client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
  std::string closed = client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
  ASSERT_EQ(client.Post("/v1/requests/" + closed + "/events", {{"command", "close"}}).status, 200);
  const uint64_t before = EventsAppended(client);
  ASSERT_GT(before, 0u);

  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.name);
    std::string target = Replace(Replace(c.target, "{open}", open), "{closed}", closed);
    std::string body = Replace(c.body, "{open}", open);
    std::string message = Replace(c.message, "{open}", open);
    auto reply = HttpClient("127.0.0.1", ledger.port(), kTestKey)
                     .Send(c.method, target, body, c.headers, c.with_key);
    EXPECT_EQ(reply.status, c.status) << reply.body;
    EXPECT_NE(reply.headers["content-type"].find("application/json"), std::string::npos);
    // Read without throwing, so that one wrong answer does not hide the next cases.
    const json error = reply.Json();
    auto field = [&error](const std::string& name) {
      const json::json_pointer at("/error/" + name);
      return error.is_object() && error.contains(at) && error[at].is_string()
                 ? error[at].get<std::string>()
                 : std::string();
    };
    EXPECT_EQ(field("code"), c.code) << reply.body;
    EXPECT_NE(field("message").find(message), std::string::npos) << reply.body;
    EXPECT_EQ(EventsAppended(client), before) << "bad input appended to the log";
  }
}

TEST_P(BadInput, MalformedHttpGets400AndTheServerKeepsServing) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  auto reply = client.SendRaw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.Json()["error"]["code"], "bad_request");
  EXPECT_EQ(client.Get("/v1/catalog").status, 200);
}

TEST_P(BadInput, UnknownMethodsGetJsonAndAllowAndTheConnectionStaysOpen) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string id = client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
  for (std::string method : {"BREW", "PROPFIND", "get", "X-NOT-A-METHOD"}) {
    SCOPED_TRACE(method);
    auto reply = client.Send(method, "/v1/requests/" + id, "");
    EXPECT_EQ(reply.status, 405) << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "method_not_allowed") << reply.body;
    EXPECT_EQ(reply.headers["allow"], "GET, HEAD");
    EXPECT_NE(reply.headers["connection"], "close");
    auto list = client.Send(method, "/v1/requests", "");
    EXPECT_EQ(list.status, 405) << list.body;
    EXPECT_EQ(list.headers["allow"], "POST, GET, HEAD");
    EXPECT_EQ(client.Send(method, "/v1/nowhere", "").Json()["error"]["code"], "not_found");
    EXPECT_EQ(client.Get("/v1/requests/" + id).status, 200);
  }
}

// Splits pipelined answers: each one's head (up to its blank line) and the
// bytes its Content-Length frames after it, in order.
struct FramedAnswer {
  std::string head;
  size_t content_length = 0;
};
std::vector<FramedAnswer> SplitAnswers(const std::string& bytes, const std::vector<bool>& heads) {
  std::vector<FramedAnswer> out;
  size_t at = 0;
  for (bool head_request : heads) {
    size_t end = bytes.find("\r\n\r\n", at);
    if (end == std::string::npos) break;
    FramedAnswer a{bytes.substr(at, end + 4 - at)};
    std::smatch m;
    if (std::regex_search(a.head, m, std::regex("\r\n[Cc]ontent-[Ll]ength: (\\d+)\r\n")))
      a.content_length = std::stoul(m[1]);
    at = end + 4 + (head_request ? 0 : a.content_length);
    out.push_back(std::move(a));
  }
  return out;
}

// HEAD answers what GET would, without content (RFC 9110 9.3.2), and a
// keep-alive connection goes on with the next request's answer right after.
TEST_P(BadInput, HeadAnswersLikeGetWithoutContent) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  std::string id = client.Post("/v1/requests", PotholeRequest()).Json()["request"]["id"];
  auto get = client.Get("/v1/requests/" + id);
  ASSERT_EQ(get.status, 200);
  auto request = [&](const std::string& method, const std::string& target, bool last = false) {
    return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kTestKey +
           "\r\n" + (last ? "Connection: close\r\n" : "") + "\r\n";
  };
  std::string bytes = client.Exchange(request("HEAD", "/v1/requests/" + id) + request("HEAD", "/v1/contacts") +
                                      request("HEAD", "/v1/dragons") + request("GET", "/healthz", true));
  auto answers = SplitAnswers(bytes, {true, true, true, false});
  ASSERT_EQ(answers.size(), 4u) << bytes;
  EXPECT_EQ(answers[0].head.rfind("HTTP/1.1 200 ", 0), 0u) << answers[0].head;
  EXPECT_EQ(answers[0].content_length, get.body.size());
  EXPECT_EQ(answers[1].head.rfind("HTTP/1.1 405 ", 0), 0u) << answers[1].head;
  EXPECT_NE(answers[1].head.find("\r\nAllow: POST\r\n"), std::string::npos) << answers[1].head;
  EXPECT_EQ(answers[2].head.rfind("HTTP/1.1 404 ", 0), 0u) << answers[2].head;
  // Every answer starts where the one before ended: no body after a HEAD's head.
  EXPECT_EQ(answers[3].head.rfind("HTTP/1.1 200 ", 0), 0u) << bytes;
  size_t framed = 0;
  for (const auto& a : answers) framed += a.head.size();
  EXPECT_EQ(bytes.size(), framed + answers[3].content_length) << bytes;
}

INSTANTIATE_TEST_SUITE_P(Backends, BadInput, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
