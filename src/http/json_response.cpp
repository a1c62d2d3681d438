#include "http/json_response.hpp"

#include "text/json_text.hpp"

#include <boost/json/object.hpp>

namespace scanhub::http {
namespace beast_http = boost::beast::http;

Response json_response(Status status, const boost::json::value& body) {
  Response response{status, 11};
  response.set(beast_http::field::content_type, "application/json; charset=utf-8");
  response.set(beast_http::field::cache_control, "no-store");
  response.body() = text::serialize_json(body);
  response.prepare_payload();
  return response;
}

Response error_response(Status status, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  return json_response(status, body);
}

}  // namespace scanhub::http
