#pragma once
// The HTTP message types every REST handler sees, and errors a handler may throw.
// Source: RFC 9110 status semantics; Boost.Beast message types.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <map>
#include <stdexcept>
#include <string>

namespace scanhub::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Verb = boost::beast::http::verb;
using Status = boost::beast::http::status;

/// `{name}` values of a route pattern, percent-decoded.
using PathParams = std::map<std::string, std::string, std::less<>>;

/// Thrown by a handler to answer with `status` and `{"error": what()}`; the message is sent to
/// the client, so it must not carry internal details. std::invalid_argument from a handler is
/// answered the same way with 400; any other exception with a generic 500.
class HttpError : public std::runtime_error {
 public:
  HttpError(Status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  Status status() const noexcept { return status_; }

 private:
  Status status_;
};

}  // namespace scanhub::http
