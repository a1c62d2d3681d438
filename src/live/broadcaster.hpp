#pragma once
// The EventFeed's sink for the /ws sockets and /api/events streams: each event record goes to
// every subscribed client through push::fan_out, framed once per wire format (a WebSocket text
// frame carrying the JSON, or the SSE event `id:`/`event:`/`data:`), with the record's
// conflation key (progress: a newer record replaces an unsent older one; lifecycle: never
// dropped, in order). Streams with a filter (?jobId=, ?scanId=, ?types=) get only what it
// matches, from the same shared frames. A user who is not an admin is such a stream too
// (viewer_filter): another user's external job events pass them by (issue 16, item 4).
//
// Threading: deliver() is called by the feed under the bus lock, in sequence order; it only
// enqueues (push::fan_out posts the drains). add() and remove() from any thread (one mutex; lock
// order: the bus, then this mutex, so add() may run inside EventBus::run_exclusive). Throws
// only std::bad_alloc (add).

#include "auth/principal.hpp"
#include "events/feed.hpp"
#include "events/history.hpp"
#include "push/subscription.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace scanhub::live {

/// Wire formats of push::fan_out here.
inline constexpr std::size_t kWebSocketFormat = 0;  ///< a /ws text frame: the message's JSON
inline constexpr std::size_t kSseFormat = 1;        ///< an /api/events event (events/sse.hpp)
inline constexpr std::size_t kFormats = 2;

/// The filter that keeps from `user` the job events they may not see (progress::may_see_job):
/// nullopt for an admin (and the anonymous principal: authentication off), who sees all.
inline std::optional<events::EventFilter> viewer_filter(const auth::Principal& user) {
  if (user.admin) return std::nullopt;
  events::EventFilter filter;
  filter.viewer = user.user_id;
  return filter;
}

class EventBroadcaster final : public events::EventSink {
 public:
  /// `subscription` gets every record from the next one on (those `filter` matches, when
  /// given) until removed.
  void add(const std::shared_ptr<push::Subscription>& subscription,
           std::optional<events::EventFilter> filter = std::nullopt);
  void remove(const push::Subscription* subscription);

  void deliver(const events::SharedRecord& record) noexcept override;

  std::size_t size() const;

 private:
  using Recipients = std::shared_ptr<const std::vector<std::shared_ptr<push::Subscription>>>;
  struct Filtered {
    std::shared_ptr<push::Subscription> subscription;
    events::EventFilter filter;
  };

  mutable std::mutex mutex_;
  std::unordered_map<const push::Subscription*, std::shared_ptr<push::Subscription>> all_;
  std::unordered_map<const push::Subscription*, Filtered> filtered_;
  Recipients snapshot_;  // all_ as fan_out takes it; rebuilt after a change, when next needed
};

}  // namespace scanhub::live
