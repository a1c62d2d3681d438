#include "signalr/message_reader.hpp"

namespace scanhub::signalr {

bool MessageReader::append(std::string_view bytes) {
  return std::visit([bytes](auto& reader) { return reader.append(bytes); }, reader_);
}

std::optional<std::string_view> MessageReader::next_record() {
  auto* text = std::get_if<RecordReader>(&reader_);
  return text != nullptr ? text->next() : std::nullopt;
}

std::optional<std::expected<HubMessage, std::string>> MessageReader::next_message() {
  if (auto* frames = std::get_if<LengthPrefixedReader>(&reader_)) {
    auto payload = frames->next();
    if (!payload) return std::nullopt;
    return parse_msgpack_message(*payload);
  }
  auto record = std::get<RecordReader>(reader_).next();
  if (!record) return std::nullopt;
  return parse_json_message(*record);
}

bool MessageReader::use_msgpack() {
  // Bytes that arrived with the handshake already belong to the binary protocol.
  std::string rest = std::get<RecordReader>(reader_).take_unread();
  reader_ = LengthPrefixedReader(max_message_size_);
  return rest.empty() || std::get<LengthPrefixedReader>(reader_).append(rest);
}

void MessageReader::compact() {
  std::visit([](auto& reader) { reader.compact(); }, reader_);
}

void MessageReader::restart() {
  if (std::holds_alternative<LengthPrefixedReader>(reader_)) {
    reader_ = LengthPrefixedReader(max_message_size_);
  } else {
    reader_ = RecordReader(max_message_size_);
  }
}

}  // namespace scanhub::signalr
