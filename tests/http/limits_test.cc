// The server's configured limits, exactly at each edge and one past it,
// over real sockets: open connections, body size, JSON depth and header
// size; and a request without a valid key, which is refused from its
// headers before its body is read.
#include <sys/resource.h>

#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

constexpr uint32_t kMaxConnections = 3;
constexpr uint64_t kBodyLimit = 1024;
constexpr uint32_t kHeaderLimit = 2048;
constexpr int kMaxDepth = 8;

app::Settings LimitedSettings(const std::string& data_dir) {
  app::Settings s = TestSettings(data_dir);
  s.server.max_connections = kMaxConnections;
  s.server.body_limit_bytes = kBodyLimit;
  s.server.header_limit_bytes = kHeaderLimit;
  s.server.read_timeout = std::chrono::seconds(3);
  s.max_json_depth = kMaxDepth;
  return s;
}

class Limits : public ::testing::Test {
 protected:
  Limits() : ledger_(LimitedSettings(dir_.Sub("data"))) {}

  // A raw HTTP/1.1 request: the request line, `fields` and the blank line.
  static std::string Head(const std::string& request_line, const std::vector<std::string>& fields) {
    std::string head = request_line + "\r\n";
    for (const auto& f : fields) head += f + "\r\n";
    return head + "\r\n";
  }

  TempDir dir_;
  LedgerUnderTest ledger_;
};

void ExpectUnavailable(const HttpReply& reply, const std::string& why) {
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(reply.headers.count("retry-after") ? reply.headers.at("retry-after") : "", "1");
  EXPECT_EQ(reply.Json()["error"]["code"], "unavailable") << reply.body;
  EXPECT_NE(reply.Json()["error"]["message"].get<std::string>().find(why), std::string::npos) << reply.body;
}

// More connections than the process may open files for: refused at
// start, naming the limit, instead of failing accept() later.
TEST(ConnectionLimit, MoreConnectionsThanOpenFilesAllowStopTheStart) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  constexpr rlim_t kLargestSetting = 1'000'000;  // server.max_connections' upper bound
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max > kLargestSetting)
    GTEST_SKIP() << "this machine lets a process open more files than any max_connections needs";
  TempDir dir;
  app::Settings s = TestSettings(dir.Sub("data"));
  s.server.max_connections = static_cast<uint32_t>(limit.rlim_max);  // plus the stores' files: too many
  auto refused = app::Ledger::Start(s);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("server.max_connections = " + std::to_string(limit.rlim_max) + " needs"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("ulimit -n"), std::string::npos) << refused.error().message;
}

TEST_F(Limits, AConnectionOverTheLimitGets503AndClosesAndAPlaceFreesWhenOneCloses) {
  std::vector<std::unique_ptr<HttpClient>> open;
  for (uint32_t i = 0; i < kMaxConnections; ++i) {
    open.push_back(std::make_unique<HttpClient>("127.0.0.1", ledger_.port(), kTestKey));
    HttpReply at_limit = open.back()->Get("/v1/catalog");  // keeps its connection open
    ASSERT_EQ(at_limit.status, 200) << "connection " << i + 1 << " of " << kMaxConnections;
  }
  HttpClient one_more = ledger_.Client();
  HttpReply refused = one_more.Get("/v1/catalog");
  ExpectUnavailable(refused, "connections open");
  EXPECT_EQ(refused.headers["connection"], "close");
  for (auto& c : open) EXPECT_EQ(c->Get("/v1/catalog").status, 200) << "an open connection was dropped";

  open.pop_back();  // closes one connection: its place frees once the server sees it close
  int status = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       status != 200 && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(20)))
    status = ledger_.Client().Get("/v1/catalog").status;
  EXPECT_EQ(status, 200) << "no place freed after a connection closed";
}

TEST_F(Limits, ARequestWithoutAValidKeyGets401FromItsHeadersAndItsBodyIsNeverRead) {
  HttpClient raw = ledger_.Client();
  // A body is announced and never sent: an answer proves the server did not
  // wait for it (waiting, it would time out after 3 s and answer nothing).
  for (const auto& key_field : std::vector<std::string>{"X-Trace: no-key", "Authorization: Bearer wrong-key-0123456789",
                                                        "X-API-Key: wrong-key-0123456789"}) {
    SCOPED_TRACE(key_field);
    HttpReply reply = raw.SendRaw(Head("POST /v1/requests HTTP/1.1",
                                       {"Host: 127.0.0.1", "Content-Type: application/json",
                                        "Content-Length: 1000", "Expect: 100-continue", key_field}));
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "unauthorized") << reply.body;
    EXPECT_EQ(reply.headers["www-authenticate"], "Bearer realm=\"311-ledger\"");
    EXPECT_EQ(reply.headers["connection"], "close");
  }
  // Nothing about the request is checked before the key: a bad target too gets 401.
  HttpReply bad_target = raw.SendRaw(Head("GET /v1/requests/%00 HTTP/1.1", {"Host: 127.0.0.1"}));
  EXPECT_EQ(bad_target.status, 401) << bad_target.body;
  // /healthz needs no key.
  HttpReply health = raw.SendRaw(Head("GET /healthz HTTP/1.1", {"Host: 127.0.0.1"}));
  EXPECT_EQ(health.status, 200) << health.body;
  // With the key the same announced body is waited for and read.
  std::string body = PotholeRequest().dump();
  HttpReply with_key = raw.SendRaw(
      Head("POST /v1/requests HTTP/1.1", {"Host: 127.0.0.1", "Content-Type: application/json",
                                          "Content-Length: " + std::to_string(body.size()),
                                          std::string("Authorization: Bearer ") + kTestKey}) +
      body);
  EXPECT_EQ(with_key.status, 201) << with_key.body;
}

