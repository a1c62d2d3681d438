#include "signalr/record_reader.hpp"

#include <cstring>

namespace scanhub::signalr {

void shrink_buffer(std::string& buffer) {
  // Room a reader keeps between records: a few invocations' worth. Beyond it, a buffer that
  // grew for one large record (up to max_receive_message_size, 32 KiB by default and up to
  // 16 MiB) is given back once that record is read: kept, it would cost that much per
  // connection for the connection's lifetime.
  constexpr std::size_t kRetainedCapacity = 4096;
  if (buffer.capacity() > kRetainedCapacity && buffer.size() <= kRetainedCapacity / 2) {
    buffer.shrink_to_fit();
  }
}

void RecordReader::compact() {
  if (consumed_ > 0) {
    // Drop what next() already returned so the buffer holds at most the unread records.
    buffer_.erase(0, consumed_);
    scanned_ -= consumed_;
    consumed_ = 0;
  }
  shrink_buffer(buffer_);
}

bool RecordReader::append(std::string_view bytes) {
  if (failed_) return false;
  compact();
  buffer_.append(bytes);
  // Check the limit on arrival, so an endless record without a separator never grows the
  // buffer beyond one chunk past the limit.
  const char* data = buffer_.data();
  std::size_t pos = scanned_;
  while (pos < buffer_.size()) {
    const void* hit = std::memchr(data + pos, kRecordSeparator, buffer_.size() - pos);
    if (hit == nullptr) {
      current_len_ += buffer_.size() - pos;
      pos = buffer_.size();
      break;
    }
    const auto sep = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
    current_len_ += sep - pos;
    if (current_len_ > max_record_size_) break;
    current_len_ = 0;
    pos = sep + 1;
  }
  scanned_ = pos;
  if (current_len_ > max_record_size_) {
    failed_ = true;
    std::string().swap(buffer_);
    consumed_ = scanned_ = current_len_ = 0;
    return false;
  }
  return true;
}

std::optional<std::string_view> RecordReader::next() {
  if (failed_ || consumed_ >= scanned_) return std::nullopt;
  const std::string_view rest(buffer_.data() + consumed_, scanned_ - consumed_);
  const auto sep = rest.find(kRecordSeparator);
  if (sep == std::string_view::npos) return std::nullopt;  // only a partial record is scanned
  consumed_ += sep + 1;
  return rest.substr(0, sep);
}

std::string RecordReader::take_unread() {
  std::string rest = buffer_.substr(consumed_);
  std::string().swap(buffer_);
  consumed_ = scanned_ = current_len_ = 0;
  return rest;
}

}  // namespace scanhub::signalr
