#pragma once
// The contract between the SignalR server (src/signalr) and the hubs built on it (src/hubs).
//
// Source: ASP.NET Core SignalR, src/SignalR/docs/specs/HubProtocol.md (invocations, completions,
// groups) in dotnet/aspnetcore. A hub here is what `Hub` is in ASP.NET Core: a table of methods
// that clients invoke, plus connection lifecycle callbacks; `HubContext` is what
// `IHubContext<THub>` is: the way the rest of the program sends to clients and manages groups.

#include "auth/principal.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <expected>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scanhub::signalr {

/// An error a hub method reports to its caller. Its message is sent verbatim as the completion's
/// `error` (as ASP.NET Core does for HubException); any other exception thrown by a hub method
/// is reported with a generic message, so internal details never leak to clients.
class HubError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The completion error for a target the hub does not have, worded as ASP.NET Core words it
/// (clients and their tests match on it): "Failed to invoke 'X' due to an error on the server.
/// HubException: Method does not exist."
inline std::string unknown_method_error(std::string_view target) {
  return "Failed to invoke '" + std::string(target) +
         "' due to an error on the server. HubException: Method does not exist.";
}

/// Who is calling: one SignalR connection.
struct CallerContext {
  std::string connection_id;  ///< the negotiate response's connectionId
  std::string access_token;   ///< from `Authorization: Bearer` or `access_token=`; empty if none
  /// Who the connection acts for (ASP.NET Core's `Context.User`): authenticated once, at
  /// negotiate or connect; anonymous_principal() while authentication is off (issue 16).
  auth::Principal user = auth::anonymous_principal();
};

/// The outcome of one invocation: a result (json null for a method without one) or an error
/// message for the completion's `error` field.
using InvocationResult = std::expected<boost::json::value, std::string>;

/// Called exactly once per invocation, from any thread, to send the completion. For a
/// non-blocking invocation (no invocationId) the server drops the completion, as the spec says.
using Completion = std::function<void(InvocationResult)>;

/// A hub: the methods clients may invoke. Called on the calling connection's strand, one
/// invocation at a time per connection; different connections call concurrently, so
/// implementations must be thread-safe across connections.
class Hub {
 public:
  virtual ~Hub() = default;

  /// Runs method `target` with `arguments` (the invocation's JSON or MessagePack arguments,
  /// converted to JSON values). Must call `complete` exactly once, now or later from any thread.
  /// Unknown targets and wrong argument counts or types complete with an error; throwing
  /// HubError is equivalent to complete(std::unexpected(message)).
  virtual void invoke(const CallerContext& caller, std::string_view target,
                      const boost::json::array& arguments, Completion complete) = 0;

  /// After the handshake succeeded.
  virtual void on_connected(const CallerContext& /*caller*/) {}
  /// After the connection closed for any reason; the connection has left all its groups.
  virtual void on_disconnected(const CallerContext& /*caller*/) {}
};

/// How one message is queued for each recipient.
struct SendOptions {
  /// When non-empty, a message with the same key still waiting unsent in a connection's outbox
  /// is replaced by this newer one (newest progress wins). Empty: never replaced or dropped.
  std::string conflation_key;
};

/// Sending to clients of one hub and managing its groups. Thread-safe: callable from any thread.
/// Messages to one connection are delivered in the order the send calls happened (a send that
/// returned before another started is delivered first). Each message is serialized once per
/// hub protocol and shared by all recipients.
class HubContext {
 public:
  virtual ~HubContext() = default;

  /// Invocation of client method `target` on every connection of the hub.
  virtual void send_all(std::string_view target, boost::json::array arguments,
                        const SendOptions& options = {}) = 0;
  /// ... on every connection in `group` (none: nothing happens).
  virtual void send_group(std::string_view group, std::string_view target,
                          boost::json::array arguments, const SendOptions& options = {}) = 0;
  /// ... on one connection (unknown or closed: nothing happens).
  virtual void send_connection(std::string_view connection_id, std::string_view target,
                               boost::json::array arguments, const SendOptions& options = {}) = 0;

  /// Group membership; idempotent; unknown connections are ignored. A connection leaves all
  /// groups when it closes. add_to_group throws HubError, joining nothing, when the connection
  /// is already in HubOptions::max_groups_per_connection other groups: called from a hub method,
  /// that becomes the invocation's error completion.
  virtual void add_to_group(std::string_view connection_id, std::string_view group) = 0;
  virtual void remove_from_group(std::string_view connection_id, std::string_view group) = 0;
};

}  // namespace scanhub::signalr
