#pragma once
// A blocking HTTP/1.1 client over a real loopback socket, for tests and
// benchmarks: one keep-alive connection, reconnecting when the server
// closes it. A POST is never resent: when its connection fails, the reply
// has status 0, as a client that cannot know whether it was stored sees it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace ledger::testing {

struct HttpReply {
  int status = 0;  // 0 = no answer (connection failed or closed)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-case
  nlohmann::json Json() const;                  // the body parsed; null if not JSON
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, std::string api_key = "");
  ~HttpClient();

  HttpReply Get(const std::string& target);
  HttpReply Post(const std::string& target, const nlohmann::json& body);
  // Any method, raw body bytes, extra headers (e.g. without the API key: pass key "").
  HttpReply Send(const std::string& method, const std::string& target, const std::string& body,
                 const std::map<std::string, std::string>& headers = {}, bool with_key = true);
  // Writes raw bytes and reads one response (for malformed HTTP).
  HttpReply SendRaw(const std::string& bytes);
  // Writes raw bytes on a new connection and returns every byte the server
  // sends until it closes the connection (within 30 s): for pipelined
  // requests and answers whose framing is the point.
  std::string Exchange(const std::string& bytes);

 private:
  struct Connection;
  // Connects `c` (a new connection, 30 s deadline) and writes `bytes`; false on failure.
  bool WriteOnNewConnection(Connection& c, const std::string& bytes) const;
  std::string host_;
  uint16_t port_;
  std::string api_key_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace ledger::testing
