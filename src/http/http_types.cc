#include "src/http/http_types.h"

namespace ledger::http {

const std::string* HttpRequest::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

std::string HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

int StatusOf(events::ErrorCode code) {
  switch (code) {
    case events::ErrorCode::kInvalidArgument: return 400;
    case events::ErrorCode::kUnauthorized: return 401;
    case events::ErrorCode::kNotFound: return 404;
    case events::ErrorCode::kConflict: return 409;
    case events::ErrorCode::kTooLarge: return 413;
    case events::ErrorCode::kIo: return 500;
    case events::ErrorCode::kCorruption: return 500;
    case events::ErrorCode::kUnavailable: return 503;
    case events::ErrorCode::kIdempotencyKeyReused: return 422;
  }
  return 500;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return JsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

HttpResponse ErrorResponse(const events::Error& error) {
  HttpResponse r = ErrorResponse(StatusOf(error.code), events::ErrorCodeName(error.code), error.message);
  if (error.code == events::ErrorCode::kUnavailable) r.headers.emplace("Retry-After", "1");
  return r;
}

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  // Replace invalid UTF-8 rather than throw: stored text was validated on the way in.
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(char(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return true;
}
}  // namespace

bool ParseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& query) {
  if (target.empty() || target[0] != '/') return false;
  size_t q = target.find('?');
  if (!Decode(target.substr(0, q), path, false)) return false;
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!Decode(pair.substr(0, eq), key, true)) return false;
    if (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), value, true)) return false;
    query.emplace(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace ledger::http
