#pragma once
// A cheap test that a file named .mp3 holds MPEG audio, run before TagLib reads it. TagLib
// 1.13 opens every .mp3 as MPEG (by extension, without looking at the content) and then looks
// for the first MPEG frame byte by byte: twice over the whole file when there is none
// (MPEG::File::findID3v2, then MPEG::Properties via firstFrameOffset), at about 80 ns a byte
// (each step writes through a copy-on-write ByteVector). A 500 MB file of zeros took 81 s of
// CPU. Real MP3s have their first frame right after their ID3v2 tags: FFmpeg's mp3 demuxer
// looks for it within 64 KiB of junk only (libavformat/mp3dec.c, mp3_read_header), minimp3
// offers a 256 KiB scan limit "to prevent stall on large non-mp3 files". This allows 1 MiB.

#include <cstddef>
#include <filesystem>

namespace TagLib {
class IOStream;
}

namespace scanhub::media {

/// How far after its leading ID3v2 tags an MP3's first frame sync must start.
inline constexpr std::size_t kMpegSyncWindow = std::size_t{1} << 20;

/// True when `stream`, after the ID3v2 tags at its start (each skipped by its header's size;
/// ID3v2.4 section 3.1), holds an MPEG frame sync (eleven set bits: 0xFF, then a byte with its
/// top three bits set) starting within `window` bytes. Reads the tag headers and at most
/// `window` bytes; a sync is necessary, not sufficient (TagLib then validates the frames).
/// Leaves the stream's position anywhere. Never throws for bad input.
bool has_mpeg_frame_sync(TagLib::IOStream& stream, std::size_t window = kMpegSyncWindow);

/// Before TagLib opens `path` through `stream`: for a name TagLib opens as MPEG without looking
/// at the content (".mp3" in any case; TagLib 1.13 fileref.cpp, detectByExtension), throws
/// ReadError ("not an MP3 file: no MPEG audio frame within 1 MiB after its tags") when
/// has_mpeg_frame_sync is false. Other names, and a stream that is not open: nothing.
void check_mp3_frame_sync(const std::filesystem::path& path, TagLib::IOStream& stream);

}  // namespace scanhub::media
