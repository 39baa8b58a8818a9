#include "src/http/metrics.h"

#include <charconv>

namespace ledger::http {
namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OPTIONS"};

std::string_view MethodLabel(std::string_view method) {
  for (auto known : kMethods)
    if (method == known) return known;
  return "OTHER";
}

// A label value as the Prometheus text format wants it: backslash, double
// quote and line feed escaped.
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

// method="...",route="...",status="..."
std::string Labels(const std::tuple<std::string, std::string, int>& key) {
  const auto& [method, route, status] = key;
  std::string out = "method=\"";
  AppendLabelValue(out, method);
  out += "\",route=\"";
  AppendLabelValue(out, route);
  out += "\",status=\"" + std::to_string(status) + "\"";
  return out;
}

// A bucket's bound as printf's %g writes these ("0.0005", "1").
std::string BucketBound(double bound) {
  char digits[32];  // the shortest general form of any double fits
  char* end = std::to_chars(digits, digits + sizeof digits, bound, std::chars_format::general).ptr;
  return std::string(digits, end);
}

void AppendSample(std::string& out, std::string_view name, const std::string& labels,
                  std::string_view value) {
  out += name;
  out += '{';
  out += labels;
  out += "} ";
  out += value;
  out += '\n';
}

}  // namespace

void HttpMetrics::Record(std::string_view method, const std::string& route, int status,
                         double seconds) {
  std::lock_guard lock(mu_);
  auto& s = series_[{std::string(MethodLabel(method)), route, status}];
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
}

void HttpMetrics::WriteTo(std::string& out) const {
  std::lock_guard lock(mu_);
  out += "# HELP ledger_http_requests_total HTTP requests answered, by method, route and status.\n";
  out += "# TYPE ledger_http_requests_total counter\n";
  for (const auto& [key, s] : series_)
    AppendSample(out, "ledger_http_requests_total", Labels(key), std::to_string(s.count));
  out += "# HELP ledger_http_request_duration_seconds Time from parsed request to answer.\n";
  out += "# TYPE ledger_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const std::string labels = Labels(key);
    for (size_t i = 0; i < kBuckets.size(); ++i)
      AppendSample(out, "ledger_http_request_duration_seconds_bucket",
                   labels + ",le=\"" + BucketBound(kBuckets[i]) + "\"", std::to_string(s.buckets[i]));
    AppendSample(out, "ledger_http_request_duration_seconds_bucket", labels + ",le=\"+Inf\"",
                 std::to_string(s.count));
    AppendSample(out, "ledger_http_request_duration_seconds_sum", labels, std::to_string(s.sum));
    AppendSample(out, "ledger_http_request_duration_seconds_count", labels, std::to_string(s.count));
  }
}

}  // namespace ledger::http
