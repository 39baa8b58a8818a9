#include "src/http/router.h"

#include <algorithm>
#include <string_view>

namespace ledger::http {
namespace {
// The segments of a pattern: "/v1/requests/{id}" -> v1, requests, {id}.
std::vector<std::string> PatternSegments(std::string_view pattern) {
  std::vector<std::string> out;
  for (size_t begin = 1, end; begin <= pattern.size(); begin = end + 1) {
    end = std::min(pattern.find('/', begin), pattern.size());
    out.emplace_back(pattern.substr(begin, end - begin));
  }
  return out;
}

bool IsParam(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }
}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  auto segments = PatternSegments(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::Find(HttpRequest& request) const {
  const auto& parts = request.segments;
  Match match;
  match.status = 404;
  match.route = "unmatched";
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    bool same = true;
    for (size_t i = 0; i < parts.size() && same; ++i)
      same = IsParam(r.segments[i]) ? !parts[i].empty() : r.segments[i] == parts[i];
    if (!same) continue;
    if (r.method != request.method && !(r.method == "GET" && request.method == "HEAD")) {
      match.status = 405;
      match.route = r.pattern;
      match.allow += (match.allow.empty() ? "" : ", ") + r.method;
      if (r.method == "GET") match.allow += ", HEAD";
      continue;
    }
    for (size_t i = 0; i < parts.size(); ++i)
      if (IsParam(r.segments[i]))
        request.path_params[r.segments[i].substr(1, r.segments[i].size() - 2)] = parts[i];
    return Match{&r.handler, r.pattern, 0};
  }
  return match;
}

}  // namespace ledger::http
