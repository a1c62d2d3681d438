#include "hubs/hub_arguments.hpp"

#include <charconv>
#include <strings.h>

namespace scanhub::hubs {

bool same_method(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void expect_arity(const boost::json::array& arguments, std::size_t arity, std::string_view method,
                  std::string_view signature) {
  if (arguments.size() != arity) {
    throw signalr::HubError("Failed to invoke '" + std::string(method) + "': it takes " +
                            std::to_string(arity) + " argument(s) (" + std::string(signature) +
                            "), the invocation provides " + std::to_string(arguments.size()) + ".");
  }
}

std::string string_argument(const boost::json::array& arguments, std::size_t index,
                            std::string_view method, std::string_view name) {
  const auto& value = arguments.at(index);
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  throw signalr::HubError("Failed to invoke '" + std::string(method) + "': argument " +
                          std::string(name) + " must be a string.");
}

std::optional<std::int64_t> parse_positive_id(std::string_view text) noexcept {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace scanhub::hubs
