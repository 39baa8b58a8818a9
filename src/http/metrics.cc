#include "src/http/metrics.h"

#include <cstdio>

namespace ledger::http {

void HttpMetrics::Record(const std::string& method, const std::string& route, int status,
                         double seconds) {
  std::lock_guard lock(mu_);
  auto& s = series_[{method, route, status}];
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
}

void HttpMetrics::WriteTo(std::string& out) const {
  std::lock_guard lock(mu_);
  char line[512];
  out += "# HELP ledger_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE ledger_http_requests_total counter\n";
  for (const auto& [key, s] : series_) {
    const auto& [method, route, status] = key;
    std::snprintf(line, sizeof line,
                  "ledger_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
                  method.c_str(), route.c_str(), status, (unsigned long long)s.count);
    out += line;
  }
  out += "# HELP ledger_http_request_duration_seconds Time from parsed request to answer.\n";
  out += "# TYPE ledger_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const auto& [method, route, status] = key;
    std::string labels = "method=\"" + method + "\",route=\"" + route + "\",status=\"" +
                         std::to_string(status) + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(line, sizeof line, "ledger_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
                    labels.c_str(), kBuckets[i], (unsigned long long)s.buckets[i]);
      out += line;
    }
    std::snprintf(line, sizeof line,
                  "ledger_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n"
                  "ledger_http_request_duration_seconds_sum{%s} %.6f\n"
                  "ledger_http_request_duration_seconds_count{%s} %llu\n",
                  labels.c_str(), (unsigned long long)s.count, labels.c_str(), s.sum,
                  labels.c_str(), (unsigned long long)s.count);
    out += line;
  }
}

}  // namespace ledger::http
