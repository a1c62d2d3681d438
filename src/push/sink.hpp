#pragma once
// Where a SendPipeline writes: one client's transport (a SignalR transport, the /ws event
// socket, an SSE stream). The pipeline hands it whole batches of records, one batch in flight
// at a time; the sink frames them for its wire (a WebSocket frame, an SSE event, a poll's body)
// and reports the end of a pending write back with SendPipeline::on_send_complete.
//
// Threading: every call, in both directions, on the connection's strand. No exception escapes
// a sink's calls but std::bad_alloc.

#include "push/record.hpp"

#include <string_view>
#include <vector>

namespace scanhub::push {

/// What PushSink::send did with a batch.
enum class SendStatus {
  kPending,  ///< the write is under way: SendPipeline::on_send_complete follows
  kWritten,  ///< every byte left at once (a direct write): no on_send_complete follows
};

class PushSink {
 public:
  virtual ~PushSink() = default;

  /// Writes complete records, in order, as one transport message. kPending: the caller keeps
  /// `records` alive and unchanged until on_send_complete. kWritten: the bytes are with the
  /// kernel already and the send is over.
  virtual SendStatus send(const std::vector<SharedRecord>& records) = 0;
  /// Graceful end once everything was written (`reason`: for logs and a WebSocket close frame;
  /// static storage).
  virtual void close(std::string_view reason) = 0;
  /// Immediate end: cancel pending operations and drop the socket.
  virtual void abort() = 0;
};

}  // namespace scanhub::push
