#include "http/authorize.hpp"

#include "http/json_response.hpp"
#include "http/query.hpp"

#include <boost/beast/core/string.hpp>

namespace scanhub::http {
namespace beast_http = boost::beast::http;

auth::Credentials credentials_of(const Request& request, std::string_view query,
                                 TokenSources sources, std::string& decoded_query_token) {
  auth::Credentials credentials;
  const std::string_view authorization = request[beast_http::field::authorization];
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size() &&
      boost::beast::iequals(authorization.substr(0, kBearer.size()), kBearer)) {
    std::string_view token = authorization.substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    credentials.bearer_token = token;
  }
  if (credentials.bearer_token.empty() && sources == TokenSources::kHeaderOrQuery) {
    const QueryParams params(query);
    if (auto token = params.get("access_token")) {
      decoded_query_token.assign(*token);
      credentials.bearer_token = decoded_query_token;
    }
  }
  credentials.api_key = request["X-Api-Key"];
  return credentials;
}

Response unauthorized_response(const auth::AuthFailure& failure) {
  Response response = error_response(
      Status::unauthorized,
      failure.description.empty() ? std::string_view("Authentication is required.")
                                  : std::string_view(failure.description));
  response.set(beast_http::field::www_authenticate, auth::www_authenticate(&failure));
  return response;
}

Response forbidden_response() {
  return error_response(Status::forbidden, "This requires the admin role.");
}

std::expected<auth::Principal, Response> authorize(const auth::Authenticator& authenticator,
                                                   const Request& request,
                                                   std::string_view query, Access access,
                                                   TokenSources sources) {
  if (!authenticator.required()) return auth::anonymous_principal();
  std::string query_token;
  const auth::Credentials credentials = credentials_of(request, query, sources, query_token);
  auto principal = authenticator.authenticate(credentials);
  if (access == Access::kOpen) {
    // An open route still learns who called when the credentials are valid; otherwise the
    // caller is nobody: no user, no role (not anonymous_principal(), which is an admin).
    if (principal) return std::move(*principal);
    auth::Principal nobody;
    nobody.admin = false;
    return nobody;
  }
  if (!principal) return std::unexpected(unauthorized_response(principal.error()));
  if (access == Access::kAdmin && !principal->admin) {
    return std::unexpected(forbidden_response());
  }
  return std::move(*principal);
}

std::chrono::steady_clock::time_point steady_expiry(const auth::Principal& principal) {
  using std::chrono::steady_clock;
  using std::chrono::system_clock;
  if (principal.expires == system_clock::time_point::max()) return steady_clock::time_point::max();
  const auto left = principal.expires - system_clock::now();
  return steady_clock::now() + std::chrono::duration_cast<steady_clock::duration>(left);
}

}  // namespace scanhub::http
