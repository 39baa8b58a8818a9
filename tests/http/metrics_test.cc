// The HTTP metrics stay bounded and well-formed whatever clients send:
// made-up methods add no series, label values are escaped, no line is cut.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "src/http/metrics.h"
#include "tests/support/test_ledger.h"

namespace ledger::http {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A sample line, name{label="value",...} number, with each label value's
// backslash, quote and line feed escaped: a raw one would end the value
// or the line early.
bool WellFormedSample(std::string_view line) {
  size_t i = line.find('{');
  if (i == std::string_view::npos) return line.find(' ') != std::string_view::npos;
  for (++i;;) {
    size_t eq = line.find('=', i);
    if (eq == std::string_view::npos || line.substr(eq + 1, 1) != "\"") return false;
    for (i = eq + 2; i < line.size() && line[i] != '"'; ++i)
      if (line[i] == '\\' && (++i == line.size() || std::string_view("\\\"n").find(line[i]) ==
                                                         std::string_view::npos))
        return false;
    if (++i >= line.size()) return false;
    if (line[i] != ',') break;
    ++i;
  }
  return line.substr(i, 2) == "} " && line.size() > i + 2;
}

void ExpectWellFormed(const std::string& text) {
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  for (const auto& line : Lines(text))
    if (line.rfind('#', 0) != 0) { EXPECT_TRUE(WellFormedSample(line)) << line; }
}

TEST(HttpMetrics, MethodsOutsideTheFixedSetCountAsOther) {
  HttpMetrics metrics;
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    metrics.Record(method, "/v1/requests", 200, 0.001);
  for (const char* method : {"BREW", "get", "PROPFIND", "GETX", ""})
    metrics.Record(method, "/v1/requests", 200, 0.001);
  std::string out;
  metrics.WriteTo(out);
  ExpectWellFormed(out);
  std::set<std::string> labels;
  std::regex method(R"re(ledger_http_requests_total\{method="([^"]*)")re");
  for (std::sregex_iterator it(out.begin(), out.end(), method), end; it != end; ++it)
    labels.insert((*it)[1]);
  EXPECT_EQ(labels, (std::set<std::string>{"DELETE", "GET", "HEAD", "OPTIONS", "OTHER", "PATCH",
                                           "POST", "PUT"}));
  EXPECT_NE(out.find("ledger_http_requests_total{method=\"OTHER\",route=\"/v1/requests\","
                     "status=\"200\"} 5\n"),
            std::string::npos)
      << out;
}

TEST(HttpMetrics, LabelValuesAreEscaped) {
  HttpMetrics metrics;
  metrics.Record("GET", "/say/\"hi\"\\now\nnext", 200, 0.001);
  std::string out;
  metrics.WriteTo(out);
  ExpectWellFormed(out);
  EXPECT_NE(out.find("ledger_http_requests_total{method=\"GET\",route=\"/say/\\\"hi\\\"\\\\now\\nnext\","
                     "status=\"200\"} 1\n"),
            std::string::npos)
      << out;
}

TEST(HttpMetrics, LongLabelsAreNotCut) {
  HttpMetrics metrics;
  const std::string route = "/" + std::string(2000, 'r');
  metrics.Record("POST", route, 201, 0.003);
  std::string out;
  metrics.WriteTo(out);
  ExpectWellFormed(out);
  const std::string labels = "method=\"POST\",route=\"" + route + "\",status=\"201\"";
  EXPECT_NE(out.find("ledger_http_requests_total{" + labels + "} 1\n"), std::string::npos);
  EXPECT_NE(out.find("ledger_http_request_duration_seconds_bucket{" + labels + ",le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(out.find("ledger_http_request_duration_seconds_bucket{" + labels + ",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(out.find("ledger_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(out.find("ledger_http_request_duration_seconds_sum{" + labels + "} 0.003000\n"),
            std::string::npos);
  EXPECT_NE(out.find("ledger_http_request_duration_seconds_count{" + labels + "} 1\n"),
            std::string::npos);
}

size_t CountPrefixed(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (const auto& line : Lines(text)) n += line.rfind(prefix, 0) == 0;
  return n;
}

// Over a real socket and without a key: twenty made-up methods add one
// series (OTHER), not twenty.
TEST(HttpMetricsApi, MadeUpMethodsWithoutAKeyAddNoMethodLabels) {
  testing::LedgerUnderTest ledger;
  auto client = ledger.Client();
  auto anonymous = ledger.Client("");
  ASSERT_EQ(client.Get("/metrics").status, 200);  // its own series appears from the next scrape
  const std::string before = client.Get("/metrics").body;
  for (int i = 0; i < 20; ++i) {
    std::string method = "MADEUP" + std::to_string(i);
    EXPECT_EQ(anonymous.Send(method, "/v1/requests", "", {}, false).status, 401) << method;
  }
  const std::string after = client.Get("/metrics").body;
  ExpectWellFormed(after);
  EXPECT_EQ(CountPrefixed(after, "ledger_http_requests_total{"),
            CountPrefixed(before, "ledger_http_requests_total{") + 1);
  EXPECT_EQ(CountPrefixed(after, "ledger_http_request_duration_seconds_"),
            CountPrefixed(before, "ledger_http_request_duration_seconds_") + 15);
  EXPECT_EQ(CountPrefixed(after, "ledger_http_requests_total{method=\"OTHER\",route=\"/v1/requests\","
                                 "status=\"401\"} 20"),
            1u);
  EXPECT_EQ(after.find("MADEUP"), std::string::npos);
}

}  // namespace
}  // namespace ledger::http
