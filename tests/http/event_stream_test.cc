// Server-sent events as a department's dashboard reads them: a client
// reading 311.dept.DOT while requests pour in disconnects mid-stream,
// reconnects with Last-Event-ID, and together its two sessions received
// exactly the topic's events in the log's order: no gap, no repeat.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "src/app/log_backend.h"
#include "tests/support/test_ledger.h"

namespace ledger::testing {
namespace {

using nlohmann::json;

struct SseEvent {
  std::string id;     // the stream's cursor
  std::string type;
  json data;
};

// One GET of an event stream over a raw socket, decoding HTTP chunks and
// SSE blocks as they come.
class SseConnection {
 public:
  SseConnection(uint16_t port, const std::string& target, const std::string& last_event_id = "") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                          std::string(kTestKey) + "\r\n";
    if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
    request += "\r\n";
    EXPECT_EQ(send(fd_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }
  ~SseConnection() { close(fd_); }

  // Reads until `enough` says so or `timeout` passes; the events so far.
  template <typename Enough>
  const std::vector<SseEvent>& ReadUntil(Enough enough, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!enough(events_) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[65536];
      ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      raw_.append(buffer, n);
      Decode();
    }
    return events_;
  }
  const std::string& status_line() const { return status_line_; }

 private:
  void Decode() {
    if (status_line_.empty()) {
      size_t end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      status_line_ = raw_.substr(0, raw_.find("\r\n"));
      raw_.erase(0, end + 4);
    }
    for (;;) {  // chunks: size in hex CRLF, data CRLF
      size_t line = raw_.find("\r\n");
      if (line == std::string::npos) break;
      size_t size = std::stoul(raw_.substr(0, line), nullptr, 16);
      if (raw_.size() < line + 2 + size + 2) break;
      body_ += raw_.substr(line + 2, size);
      raw_.erase(0, line + 2 + size + 2);
      if (size == 0) break;
    }
    for (size_t end; (end = body_.find("\n\n")) != std::string::npos; body_.erase(0, end + 2)) {
      SseEvent e;
      std::string block = body_.substr(0, end);
      for (size_t at = 0; at < block.size();) {
        size_t nl = block.find('\n', at);
        std::string field = block.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
        at = nl == std::string::npos ? block.size() : nl + 1;
        if (field.starts_with("id: ")) e.id = field.substr(4);
        if (field.starts_with("event: ")) e.type = field.substr(7);
        if (field.starts_with("data: ")) e.data = json::parse(field.substr(6));
      }
      if (!e.id.empty()) events_.push_back(std::move(e));  // comments (keep-alives) have none
    }
  }

  int fd_ = -1;
  std::string raw_, body_, status_line_;
  std::vector<SseEvent> events_;
};

// The ids of every event of `topic`, in log order (partition by partition).
std::vector<std::string> LoggedIds(const app::Settings& settings, const std::string& topic) {
  auto log = app::OpenLog(settings, true, nullptr, {}, {topic});
  EXPECT_TRUE(log.ok()) << log.error().message;
  std::vector<std::string> ids;
  if (!log.ok()) return ids;
  for (const auto& tp : (*log)->TopicPartitions()) {
    if (tp.topic != topic) continue;
    for (uint64_t next = 0;;) {
      auto slice = (*log)->Read(tp, next, 1024);
      EXPECT_TRUE(slice.ok());
      if (!slice.ok() || slice->events.empty()) break;
      for (const auto& e : slice->events) ids.push_back(e.event.id);
      next = slice->next;
    }
  }
  return ids;
}

class EventStreams : public ::testing::TestWithParam<Backend> {};

TEST_P(EventStreams, AClientResumingWithLastEventIdGetsNoGapAndNoRepeat) {
  LedgerUnderTest ledger(GetParam());
  std::atomic<bool> done{false};
  std::thread load([&] {
    auto client = ledger.Client();
    for (int i = 0; i < 150; ++i) {
      auto r = client.Post("/v1/requests", PotholeRequest());
      EXPECT_EQ(r.status, 201) << r.body;
      if (i % 3 == 0)
        client.Post("/v1/requests/" + r.Json()["request"]["id"].get<std::string>() + "/events",
                    {{"command", "assign"}, {"assignee", "crew 4"}});
    }
    done = true;
  });
  std::vector<SseEvent> first;
  {
    SseConnection a(ledger.port(), "/v1/departments/DOT/stream?from=beginning");
    first = a.ReadUntil([](const auto& events) { return events.size() >= 40; });
    EXPECT_EQ(a.status_line(), "HTTP/1.1 200 OK");
  }  // disconnects mid-stream, under load
  if (first.size() < 40u) {
    load.join();
    FAIL() << "the first session got " << first.size() << " events";
  }
  SseConnection b(ledger.port(), "/v1/departments/DOT/stream", first.back().id);
  std::vector<std::string> logged;
  auto& rest = b.ReadUntil([&](const auto& events) {
    if (!done) return false;
    logged = LoggedIds(ledger.settings(), "311.dept.DOT");
    return first.size() + events.size() >= logged.size();
  });
  load.join();
  logged = LoggedIds(ledger.settings(), "311.dept.DOT");
  std::vector<std::string> received;
  for (const auto& e : first) received.push_back(e.data["id"]);
  for (const auto& e : rest) received.push_back(e.data["id"]);
  EXPECT_EQ(logged.size(), 150u + 50u);
  EXPECT_EQ(received, logged);
  for (const auto& e : rest) {
    EXPECT_EQ(e.type, e.data["type"]);
    EXPECT_FALSE(e.data["data"].contains("personal")) << "no resident's data on the stream";
  }
}

TEST_P(EventStreams, ThePerformanceStreamShowsDayChangesAndBadCursorsAre400) {
  LedgerUnderTest ledger(GetParam());
  auto client = ledger.Client();
  SseConnection live(ledger.port(), "/v1/performance/stream");
  json body = PotholeRequest();
  body["occurred_at"] = "2026-11-02T15:00:00.000Z";
  ASSERT_EQ(client.Post("/v1/requests", body).status, 201);
  auto& events = live.ReadUntil([](const auto& e) { return !e.empty(); });
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, "gov311.performance.day_changed.v1");
  EXPECT_EQ(events[0].data["subject"], "DOT/2026-11-02");
  EXPECT_EQ(events[0].data["data"]["figures"]["opened"], 1);
  for (std::string id : {"x", "0:", ":1", "0:1,", "0:1,0:2", "-1:4", "0:18446744073709551616"}) {
    auto r = client.Send("GET", "/v1/performance/stream", "", {{"Last-Event-ID", id}});
    EXPECT_EQ(r.status, 400) << id;
  }
  EXPECT_EQ(client.Get("/v1/performance/stream?from=middle").status, 400);
  EXPECT_EQ(client.Get("/v1/performance/stream?limit=3").status, 400);
  EXPECT_EQ(client.Get("/v1/departments/NOPE/stream").status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStreams, ::testing::Values(Backend::kEmbedded, Backend::kKafka),
                         [](const auto& info) { return BackendName(info.param); });

}  // namespace
}  // namespace ledger::testing
