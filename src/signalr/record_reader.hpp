#pragma once
// Reassembles the records of SignalR's text framing (JSON hub protocol and handshake): each
// record ends with the ASCII record separator 0x1E. Bytes arrive in arbitrary chunks (several
// records in one transport message, one record split over several); every record is bounded.
//
// Source: HubProtocol.md "JSON Encoding" and the handshake section. One reader per connection,
// used on that connection's strand only (not thread-safe). Throws nothing but std::bad_alloc.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scanhub::signalr {

inline constexpr char kRecordSeparator = '\x1e';

/// Gives back the room of a reader's `buffer` beyond a few KiB when what it holds is small
/// (RecordReader and LengthPrefixedReader after a large message).
void shrink_buffer(std::string& buffer);

class RecordReader {
 public:
  /// `max_record_size`: the largest record accepted, separator excluded, in bytes.
  explicit RecordReader(std::size_t max_record_size) : max_record_size_(max_record_size) {}

  /// Appends received bytes. Returns false when a record (complete or not) is longer than the
  /// limit; the reader then refuses further input. Invalidates views returned by next().
  [[nodiscard]] bool append(std::string_view bytes);

  /// The next complete record without its separator, or nullopt when none is complete yet.
  /// The view stays valid until the next append().
  std::optional<std::string_view> next();

  /// Removes and returns every byte not yet returned by next() (the data after the handshake
  /// when the connection switches to a binary protocol).
  std::string take_unread();

  /// Drops the bytes next() returned and gives back the buffer's room beyond a few KiB, so a
  /// connection that once sent a large record does not hold a buffer of that size for the rest
  /// of its life (append() does the same). Invalidates views returned by next().
  void compact();

  /// Bytes buffered and not yet returned by next() (complete and partial records).
  std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }
  /// Bytes the buffer holds allocated (memory accounting and tests).
  std::size_t capacity() const noexcept { return buffer_.capacity(); }
  bool failed() const noexcept { return failed_; }

 private:
  std::size_t max_record_size_;
  std::string buffer_;
  std::size_t consumed_ = 0;     // prefix of buffer_ already returned by next()
  std::size_t scanned_ = 0;      // prefix of buffer_ already checked for the size limit
  std::size_t current_len_ = 0;  // length of the record being scanned, up to scanned_
  bool failed_ = false;
};

}  // namespace scanhub::signalr
