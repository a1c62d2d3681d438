#pragma once
// Building JSON responses. Any thread; throws only std::bad_alloc.
// Bodies are serialized by text::serialize_json: well-formed UTF-8 whatever bytes the strings hold.

#include "http/message.hpp"

#include <boost/json/value.hpp>

#include <string_view>

namespace scanhub::http {

/// `status` with `body` serialized, Content-Type application/json; charset=utf-8.
Response json_response(Status status, const boost::json::value& body);
/// `status` with `{"error": message}`.
Response error_response(Status status, std::string_view message);

}  // namespace scanhub::http
