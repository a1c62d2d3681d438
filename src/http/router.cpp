#include "http/router.hpp"

#include "http/json_response.hpp"
#include "http/query.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace scanhub::http {
namespace beast_http = boost::beast::http;

namespace {

// Splits "/a/b/" into {"a","b"}; an empty path or "/" gives {}.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::add(Verb method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument(fmt::format("route pattern '{}' must start with '/'", pattern));
  }
  if (!handler) throw std::invalid_argument(fmt::format("route '{}' has no handler", pattern));
  Route route{method, std::string(pattern), {}, std::move(handler)};
  for (std::string_view segment : split_path(pattern)) {
    if (segment.empty()) {
      throw std::invalid_argument(fmt::format("route pattern '{}' has an empty segment", pattern));
    }
    if (segment.front() == '{') {
      if (segment.size() < 3 || segment.back() != '}' ||
          segment.find_first_of("{}", 1) != segment.size() - 1) {
        throw std::invalid_argument(fmt::format("route pattern '{}' has a bad parameter", pattern));
      }
      route.segments.push_back({std::string(segment.substr(1, segment.size() - 2)), true});
    } else {
      if (segment.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument(fmt::format("route pattern '{}' has a bad segment", pattern));
      }
      route.segments.push_back({std::string(segment), false});
    }
  }
  for (const Route& existing : routes_) {
    const bool same_shape = existing.segments.size() == route.segments.size() &&
                            std::equal(existing.segments.begin(), existing.segments.end(),
                                       route.segments.begin(), [](const auto& a, const auto& b) {
                                         return a.is_param == b.is_param &&
                                                (a.is_param || a.text == b.text);
                                       });
    if (existing.method == method && same_shape) {
      throw std::invalid_argument(fmt::format("route {} '{}' is already registered",
                                              beast_http::to_string(method), pattern));
    }
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::route(Verb method, std::string_view path) const {
  Match result;
  const auto segments = split_path(path);
  // Literal segments beat parameters: among the matching routes pick the one whose first
  // differing segment is literal ("/api/scans/active" before "/api/scans/{id}").
  const Route* best = nullptr;
  PathParams best_params;
  auto specificity = [](const Route& r) {
    std::vector<bool> literal;
    for (const auto& s : r.segments) literal.push_back(!s.is_param);
    return literal;
  };
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    PathParams params;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const Segment& want = route.segments[i];
      if (want.is_param) {
        auto value = percent_decode(segments[i]);
        if (!value || value->empty()) {
          ok = false;
        } else {
          params.emplace(want.text, std::move(*value));
        }
      } else {
        ok = want.text == segments[i];
      }
    }
    if (!ok) continue;
    if (route.method != method) {
      if (std::find(result.allowed.begin(), result.allowed.end(), route.method) ==
          result.allowed.end()) {
        result.allowed.push_back(route.method);
      }
      continue;
    }
    if (best == nullptr || specificity(route) > specificity(*best)) {
      best = &route;
      best_params = std::move(params);
    }
  }
  if (best != nullptr) {
    result.kind = Match::Kind::kFound;
    result.handler = &best->handler;
    result.params = std::move(best_params);
    result.allowed.clear();
  } else if (!result.allowed.empty()) {
    result.kind = Match::Kind::kMethodNotAllowed;
  }
  return result;
}

void Router::add_stream(std::string_view path, std::shared_ptr<StreamEndpoint> endpoint) {
  if (path.empty() || path.front() != '/') {
    throw std::invalid_argument(fmt::format("stream path '{}' must start with '/'", path));
  }
  if (!endpoint) throw std::invalid_argument(fmt::format("stream path '{}' has no endpoint", path));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (stream(path) != nullptr) {
    throw std::invalid_argument(fmt::format("stream path '{}' is already registered", path));
  }
  streams_.emplace_back(std::string(path), std::move(endpoint));
}

StreamEndpoint* Router::stream(std::string_view path) const {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  for (const auto& [stream_path, endpoint] : streams_) {
    if (stream_path == path) return endpoint.get();
  }
  return nullptr;
}

std::vector<StreamEndpoint*> Router::streams() const {
  std::vector<StreamEndpoint*> out;
  for (const auto& entry : streams_) out.push_back(entry.second.get());
  return out;
}

std::optional<Response> Router::dispatch(const Request& request, std::string_view path) const {
  Match match = route(request.method(), path);
  if (match.kind == Match::Kind::kNotFound) return std::nullopt;
  if (match.kind == Match::Kind::kMethodNotAllowed) {
    Response response = error_response(
        Status::method_not_allowed,
        fmt::format("Method {} is not allowed on {}.", request.method_string(), path));
    std::string allow;
    for (Verb v : match.allowed) {
      if (!allow.empty()) allow += ", ";
      allow += beast_http::to_string(v);
    }
    response.set(beast_http::field::allow, allow);
    return response;
  }
  try {
    return (*match.handler)(request, match.params);
  } catch (const HttpError& e) {
    return error_response(e.status(), e.what());
  } catch (const std::invalid_argument& e) {
    return error_response(Status::bad_request, e.what());
  } catch (const std::exception& e) {
    spdlog::error("http: {} {} failed: {}", request.method_string(), path, e.what());
  } catch (...) {
    spdlog::error("http: {} {} failed with a non-standard exception", request.method_string(),
                  path);
  }
  return error_response(Status::internal_server_error, "Internal server error.");
}

}  // namespace scanhub::http
