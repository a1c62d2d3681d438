#pragma once
// MP3 duration without encoder delay and padding. An MP3 encoder adds silence at both ends; the
// LAME header (written by LAME and by FFmpeg's mp3 muxer) records how much, so a decoder can
// drop it. TagLib reports frames x samples-per-frame; this subtracts the recorded delay and
// padding, as FFmpeg does, so the duration is the length of the audio that was encoded.
// Source: the LAME "Info Tag" layout (lame.sourceforge.io/tech-FAQ.txt, gabriel.mp3-tech.org).

#include <cstdint>

namespace TagLib::MPEG {
class File;
}

namespace scanhub::media {

/// The gapless duration of `file` in ms, or `taglib_duration_ms` when the file has no Xing/Info
/// header with a LAME extension (or its values make no sense). Never throws.
std::int64_t mp3_gapless_duration_ms(TagLib::MPEG::File& file,
                                     std::int64_t taglib_duration_ms) noexcept;

}  // namespace scanhub::media
