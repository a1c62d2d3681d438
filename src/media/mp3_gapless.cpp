#include "media/mp3_gapless.hpp"

#include <taglib/mpegfile.h>
#include <taglib/mpegproperties.h>
#include <taglib/xingheader.h>

namespace scanhub::media {

namespace {

std::uint32_t read_be32(const TagLib::ByteVector& data, unsigned offset) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(data[offset])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(data[offset + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(data[offset + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[offset + 3]));
}

}  // namespace

std::int64_t mp3_gapless_duration_ms(TagLib::MPEG::File& file,
                                     std::int64_t taglib_duration_ms) noexcept {
  try {
    const TagLib::MPEG::Properties* properties = file.audioProperties();
    if (!properties || !properties->xingHeader() || properties->sampleRate() <= 0) {
      return taglib_duration_ms;
    }
    const auto frames = static_cast<std::int64_t>(properties->xingHeader()->totalFrames());
    if (frames <= 0) return taglib_duration_ms;
    const std::int64_t samples_per_frame =
        properties->layer() == 1 ? 384
        : (properties->layer() == 2 || properties->version() == TagLib::MPEG::Header::Version1)
            ? 1152
            : 576;

    const auto first_frame = file.firstFrameOffset();
    if (first_frame < 0) return taglib_duration_ms;
    file.seek(first_frame);
    const TagLib::ByteVector frame = file.readBlock(400);
    // The Xing/Info tag sits after the 4-byte frame header and the side information.
    const int xing = frame.find("Xing") >= 0 ? frame.find("Xing") : frame.find("Info");
    if (xing < 0 || static_cast<unsigned>(xing) + 8 > frame.size()) return taglib_duration_ms;
    const std::uint32_t flags = read_be32(frame, static_cast<unsigned>(xing) + 4);
    unsigned lame = static_cast<unsigned>(xing) + 8;
    if (flags & 0x1) lame += 4;    // frame count
    if (flags & 0x2) lame += 4;    // byte count
    if (flags & 0x4) lame += 100;  // seek table
    if (flags & 0x8) lame += 4;    // quality
    // LAME extension: 9-byte encoder version, then at +21 the 12-bit delay and 12-bit padding.
    if (lame + 24 > frame.size()) return taglib_duration_ms;
    const auto b0 = static_cast<unsigned char>(frame[lame + 21]);
    const auto b1 = static_cast<unsigned char>(frame[lame + 22]);
    const auto b2 = static_cast<unsigned char>(frame[lame + 23]);
    const std::int64_t delay = (b0 << 4) | (b1 >> 4);
    const std::int64_t padding = ((b1 & 0x0F) << 8) | b2;
    const std::int64_t samples = frames * samples_per_frame - delay - padding;
    if (delay == 0 && padding == 0) return taglib_duration_ms;
    if (delay > 4096 || padding > 4096 || samples <= 0) return taglib_duration_ms;
    return samples * 1000 / properties->sampleRate();
  } catch (...) {
    return taglib_duration_ms;
  }
}

}  // namespace scanhub::media
