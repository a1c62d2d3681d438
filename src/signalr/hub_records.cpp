#include "signalr/hub_records.hpp"

#include "signalr/json_hub_protocol.hpp"
#include "signalr/msgpack_hub_protocol.hpp"

namespace scanhub::signalr {

namespace {
bool msgpack(WireProtocol protocol) noexcept { return protocol == WireProtocol::kMessagePack; }
}  // namespace

push::SharedRecord hub_ping(WireProtocol protocol) {
  static const push::SharedRecord json = push::make_record(std::string(ping_record()));
  static const push::SharedRecord binary = push::make_record(std::string(msgpack_ping_record()));
  return msgpack(protocol) ? binary : json;
}

push::SharedRecord hub_completion(WireProtocol protocol, std::string_view invocation_id,
                                     const InvocationResult& outcome) {
  return push::make_record(msgpack(protocol) ? write_msgpack_completion(invocation_id, outcome)
                                             : write_completion(invocation_id, outcome));
}

push::SharedRecord hub_invocation(WireProtocol protocol, std::string_view target,
                                     const boost::json::array& arguments) {
  return push::make_record(msgpack(protocol) ? write_msgpack_invocation(target, arguments)
                                             : write_invocation(target, arguments));
}

push::SharedRecord hub_close(WireProtocol protocol, std::string_view error,
                                Reconnect reconnect) {
  const bool allow = reconnect == Reconnect::kAllowed;
  return push::make_record(msgpack(protocol) ? write_msgpack_close(error, allow)
                                             : write_close(error, allow));
}

push::SharedRecord hub_ack(WireProtocol protocol, std::int64_t sequence_id) {
  return push::make_record(msgpack(protocol) ? write_msgpack_ack(sequence_id)
                                             : write_ack(sequence_id));
}

push::SharedRecord hub_sequence(WireProtocol protocol, std::int64_t sequence_id) {
  return push::make_record(msgpack(protocol) ? write_msgpack_sequence(sequence_id)
                                             : write_sequence(sequence_id));
}

}  // namespace scanhub::signalr
