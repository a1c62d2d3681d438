// Writing one track's tags, either with TagLib in-process or as ffmpeg muxer options.
//
// Both paths write the same fields under each format's usual key: title, artist, album,
// album artist (ID3v2 TPE2, MP4 aART, Xiph ALBUMARTIST), track and disc number as plain
// numbers (TRCK/TPOS "3", trkn/disk, TRACKNUMBER/DISCNUMBER), year as a 4-digit date
// (TDRC or TYER, ©day, DATE) and genre. Absent plan fields are not written at all.
// Thread-safe: no shared state.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "plan.hpp"
#include "templates.hpp"

namespace scanhub::make_library {

/// Writes `dest`: a copy of `encoded` with `track`'s tags (and `cover_jpeg` as the front cover
/// when track.embedded_cover), tagged in memory by TagLib and written once.
/// MP3s get ID3v2.4 or ID3v2.3 (chosen from the path, so both occur), and no ID3v1.
/// Throws std::runtime_error when TagLib cannot parse or save, or the file cannot be written.
void write_taglib_track(const std::filesystem::path& dest, const TrackPlan& track,
                        const EncodedTemplate& encoded, const std::string& cover_jpeg);

/// ffmpeg output options that stream-copy input 0 into `dest` with `track`'s tags, ending with
/// the output URL. Never embeds a cover (track.embedded_cover is only planned for TagLib).
std::vector<std::string> ffmpeg_output_args(const TrackPlan& track,
                                            const std::filesystem::path& dest);

}  // namespace scanhub::make_library
