#include "src/http/http_types.h"

#include <algorithm>

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <simdjson.h>

namespace ledger::http {

const std::string* HttpRequest::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

std::string HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

int StatusOf(base::ErrorCode code) {
  switch (code) {
    case base::ErrorCode::kInvalidArgument: return 400;
    case base::ErrorCode::kUnauthorized: return 401;
    case base::ErrorCode::kNotFound: return 404;
    case base::ErrorCode::kConflict: return 409;
    case base::ErrorCode::kTooLarge: return 413;
    case base::ErrorCode::kIo: return 500;
    case base::ErrorCode::kCorruption: return 500;
    case base::ErrorCode::kUnavailable: return 503;
    case base::ErrorCode::kIdempotencyKeyReused: return 422;
  }
  return 500;
}

base::Error BadQueryParameter(std::string_view name, std::string_view why) {
  return base::MakeError(base::ErrorCode::kInvalidArgument,
                         "query parameter '" + std::string(name) + "': " + std::string(why));
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return JsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

HttpResponse ErrorResponse(const base::Error& error) {
  HttpResponse r = ErrorResponse(StatusOf(error.code), base::ErrorCodeName(error.code), error.message);
  if (error.code == base::ErrorCode::kUnavailable) r.headers.emplace("Retry-After", "1");
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
namespace urls = boost::urls;

base::Error BadTarget(std::string message) {
  return base::MakeError(base::ErrorCode::kInvalidArgument, std::move(message));
}

// Why decoded text may not reach a handler, or nullptr if it may.
const char* Unfit(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7F) return "decodes to a control character";
  if (!simdjson::validate_utf8(text)) return "is not valid UTF-8 once decoded";
  return nullptr;
}
}  // namespace

base::Status ParseTarget(HttpRequest& request) {
  auto url = urls::parse_origin_form(request.target);
  if (!url)
    return BadTarget("malformed request target: it must be an absolute path and an optional "
                     "query, with characters outside RFC 3986 percent-encoded");
  request.segments.clear();
  request.path.clear();
  request.query.clear();
  // Cut the encoded path here rather than through encoded_segments(), which
  // hides a leading "." segment ("/./x" would route as "/x", "/a/./x" not).
  std::string_view path = url->encoded_path();  // starts with "/"
  for (size_t begin = 1, end; begin <= path.size(); begin = end + 1) {
    end = std::min(path.find('/', begin), path.size());
    auto encoded = urls::make_pct_string_view(path.substr(begin, end - begin));
    if (!encoded) return BadTarget("malformed request target: bad percent-encoding in the path");
    std::string segment = encoded->decode();
    if (const char* why = Unfit(segment))
      return BadTarget("path segment '" + std::string(*encoded) + "' " + why);
    request.path += '/';
    request.path += urls::encode(segment, urls::pchars);
    request.segments.push_back(std::move(segment));
  }
  urls::encoding_opts plus_is_space;
  plus_is_space.space_as_plus = true;
  for (auto param : url->encoded_params()) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2", a bare "?"
    std::string key = param.key.decode(plus_is_space);
    std::string value = param.value.decode(plus_is_space);
    auto bad = [&param](const char* part, const char* why) {
      return BadTarget("query parameter '" + std::string(param.key) + "': " + part + " " + why);
    };
    if (const char* why = Unfit(key)) return bad("name", why);
    if (const char* why = Unfit(value)) return bad("value", why);
    request.query.emplace(std::move(key), std::move(value));
  }
  return {};
}

}  // namespace ledger::http
