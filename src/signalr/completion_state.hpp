#pragma once
// The state behind one invocation's Completion callback (hub.hpp), shared by every copy of
// it. Guarantees the hub contract's "exactly once": a second call is ignored, and a Completion
// dropped without a call still completes (with an error) so the client is not left waiting and
// the connection's back-pressure on invocations is released. Internal to src/signalr.
//
// Threading: deliver() from any thread (an atomic flag decides the first call); the completion
// reaches the connection through HubConnection::post_completion, in order with its sends.

#include "signalr/hub_connection.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace scanhub::signalr {

class CompletionState {
 public:
  CompletionState(std::weak_ptr<HubConnection> connection,
                  std::optional<std::string> invocation_id, std::string target)
      : connection_(std::move(connection)),
        invocation_id_(std::move(invocation_id)),
        target_(std::move(target)) {}

  ~CompletionState() {
    if (done_.load(std::memory_order_relaxed)) return;
    try {
      spdlog::warn("signalr: hub method '{}' dropped its completion without calling it", target_);
      deliver(std::unexpected(
          fmt::format("An unexpected error occurred invoking '{}' on the server.", target_)));
    } catch (...) {
      // Destructors stay noexcept; a lost completion is already logged.
    }
  }

  void deliver(InvocationResult outcome) {
    if (done_.exchange(true)) return;  // only the first call counts
    auto connection = connection_.lock();
    if (!connection) return;  // closed meanwhile: nobody to tell
    connection->post_completion(invocation_id_, std::move(outcome));
  }

 private:
  std::weak_ptr<HubConnection> connection_;
  std::optional<std::string> invocation_id_;
  std::string target_;
  std::atomic<bool> done_{false};
};

}  // namespace scanhub::signalr
