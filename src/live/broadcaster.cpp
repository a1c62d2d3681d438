#include "live/broadcaster.hpp"

#include "events/sse.hpp"
#include "push/fan_out.hpp"
#include "push/websocket_frame.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace scanhub::live {

void EventBroadcaster::add(const std::shared_ptr<push::Subscription>& subscription,
                           std::optional<events::EventFilter> filter) {
  std::lock_guard lock(mutex_);
  if (filter) {
    filtered_.insert_or_assign(subscription.get(), Filtered{subscription, std::move(*filter)});
  } else {
    all_.insert_or_assign(subscription.get(), subscription);
    snapshot_.reset();
  }
}

void EventBroadcaster::remove(const push::Subscription* subscription) {
  std::lock_guard lock(mutex_);
  if (all_.erase(subscription) > 0) snapshot_.reset();
  filtered_.erase(subscription);
}

std::size_t EventBroadcaster::size() const {
  std::lock_guard lock(mutex_);
  return all_.size() + filtered_.size();
}

void EventBroadcaster::deliver(const events::SharedRecord& record) noexcept {
  try {
    Recipients everyone;
    std::vector<std::shared_ptr<push::Subscription>> matching;
    {
      std::lock_guard lock(mutex_);
      if (!snapshot_ && !all_.empty()) {
        auto snapshot = std::make_shared<std::vector<std::shared_ptr<push::Subscription>>>();
        snapshot->reserve(all_.size());
        for (const auto& [raw, subscription] : all_) snapshot->push_back(subscription);
        snapshot_ = std::move(snapshot);
      }
      everyone = snapshot_;
      for (const auto& [raw, entry] : filtered_) {
        if (entry.filter.matches(*record)) matching.push_back(entry.subscription);
      }
    }
    // Framed once per format, for both fan-outs: every socket gets the same frame, every
    // stream the same event.
    std::array<push::SharedRecord, kFormats> frames{};
    const auto frame = [&](std::size_t format) -> push::SharedRecord {
      push::SharedRecord& out = frames[format];
      if (!out) {
        out = push::make_record(format == kWebSocketFormat ? push::websocket_frame(record->json)
                                                           : events::sse_event(*record));
      }
      return out;
    };
    if (everyone) push::fan_out<kFormats>(everyone, record->conflation_key, frame);
    if (!matching.empty()) {
      push::fan_out<kFormats>(
          std::make_shared<const std::vector<std::shared_ptr<push::Subscription>>>(
              std::move(matching)),
          record->conflation_key, frame);
    }
  } catch (const std::exception& e) {
    // Out of memory: this record does not reach the clients (the history keeps it for a
    // resuming stream).
    spdlog::error("events: record {} not sent: {}", record->sequence, e.what());
  }
}

}  // namespace scanhub::live
