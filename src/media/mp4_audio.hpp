#pragma once
// What TagLib's MP4 properties get wrong for AAC in MP4 (.m4a):
//  - channels: TagLib reads the sample entry's `channelcount`, which encoders (FFmpeg among
//    them) set to 2 even for mono; the truth is channelConfiguration in the AudioSpecificConfig
//    (ISO/IEC 14496-3 1.6.2.1) inside the `esds` box (ISO/IEC 14496-1 7.2.6);
//  - duration: TagLib reads `mdhd`, which includes the encoder's priming samples; the edit
//    list (`elst`, ISO/IEC 14496-12 8.6.6) says how much of the media is to be presented.

#include <cstdint>
#include <optional>

namespace TagLib::MP4 {
class File;
}

namespace scanhub::media {

struct Mp4AudioFacts {
  std::optional<std::int64_t> channels;     ///< from the AudioSpecificConfig (1..8)
  std::optional<std::int64_t> duration_ms;  ///< presented duration from the edit list
};

/// Reads the facts above from the first audio track of `file`. Anything missing or malformed
/// leaves the field empty. Never throws.
Mp4AudioFacts read_mp4_audio_facts(TagLib::MP4::File& file) noexcept;

}  // namespace scanhub::media
