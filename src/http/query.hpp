#pragma once
// Request-target helpers: split path and query, percent-decoding, query parameters.
// Source: RFC 3986 (percent-encoding), WHATWG application/x-www-form-urlencoded ('+' is a
// space in query values). Pure functions, any thread; malformed input is handled, not thrown.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scanhub::http {

struct Target {
  std::string_view path;   ///< before '?', not decoded
  std::string_view query;  ///< after '?', empty when none; fragment removed
};
Target split_target(std::string_view target) noexcept;

/// Decodes %XX escapes (and '+' as space when `plus_is_space`). Returns nullopt on a malformed
/// escape or a decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

/// The query's name=value pairs, decoded, in order; malformed pairs are skipped.
class QueryParams {
 public:
  QueryParams() = default;
  explicit QueryParams(std::string_view query);

  /// The first value for `name`, or nullopt when absent.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& all() const noexcept { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace scanhub::http
