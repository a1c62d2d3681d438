#include "api/auth_routes.hpp"

#include "auth/login_service.hpp"
#include "core/time.hpp"
#include "http/json_response.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>

namespace scanhub::api {

namespace {

using http::Status;
namespace beast_http = boost::beast::http;

constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr auto kLoginWait = std::chrono::seconds(10);

struct State {
  AuthRouteServices services;
  // Argon2 never runs on a network thread; two at once bound its memory (19 MiB each).
  boost::asio::thread_pool pool{2};
  ~State() { pool.join(); }
};

std::string_view header(const http::Request& request, std::string_view name) {
  const auto found = request.find(name);
  return found == request.end() ? std::string_view() : std::string_view(found->value());
}

// The request's credentials: `Authorization: Bearer`, `X-Api-Key`.
auth::Credentials credentials_of(const http::Request& request) {
  auth::Credentials credentials;
  const std::string_view authorization = header(request, "Authorization");
  if (authorization.size() > 7) {
    std::string scheme(authorization.substr(0, 7));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "bearer ") credentials.bearer_token = authorization.substr(7);
  }
  credentials.api_key = header(request, "X-Api-Key");
  return credentials;
}

struct LoginBody {
  std::string username;
  std::string password;
};

LoginBody parse_login(const http::Request& request) {
  static const std::string kShape = "The body must be JSON {\"username\": \"...\", \"password\": \"...\"}.";
  boost::system::error_code ec;
  const auto value = boost::json::parse(request.body(), ec);
  if (ec || !value.is_object()) throw http::HttpError(Status::bad_request, kShape);
  const auto* username = value.as_object().if_contains("username");
  const auto* password = value.as_object().if_contains("password");
  if (!username || !username->is_string() || !password || !password->is_string() ||
      username->as_string().empty()) {
    throw http::HttpError(Status::bad_request, kShape);
  }
  if (username->as_string().size() > kMaxNameBytes || password->as_string().size() > kMaxPasswordBytes) {
    throw http::HttpError(Status::bad_request, "The user name or password is too long.");
  }
  return {std::string(username->as_string()), std::string(password->as_string())};
}

// The limiter's key for a client: IPv4-mapped IPv6 peers spelled as IPv4, so one client has
// one key whichever socket family accepted it; empty (not counted) when the address is unknown.
std::string address_key(const boost::asio::ip::address& client) {
  if (client.is_unspecified()) return {};
  if (client.is_v6() && client.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6()).to_string();
  }
  return client.to_string();
}

http::Response login(State& state, const http::Request& request, const boost::asio::ip::address& client) {
  if (!state.services.login) throw http::HttpError(Status::not_found, "There are no local users.");
  const LoginBody body = parse_login(request);
  const std::string address = address_key(client);
  auto task = std::make_shared<std::packaged_task<std::expected<auth::LoginResult, auth::LoginRefused>()>>(
      [login = state.services.login, body, address] { return login->login(body.username, body.password, address); });
  auto result = task->get_future();
  boost::asio::post(state.pool, [task] { (*task)(); });
  if (result.wait_for(kLoginWait) != std::future_status::ready) {
    spdlog::warn("auth: a sign-in took longer than {} s", kLoginWait.count());
    throw http::HttpError(Status::service_unavailable, "Signing in is slow right now; try again.");
  }
  const auto outcome = result.get();  // rethrows a database failure: 500
  if (!outcome) {
    if (outcome.error().reason == auth::LoginRefused::Reason::kRateLimited) {
      const auto seconds = outcome.error().retry_after.count();
      auto response = http::error_response(
          Status::too_many_requests,
          "Too many failed sign-ins; try again in " + std::to_string(seconds) + " s.");
      response.set(beast_http::field::retry_after, std::to_string(seconds));
      return response;
    }
    return http::error_response(Status::unauthorized, "Wrong user name or password.");
  }
  auto response = http::json_response(
      Status::ok, boost::json::object{{"token", outcome->token.token},
                                      {"expiresAt", core::format_iso8601(outcome->token.expires_at)},
                                      {"user", boost::json::object{{"id", std::to_string(outcome->user.id)},
                                                                   {"name", outcome->user.name},
                                                                   {"admin", outcome->user.admin}}}});
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

http::Response me(const State& state, const http::Request& request) {
  const auto principal = state.services.authenticator->authenticate(credentials_of(request));
  if (!principal) {
    auto response = http::error_response(
        Status::unauthorized,
        principal.error().description.empty() ? "Sign in first." : principal.error().description);
    response.set(beast_http::field::www_authenticate, auth::www_authenticate(&principal.error()));
    return response;
  }
  boost::json::array roles;
  for (const auto& role : principal->roles) roles.emplace_back(role);
  return http::json_response(
      Status::ok, boost::json::object{{"userId", principal->anonymous() ? boost::json::value(nullptr)
                                                                        : boost::json::value(principal->user_id)},
                                      {"name", principal->name},
                                      {"roles", std::move(roles)},
                                      {"admin", principal->admin}});
}

}  // namespace

void add_auth_routes(http::Router& router, AuthRouteServices services) {
  if (!services.authenticator) services.authenticator = std::make_shared<auth::AnonymousAuthenticator>();
  auto state = std::make_shared<State>();
  state->services = std::move(services);
  router.add(http::Verb::get, "/api/auth/config", [state](const http::Request&, const http::PathParams&) {
    const bool local_users = state->services.login && state->services.login->has_users();
    return http::json_response(Status::ok, boost::json::object{{"required", state->services.authenticator->required()},
                                                               {"localUsers", local_users}});
  }, http::Access::kOpen);
  // Open: a caller without a token signs in here.
  router.add(http::Verb::post, "/api/auth/login",
             http::ClientHandler([state](const http::Request& request, const http::PathParams&,
                                         const auth::Principal&, const boost::asio::ip::address& client) {
               return login(*state, request, client);
             }),
             http::Access::kOpen);
  router.add(http::Verb::get, "/api/auth/me",
             [state](const http::Request& request, const http::PathParams&) { return me(*state, request); });
}

}  // namespace scanhub::api
