#include "tests/support/http_client.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ledger::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpClient::Connection {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool open = false;
};

nlohmann::json HttpReply::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

HttpClient::HttpClient(std::string host, uint16_t port, std::string api_key)
    : host_(std::move(host)), port_(port), api_key_(std::move(api_key)),
      connection_(std::make_unique<Connection>()) {}

HttpClient::~HttpClient() = default;

namespace {
HttpReply ToReply(const bhttp::response<bhttp::string_body>& res) {
  HttpReply r;
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  return r;
}
// True if the server has closed (or reset) the idle keep-alive connection
// on `fd`, or sent something unasked: it is not to be reused.
bool PeerClosed(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}
}  // namespace

HttpReply HttpClient::Send(const std::string& method, const std::string& target,
                           const std::string& body, const std::map<std::string, std::string>& headers,
                           bool with_key) {
  // A POST is never sent twice: it may have been stored the first time.
  const int attempts = method == "POST" ? 1 : 2;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto& c = *connection_;
    beast::error_code ec;
    if (c.open && PeerClosed(c.stream.socket().native_handle())) c.open = false;
    if (!c.open) {
      c.stream.close();
      c.buffer.clear();
      c.stream.expires_after(std::chrono::seconds(60));
      c.stream.connect(tcp::endpoint(net::ip::make_address(host_), port_), ec);
      if (ec) return {};
      c.open = true;
    }
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.method_string(method);
    req.set(bhttp::field::host, host_);
    if (with_key && !api_key_.empty()) req.set(bhttp::field::authorization, "Bearer " + api_key_);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    c.stream.expires_after(std::chrono::seconds(60));
    bhttp::write(c.stream, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    if (!ec) bhttp::read(c.stream, c.buffer, parser, ec);
    if (ec) {
      c.open = false;
      // A keep-alive connection the server closed meanwhile: a read is retried once on a new one.
      if (attempt + 1 < attempts &&
          (ec == bhttp::error::end_of_stream || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe))
        continue;
      return {};
    }
    auto res = parser.release();
    if (!res.keep_alive()) c.open = false;
    return ToReply(res);
  }
  return {};
}

HttpReply HttpClient::Get(const std::string& target) { return Send("GET", target, ""); }

HttpReply HttpClient::Post(const std::string& target, const nlohmann::json& body) {
  return Send("POST", target, body.dump());
}

bool HttpClient::WriteOnNewConnection(Connection& c, const std::string& bytes) const {
  beast::error_code ec;
  c.stream.expires_after(std::chrono::seconds(30));
  c.stream.connect(tcp::endpoint(net::ip::make_address(host_), port_), ec);
  if (!ec) net::write(c.stream, net::buffer(bytes), ec);
  return !ec;
}

HttpReply HttpClient::SendRaw(const std::string& bytes) {
  Connection c;
  if (!WriteOnNewConnection(c, bytes)) return {};
  beast::error_code ec;
  bhttp::response_parser<bhttp::string_body> parser;
  bhttp::read(c.stream, c.buffer, parser, ec);
  if (ec) return {};
  return ToReply(parser.release());
}

std::string HttpClient::Exchange(const std::string& bytes) {
  Connection c;
  if (!WriteOnNewConnection(c, bytes)) return {};
  beast::error_code ec;
  std::string received;
  std::array<char, 4096> chunk;
  while (!ec) {
    size_t n = c.stream.read_some(net::buffer(chunk), ec);
    received.append(chunk.data(), n);
  }
  return received;
}

}  // namespace ledger::testing