TEST_F(Limits, AClientThatStopsSendingIsDisconnectedAfterTheReadTimeout) {
  HttpClient raw = ledger_.Client();
  auto sent = std::chrono::steady_clock::now();
  // Half a request head, then silence: the client gives up after 30 s, the
  // server (read_timeout_seconds = 3) well before.
  HttpReply reply = raw.SendRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(reply.status, 0) << "an incomplete request was answered: " << reply.body;
  EXPECT_LT(waited, std::chrono::seconds(20)) << "the server kept the silent connection open";
  EXPECT_EQ(ledger_.Client().Get("/healthz").status, 200);
}

// A valid POST /v1/requests body padded with spaces to exactly `size` bytes.
std::string PotholeOfSize(size_t size) {
  std::string body = PotholeRequest().dump();
  EXPECT_LE(body.size(), size);
  body.insert(body.size() - 1, size - body.size(), ' ');
  return body;
}

TEST_F(Limits, ABodyOfExactlyTheLimitIsTakenAndOneByteMoreGets413) {
  HttpClient client = ledger_.Client();
  uint64_t before = EventsAppended(client);
  HttpReply at_limit = client.Send("POST", "/v1/requests", PotholeOfSize(kBodyLimit));
  EXPECT_EQ(at_limit.status, 201) << at_limit.body;
  HttpReply over = client.Send("POST", "/v1/requests", PotholeOfSize(kBodyLimit + 1));
  EXPECT_EQ(over.status, 413) << over.body;
  EXPECT_EQ(over.Json()["error"]["message"], "request body is larger than 1024 bytes");
  EXPECT_EQ(EventsAppended(client), before + 1) << "the refused body appended something";
}

// A POST /v1/requests body whose `description` is `depth - 1` nested
// arrays, so the whole body nests `depth` levels (the object is the first);
// the innermost array holds a number, which adds no level.
std::string BodyNesting(int depth) {
  json body = PotholeRequest();
  std::string text = body.dump();
  std::string arrays = std::string(depth - 1, '[') + "7" + std::string(depth - 1, ']');
  std::string description = "\"description\":" + body["description"].dump();
  auto at = text.find(description);
  EXPECT_NE(at, std::string::npos);
  return text.replace(at, description.size(), "\"description\":" + arrays);
}

TEST_F(Limits, JsonNestedExactlyToTheLimitPassesTheDepthCheckAndOneLevelMoreIsRefused) {
  HttpClient client = ledger_.Client();
  HttpReply at_limit = client.Send("POST", "/v1/requests", BodyNesting(kMaxDepth));
  // Past the depth check, the next check speaks: description is not a string.
  EXPECT_EQ(at_limit.status, 400) << at_limit.body;
  EXPECT_NE(at_limit.body.find("description"), std::string::npos) << at_limit.body;
  HttpReply over = client.Send("POST", "/v1/requests", BodyNesting(kMaxDepth + 1));
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_EQ(over.Json()["error"]["message"], "body nests deeper than 8 levels") << over.body;
}

// A GET /healthz whose head (request line, fields, blank line) is exactly `size` bytes.
std::string HeadOfSize(size_t size) {
  std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: \r\n\r\n";
  EXPECT_LE(head.size(), size);
  return head.insert(head.find("X-Pad: ") + 7, size - head.size(), 'p');
}

TEST_F(Limits, HeadersOfExactlyTheLimitAreTakenAndOneByteMoreGets431) {
  HttpClient raw = ledger_.Client();
  std::string at = HeadOfSize(kHeaderLimit);
  ASSERT_EQ(at.size(), kHeaderLimit);
  HttpReply at_limit = raw.SendRaw(at);
  EXPECT_EQ(at_limit.status, 200) << at_limit.body;
  HttpReply over = raw.SendRaw(HeadOfSize(kHeaderLimit + 1));
  EXPECT_EQ(over.status, 431) << over.body;
  EXPECT_EQ(over.Json()["error"]["message"], "request headers are too large") << over.body;
}

}  // namespace
}  // namespace ledger::testing
