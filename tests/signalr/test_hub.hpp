#pragma once
// A hub for exercising the SignalR server end to end (tests/e2e). Methods:
//   Echo(x) -> x                      Add(a, b) -> a + b (numbers; else an error completion)
//   Fail() -> HubError                Crash() -> std::runtime_error (generic error to client)
//   Never() drops its completion      NoResult() -> null
//   JoinGroup(g), LeaveGroup(g)       SendToGroup(g, payload) -> "GroupMessage"(g, payload)
//   Broadcast(payload) -> "Broadcast"(payload) to all
//   Delayed(ms, value) -> value, completed later from a worker thread
//   SendToMe(count, key[, pad]) -> "Progress"(i[, pad bytes]) i = 0..count-1 to the caller,
//                                  conflated when key != ""
//   WhoAmI() -> {connectionId, accessToken}
//   Stats() -> {connected, disconnected}
// Thread-safe; the worker executor must outlive the hub's use.

#include "signalr/hub.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>

namespace scanhub::tests {

class TestHub : public signalr::Hub {
 public:
  explicit TestHub(boost::asio::any_io_executor worker) : worker_(std::move(worker)) {}
  void set_context(signalr::HubContext* context) { context_ = context; }

  void invoke(const signalr::CallerContext& caller, std::string_view target,
              const boost::json::array& arguments, signalr::Completion complete) override;
  void on_connected(const signalr::CallerContext& caller) override;
  void on_disconnected(const signalr::CallerContext& caller) override;

 private:
  boost::asio::any_io_executor worker_;
  signalr::HubContext* context_ = nullptr;
  std::atomic<int> connected_{0};
  std::atomic<int> disconnected_{0};
};

}  // namespace scanhub::tests
