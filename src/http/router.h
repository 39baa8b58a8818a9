#pragma once
// Router: method + path pattern ("/v1/requests/{id}/events") to handler.

#include <string>
#include <vector>

#include "src/http/http_types.h"

namespace ledger::http {

class Router {
 public:
  // `pattern` segments in braces match one non-empty path segment and are
  // stored in HttpRequest::path_params under the name in braces. A GET
  // route serves HEAD too (the server sends its answer without the body).
  void Add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null when status != 0
    std::string route;                 // the matched pattern (a metrics label)
    int status = 0;                    // 0, 404 (no such path) or 405 (other method)
    std::string allow;                 // on 405: the methods the path has ("POST, GET, HEAD")
  };
  // Matches on request.segments (ParseTarget), one pattern segment to one
  // path segment: an empty segment ("//", a trailing "/") matches nothing.
  Match Find(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace ledger::http
