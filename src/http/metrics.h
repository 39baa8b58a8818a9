#pragma once
// HTTP metrics in Prometheus text format: requests and a latency histogram
// by route, method and status. Thread-safe; cheap enough for the hot path.
// The series stay bounded whatever clients send: a method outside GET,
// HEAD, POST, PUT, PATCH, DELETE and OPTIONS counts as OTHER.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace ledger::http {

class HttpMetrics {
 public:
  // `method` as sent; `route` from a bounded set (the router's patterns),
  // any text: label values are escaped on output.
  void Record(std::string_view method, const std::string& route, int status, double seconds);
  // Appends ledger_http_requests_total and ledger_http_request_duration_seconds.
  void WriteTo(std::string& out) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,     5};
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, Series> series_;  // method label, route, status
};

}  // namespace ledger::http
