#include "media/mpeg_sync.hpp"

#include "media/tag_reader.hpp"

#include <taglib/tbytevector.h>
#include <taglib/tiostream.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace scanhub::media {

namespace {

constexpr std::size_t kId3v2HeaderSize = 10;
constexpr unsigned long kBlockSize = 64 * 1024;

// The size of the ID3v2 tag whose 10-byte header is `header` (header, frames, padding and
// footer), or 0 when it is not one. ID3v2.4 section 3.1: "ID3", two version bytes, flags, then
// the size as four synchsafe bytes (seven bits each) that excludes the header and the footer.
long id3v2_tag_size(const TagLib::ByteVector& header) {
  if (header.size() < kId3v2HeaderSize || !header.startsWith("ID3")) return 0;
  long size = 0;
  for (unsigned i = 6; i < 10; ++i) {
    const auto byte = static_cast<unsigned char>(header[i]);
    if (byte & 0x80) return 0;
    size = (size << 7) | byte;
  }
  const bool footer = static_cast<unsigned char>(header[5]) & 0x10;
  return static_cast<long>(kId3v2HeaderSize) + size + (footer ? 10 : 0);
}

}  // namespace

bool has_mpeg_frame_sync(TagLib::IOStream& stream, std::size_t window) {
  const long length = stream.length();
  long position = 0;
  // Several tags in a row: taggers that prepend a tag instead of replacing one leave them so.
  for (;;) {
    if (position >= length) return false;
    stream.seek(position);
    const long tag = id3v2_tag_size(stream.readBlock(kId3v2HeaderSize));
    if (tag == 0) break;
    position += tag;
  }
  stream.seek(position);
  std::size_t scanned = 0;
  unsigned char previous = 0;
  while (scanned < window) {
    const auto want = static_cast<unsigned long>(std::min<std::size_t>(kBlockSize, window - scanned));
    const TagLib::ByteVector block = stream.readBlock(want);
    if (block.isEmpty()) return false;
    // Through the const data(): TagLib's non-const operator[] detaches (copies) shared data.
    const auto* bytes = reinterpret_cast<const unsigned char*>(block.data());
    for (unsigned i = 0; i < block.size(); ++i) {
      if (previous == 0xFF && (bytes[i] & 0xE0) == 0xE0) return true;
      previous = bytes[i];
    }
    scanned += block.size();
  }
  return false;
}

void check_mp3_frame_sync(const std::filesystem::path& path, TagLib::IOStream& stream) {
  std::string extension = path.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension != ".mp3" || !stream.isOpen()) return;
  if (!has_mpeg_frame_sync(stream)) {
    throw ReadError("not an MP3 file: no MPEG audio frame within 1 MiB after its tags");
  }
}

}  // namespace scanhub::media
