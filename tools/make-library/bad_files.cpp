#include "bad_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "rng.hpp"
#include "tagging.hpp"

namespace scanhub::make_library {
namespace {

namespace fs = std::filesystem;

// Byte offset of the first top-level MP4 box of `type`, or npos.
std::size_t find_top_level_box(std::string_view mp4, std::string_view type) {
  std::size_t offset = 0;
  while (offset + 8 <= mp4.size()) {
    const auto byte = [&](std::size_t i) {
      return static_cast<std::uint64_t>(static_cast<unsigned char>(mp4[offset + i]));
    };
    std::uint64_t size = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
    if (mp4.substr(offset + 4, 4) == type) return offset;
    if (size == 1 && offset + 16 <= mp4.size()) {
      size = 0;
      for (std::size_t i = 8; i < 16; ++i) size = size << 8 | byte(i);
    }
    if (size < 8) return std::string_view::npos;  // size 0 (to end of file) or malformed
    offset += size;
  }
  return std::string_view::npos;
}

TrackPlan trap_track(std::string path, std::string title, Format format) {
  TrackPlan track;
  track.path = std::move(path);
  track.title = std::move(title);
  track.artist = "Nobody";
  track.album = "Should Not Be Indexed";
  track.track_number = 1;
  track.format = format;
  return track;
}

void write_trap_track(const fs::path& root, const TemplateSet& templates, const TrackPlan& track) {
  write_taglib_track(root / track.path, track, templates.get(track.format, 0),
                     templates.embedded_cover_jpeg());
}

}  // namespace

std::vector<ErrorEntry> write_bad_files(const fs::path& root, const TemplateSet& templates) {
  std::vector<ErrorEntry> errors;
  fs::create_directories(root / "Bad" / "Loop");

  write_file_or_throw(root / "Bad/zero.mp3", "");
  errors.push_back({"Bad/zero.mp3", "zero-byte"});

  write_file_or_throw(root / "Bad/not really.mp3",
                      "This is a text file wearing an .mp3 extension.\n"
                      "A scanner must report it, not crash on it.\n");
  errors.push_back({"Bad/not really.mp3", "not-audio"});

  // "fLaC", the 4-byte STREAMINFO block header, and 32 of STREAMINFO's 34 bytes.
  const std::string& flac = templates.get(Format::kFlac, 0).bytes;
  if (flac.compare(0, 4, "fLaC") != 0) throw std::runtime_error("flac template lacks fLaC");
  write_file_or_throw(root / "Bad/truncated header.flac", std::string_view(flac).substr(0, 40));
  errors.push_back({"Bad/truncated header.flac", "truncated"});

  // ffmpeg writes moov after mdat, so the first KiB holds ftyp and the start of mdat only.
  const std::string& m4a = templates.get(Format::kAac, 0).bytes;
  if (find_top_level_box(m4a, "moov") < 1024) {
    throw std::runtime_error("m4a template has its moov box in the first KiB");
  }
  write_file_or_throw(root / "Bad/no moov.m4a", std::string_view(m4a).substr(0, 1024));
  errors.push_back({"Bad/no moov.m4a", "truncated"});

  std::string garbage = "OggS";
  Rng rng(0x0660);
  while (garbage.size() < 4096) garbage.push_back(static_cast<char>(rng.below(255) + 1));
  write_file_or_throw(root / "Bad/garbage.ogg", garbage);
  errors.push_back({"Bad/garbage.ogg", "corrupt"});

  const fs::path fifo = root / "Bad/pipe.mp3";
  if (::mkfifo(fifo.c_str(), 0644) != 0) {
    throw std::runtime_error("mkfifo " + fifo.string() + ": " + std::strerror(errno));
  }
  errors.push_back({"Bad/pipe.mp3", "fifo"});

  fs::create_symlink("missing/nowhere.flac", root / "Bad/dangling.flac");
  errors.push_back({"Bad/dangling.flac", "dangling-symlink"});

  // Bad/Loop/up -> Bad: following it leads back to Bad/Loop, forever.
  fs::create_directory_symlink("..", root / "Bad/Loop/up");
  errors.push_back({"Bad/Loop/up", "symlink-loop"});

  // A valid, tagged mp3 whose name is Latin-1 "café.mp3": 0xE9 alone is not UTF-8.
  const TrackPlan cafe = trap_track("Bad/caf\xE9.mp3", "Café", Format::kMp3);
  write_trap_track(root, templates, cafe);
  errors.push_back({cafe.path, "non-utf8-name"});
  return errors;
}

std::vector<std::string> write_ignored_files(const fs::path& root, const TemplateSet& templates,
                                             const LibraryPlan& plan) {
  std::vector<std::string> ignored;
  fs::create_directories(root / ".hidden");
  fs::create_directories(root / "Ignored Folder");
  for (const TrackPlan& track : {
           trap_track(".hidden/01 - Hidden Track.mp3", "Hidden Track", Format::kMp3),
           trap_track(".hidden/02 - Hidden Too.opus", "Hidden Too", Format::kOpus),
           trap_track("Ignored Folder/01 - Ignored Track.ogg", "Ignored Track", Format::kVorbis),
           trap_track("Ignored Folder/02 - Ignored Too.m4a", "Ignored Too", Format::kAac),
       }) {
    write_trap_track(root, templates, track);
    ignored.push_back(track.path);
  }
  write_file_or_throw(root / "Ignored Folder/.scanignore", "");

  if (!plan.albums.empty()) {
    // AppleDouble header as macOS leaves it beside copied files: magic, version, filler.
    std::string apple_double("\x00\x05\x16\x07\x00\x02\x00\x00", 8);
    apple_double += "Mac OS X        ";
    apple_double.resize(4096, '\0');
    const std::string junk = plan.albums.front().path + "/._junk.mp3";
    write_file_or_throw(root / junk, apple_double);
    ignored.push_back(junk);
  }
  return ignored;
}

}  // namespace scanhub::make_library
