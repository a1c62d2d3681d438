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

Router::Router() : authenticator_(std::make_shared<auth::AnonymousAuthenticator>()) {}

void Router::set_authenticator(std::shared_ptr<const auth::Authenticator> authenticator) {
  authenticator_ = authenticator ? std::move(authenticator)
                                 : std::make_shared<auth::AnonymousAuthenticator>();
}

void Router::add(Verb method, std::string_view pattern, Handler handler, Access access) {
  if (!handler) throw std::invalid_argument(fmt::format("route '{}' has no handler", pattern));
  add(method, pattern,
      PrincipalHandler([handler = std::move(handler)](const Request& request,
                                                      const PathParams& params,
                                                      const auth::Principal&) {
        return handler(request, params);
      }),
      access);
}

void Router::add(Verb method, std::string_view pattern, PrincipalHandler handler,
                 Access access) {
  if (!handler) throw std::invalid_argument(fmt::format("route '{}' has no handler", pattern));
  add(method, pattern,
      ClientHandler([handler = std::move(handler)](const Request& request, const PathParams& params,
                                                   const auth::Principal& principal,
                                                   const boost::asio::ip::address&) {
        return handler(request, params, principal);
      }),
      access);
}

void Router::add(Verb method, std::string_view pattern, ClientHandler handler, Access access) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument(fmt::format("route pattern '{}' must start with '/'", pattern));
  }
  if (!handler) throw std::invalid_argument(fmt::format("route '{}' has no handler", pattern));
  Route route{method, std::string(pattern), {}, std::move(handler), access};
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
    result.access = best->access;
    result.params = std::move(best_params);
    result.allowed.clear();
  } else if (!result.allowed.empty()) {
    result.kind = Match::Kind::kMethodNotAllowed;
  }
  return result;
}

void Router::add_stream(std::string_view path, std::shared_ptr<StreamEndpoint> endpoint,
                        Access access) {
  if (path.empty() || path.front() != '/') {
    throw std::invalid_argument(fmt::format("stream path '{}' must start with '/'", path));
  }
  if (!endpoint) throw std::invalid_argument(fmt::format("stream path '{}' has no endpoint", path));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (stream(path) != nullptr) {
    throw std::invalid_argument(fmt::format("stream path '{}' is already registered", path));
  }
  streams_.push_back({std::string(path), std::move(endpoint), access});
}

StreamEndpoint* Router::stream(std::string_view path, Access* access) const {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  for (const StreamPath& entry : streams_) {
    if (entry.path == path) {
      if (access != nullptr) *access = entry.access;
      return entry.endpoint.get();
    }
  }
  return nullptr;
}

std::vector<StreamEndpoint*> Router::streams() const {
  std::vector<StreamEndpoint*> out;
  for (const StreamPath& entry : streams_) out.push_back(entry.endpoint.get());
  return out;
}

std::optional<Response> Router::dispatch(const Request& request, std::string_view path,
                                         const boost::asio::ip::address& client) const {
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
    auto principal = authorize(*authenticator_, request, split_target(request.target()).query,
                               match.access, TokenSources::kHeader);
    if (!principal) return std::move(principal.error());
    return (*match.handler)(request, match.params, *principal, client);
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
