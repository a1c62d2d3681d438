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

std::string id_argument(const boost::json::array& arguments, std::string_view method,
                        std::string_view name) {
  expect_arity(arguments, 1, method, std::string(name) + ": string");
  std::string id = string_argument(arguments, 0, method, name);
  if (id.size() > kMaxIdLength) {
    throw signalr::HubError("Failed to invoke '" + std::string(method) + "': argument " +
                            std::string(name) + " is longer than " +
                            std::to_string(kMaxIdLength) + " bytes.");
  }
  return id;
}

}  // namespace scanhub::hubs
