#include "text/json_text.hpp"

#include "text/utf8.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

namespace scanhub::text {

namespace {

std::string valid(std::string serialized) {
  make_valid_utf8(serialized);
  return serialized;
}

}  // namespace

std::string serialize_json(const boost::json::value& value) {
  return valid(boost::json::serialize(value));
}

std::string serialize_json(const boost::json::object& value) {
  return valid(boost::json::serialize(value));
}

std::string serialize_json(const boost::json::array& value) {
  return valid(boost::json::serialize(value));
}

std::string serialize_json_string(std::string_view string) {
  return valid(boost::json::serialize(boost::json::string_view(string.data(), string.size())));
}

boost::json::value parse_stored_json(std::string_view text, boost::system::error_code& ec) {
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  return boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, options);
}

}  // namespace scanhub::text
