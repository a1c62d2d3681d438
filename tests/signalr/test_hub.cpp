#include "test_hub.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

namespace scanhub::tests {
namespace json = boost::json;
using signalr::HubError;

namespace {
const json::string& string_arg(const json::array& arguments, std::size_t i) {
  if (i >= arguments.size() || !arguments[i].is_string()) {
    throw HubError("Argument " + std::to_string(i) + " must be a string.");
  }
  return arguments[i].get_string();
}
double number_arg(const json::array& arguments, std::size_t i) {
  if (i >= arguments.size() || !arguments[i].is_number()) {
    throw HubError("Argument " + std::to_string(i) + " must be a number.");
  }
  return arguments[i].to_number<double>();
}
void expect_count(const json::array& arguments, std::size_t n, std::string_view target) {
  if (arguments.size() != n) {
    throw HubError(std::string("Failed to invoke '") + std::string(target) + "': expected " +
                   std::to_string(n) + " argument(s), got " + std::to_string(arguments.size()) +
                   ".");
  }
}
}  // namespace

void TestHub::invoke(const signalr::CallerContext& caller, std::string_view target,
                     const json::array& arguments, signalr::Completion complete) {
  if (target == "Echo") {
    expect_count(arguments, 1, target);
    complete(arguments[0]);
  } else if (target == "Whoami") {
    // Who the connection acts for (CallerContext::user): its user id, "" when anonymous.
    complete(json::value(json::object{{"userId", caller.user.user_id},
                                      {"admin", caller.user.admin},
                                      {"anonymous", caller.user.anonymous()}}));
  } else if (target == "Add") {
    expect_count(arguments, 2, target);
    complete(json::value(number_arg(arguments, 0) + number_arg(arguments, 1)));
  } else if (target == "Fail") {
    throw HubError("Something went wrong on purpose.");
  } else if (target == "Crash") {
    throw std::runtime_error("secret internal detail");
  } else if (target == "Never") {
    // Drops `complete`: the server must still answer with an error.
  } else if (target == "NoResult") {
    complete(json::value(nullptr));
  } else if (target == "JoinGroup") {
    context_->add_to_group(caller.connection_id, string_arg(arguments, 0));
    complete(json::value(nullptr));
  } else if (target == "LeaveGroup") {
    context_->remove_from_group(caller.connection_id, string_arg(arguments, 0));
    complete(json::value(nullptr));
  } else if (target == "SendToGroup") {
    expect_count(arguments, 2, target);
    const json::string& group = string_arg(arguments, 0);
    context_->send_group(group, "GroupMessage", json::array{group, arguments[1]});
    complete(json::value(nullptr));
  } else if (target == "Broadcast") {
    expect_count(arguments, 1, target);
    context_->send_all("Broadcast", json::array{arguments[0]});
    complete(json::value(nullptr));
  } else if (target == "Delayed") {
    expect_count(arguments, 2, target);
    const auto ms = static_cast<long>(number_arg(arguments, 0));
    auto timer = std::make_shared<boost::asio::steady_timer>(worker_, std::chrono::milliseconds(ms));
    timer->async_wait([timer, value = arguments[1], complete](boost::system::error_code) {
      complete(value);  // on the worker thread, not the connection's strand
    });
  } else if (target == "SendToMe") {
    if (arguments.size() != 2 && arguments.size() != 3) expect_count(arguments, 2, target);
    const auto count = static_cast<int>(number_arg(arguments, 0));
    signalr::SendOptions options;
    options.conflation_key = std::string(string_arg(arguments, 1));
    const std::string padding(
        arguments.size() == 3 ? static_cast<std::size_t>(number_arg(arguments, 2)) : 0, 'p');
    for (int i = 0; i < count; ++i) {
      json::array event{i};
      if (!padding.empty()) event.emplace_back(padding);
      context_->send_connection(caller.connection_id, "Progress", std::move(event), options);
    }
    complete(json::value(count));
  } else if (target == "WhoAmI") {
    complete(json::value(json::object{{"connectionId", caller.connection_id},
                                      {"accessToken", caller.access_token}}));
  } else if (target == "Stats") {
    complete(json::value(json::object{{"connected", connected_.load()},
                                      {"disconnected", disconnected_.load()}}));
  } else {
    complete(std::unexpected(signalr::unknown_method_error(target)));
  }
}

void TestHub::on_connected(const signalr::CallerContext&) { ++connected_; }
void TestHub::on_disconnected(const signalr::CallerContext&) { ++disconnected_; }

}  // namespace scanhub::tests
