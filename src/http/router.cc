#include "src/http/router.h"

namespace ledger::http {
namespace {
std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsParam(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }
}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  auto segments = Split(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::Find(HttpRequest& request) const {
  auto parts = Split(request.path);
  Match match;
  match.status = 404;
  match.route = "unmatched";
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    bool same = true;
    for (size_t i = 0; i < parts.size() && same; ++i)
      same = IsParam(r.segments[i]) || r.segments[i] == parts[i];
    if (!same) continue;
    if (r.method != request.method) {
      match.status = 405;
      match.route = r.pattern;
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
