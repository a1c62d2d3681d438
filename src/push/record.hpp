#pragma once
// A message as it goes on the wire: serialized once per wire format and shared, immutable, by
// every recipient of that format (STYLE.md "Pushing to clients"; DESIGN.md "Surfaces": one
// send pipeline, serialize once per wire format, not per recipient).
//
// A SharedRecord is what every outbox, inbox and sink of src/push holds: a reference count, no
// copy of the bytes. RecordsByFormat makes one message's records lazily during a fan-out, so a
// format none of the recipients speaks is never serialized.
//
// Threading: a SharedRecord may be read from any thread (the bytes never change); a
// RecordsByFormat belongs to the one fan-out that uses it. Throws only what `serialize` throws
// and std::bad_alloc.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace scanhub::push {

using SharedRecord = std::shared_ptr<const std::string>;

inline SharedRecord make_record(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

/// One message's records, one per wire format (an index below kFormats, e.g. SignalR's JSON
/// and MessagePack hub protocols, or a /ws text frame and an SSE event), each made by
/// `serialize(format)` (returning a std::string or a SharedRecord) the first time it is asked
/// for.
template <std::size_t kFormats, class Serialize>
class RecordsByFormat {
 public:
  explicit RecordsByFormat(Serialize serialize) : serialize_(std::forward<Serialize>(serialize)) {}

  /// The record for `format` (< kFormats), made on the first call.
  const SharedRecord& get(std::size_t format) {
    SharedRecord& record = records_[format];
    if (!record) {
      if constexpr (std::is_convertible_v<decltype(serialize_(format)), SharedRecord>) {
        record = serialize_(format);
      } else {
        record = make_record(serialize_(format));
      }
    }
    return record;
  }

 private:
  Serialize serialize_;
  std::array<SharedRecord, kFormats> records_{};
};

}  // namespace scanhub::push
