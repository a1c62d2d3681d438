#pragma once
// Argument handling shared by the hub adapters: method-name matching and argument checks that
// turn a client's mistake into an error completion (signalr::HubError), worded like ASP.NET
// Core's so clients that match on the text keep working.
//
// Source: ASP.NET Core SignalR (method names are case-insensitive; HubException messages).
// Pure functions; thread-safe.

#include "signalr/hub.hpp"

#include <boost/json/array.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::hubs {

/// Hub method names compare case-insensitively (ASCII), as in ASP.NET Core.
bool same_method(std::string_view a, std::string_view b) noexcept;

/// Throws signalr::HubError unless `arguments` has exactly `arity` elements; `signature` names
/// them for the message ("jobId: string").
void expect_arity(const boost::json::array& arguments, std::size_t arity, std::string_view method,
                  std::string_view signature);

/// Argument `index` of `method`, named `name`, as a string: a JSON string as is, an integer in
/// decimal (our ids are numeric, seed clients send strings). Anything else throws HubError.
std::string string_argument(const boost::json::array& arguments, std::size_t index,
                            std::string_view method, std::string_view name);

/// The longest id a hub method takes (scan, job, video and library ids), in bytes. Ours are
/// decimal numbers or "job-" and a number; seed clients' ids are GUIDs (36 bytes). Longer ids
/// are refused before anything is looked up or stored: a client that joins groups named by
/// 30 KB ids would otherwise make the server keep them.
inline constexpr std::size_t kMaxIdLength = 128;

/// The only argument of `method`, an id named `name`: exactly one argument (expect_arity), a
/// string (string_argument) of at most kMaxIdLength bytes. Throws HubError otherwise; the
/// message never echoes the id.
std::string id_argument(const boost::json::array& arguments, std::string_view method,
                        std::string_view name);

}  // namespace scanhub::hubs
