#include "media/album_art.hpp"

#include "media/bounded_stream.hpp"
#include "media/mpeg_sync.hpp"
#include "media/tag_reader.hpp"

#include <taglib/aifffile.h>
#include <taglib/attachedpictureframe.h>
#include <taglib/fileref.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4coverart.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/tdebuglistener.h>
#include <taglib/tfilestream.h>
#include <taglib/oggflacfile.h>
#include <taglib/opusfile.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/xiphcomment.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <mutex>
#include <optional>
#include <system_error>

namespace scanhub::media {

namespace {

// Called once per embedded picture, in file order; `data` is valid during the call only.
using PictureVisitor = std::function<void(EmbeddedPicture&&, const TagLib::ByteVector& data)>;

PictureType picture_type(int value) {
  if (value < 0 || value > 20) return PictureType::other;
  return static_cast<PictureType>(value);
}

std::string text(const TagLib::String& value) { return value.to8Bit(true); }

void visit_id3v2(TagLib::ID3v2::Tag* tag, const PictureVisitor& visit) {
  if (!tag) return;
  for (TagLib::ID3v2::Frame* frame : tag->frameList("APIC")) {
    const auto* apic = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(frame);
    if (!apic) continue;
    EmbeddedPicture picture;
    picture.type = picture_type(apic->type());
    picture.mime = text(apic->mimeType());
    picture.description = text(apic->description());
    picture.size = apic->picture().size();
    picture.container = "id3v2 APIC";
    visit(std::move(picture), apic->picture());
  }
}

void visit_flac_pictures(const TagLib::List<TagLib::FLAC::Picture*>& pictures,
                         const char* container, const PictureVisitor& visit) {
  for (const TagLib::FLAC::Picture* block : pictures) {
    EmbeddedPicture picture;
    picture.type = picture_type(block->type());
    picture.mime = text(block->mimeType());
    picture.description = text(block->description());
    picture.size = block->data().size();
    if (block->width() > 0) picture.width = block->width();
    if (block->height() > 0) picture.height = block->height();
    picture.container = container;
    visit(std::move(picture), block->data());
  }
}

std::string mime_of(TagLib::MP4::CoverArt::Format format) {
  switch (format) {
    case TagLib::MP4::CoverArt::JPEG: return "image/jpeg";
    case TagLib::MP4::CoverArt::PNG: return "image/png";
    case TagLib::MP4::CoverArt::GIF: return "image/gif";
    case TagLib::MP4::CoverArt::BMP: return "image/bmp";
    default: return "";
  }
}

// TagLib prints complaints about malformed files to stderr; they are bad input that callers
// report, so they are silenced (as TagLibReader does).
class QuietDebugListener : public TagLib::DebugListener {
 public:
  void printMessage(const TagLib::String&) override {}
};

void visit_pictures(const std::filesystem::path& path, const ReadLimits& limits,
                    const PictureVisitor& visit) {
  static QuietDebugListener listener;
  static std::once_flag once;
  std::call_once(once, [] { TagLib::setDebugListener(&listener); });
  // TagLib would block on a FIFO named .mp3; only regular files are audio.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ReadError("not a regular file: " + path.string());
  }
  ReadDeadline deadline(limits);
  // Read-only: TagLib otherwise opens read-write, which fails on read-only media and makes a
  // file-system watcher see every read as a write (IN_CLOSE_WRITE) and scan again.
  TagLib::FileStream file_stream(path.c_str(), /*openReadOnly=*/true);
  if (!file_stream.isOpen()) throw ReadError("cannot open: " + path.string());
  BoundedStream stream(file_stream, deadline);
  std::optional<TagLib::FileRef> ref;
  try {
    check_mp3_frame_sync(path, stream);
    // Reading audio properties is what makes TagLib reject a file that only has the extension.
    ref.emplace(&stream, /*readAudioProperties=*/true, TagLib::AudioProperties::Fast);
  } catch (const ReadError&) {
    deadline.throw_if_stopped(path);
    throw;
  }
  // Pictures of a read cut short may be missing or partial: none rather than wrong ones.
  deadline.throw_if_stopped(path);
  if (ref->isNull() || !ref->file()->isValid()) {
    throw ReadError("not a recognized audio file: " + path.string());
  }
  TagLib::File* file = ref->file();
  const TagLib::AudioProperties* properties = file->audioProperties();
  if (!properties || properties->sampleRate() <= 0) {
    throw ReadError("no audio stream (corrupt or truncated file): " + path.string());
  }
  if (auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(file)) {
    visit_id3v2(mpeg->ID3v2Tag(false), visit);
  } else if (auto* flac = dynamic_cast<TagLib::FLAC::File*>(file)) {
    visit_flac_pictures(flac->pictureList(), "flac PICTURE", visit);
  } else if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(file)) {
    if (mp4->tag() && mp4->tag()->contains("covr")) {
      for (const TagLib::MP4::CoverArt& cover : mp4->tag()->item("covr").toCoverArtList()) {
        EmbeddedPicture picture;
        // `covr` carries no picture type; players (iTunes, Picard, MPD) treat it as the front.
        picture.type = PictureType::front_cover;
        picture.mime = mime_of(cover.format());
        picture.size = cover.data().size();
        picture.container = "mp4 covr";
        visit(std::move(picture), cover.data());
      }
    }
  } else if (auto* vorbis = dynamic_cast<TagLib::Ogg::Vorbis::File*>(file)) {
    if (vorbis->tag()) visit_flac_pictures(vorbis->tag()->pictureList(), "ogg METADATA_BLOCK_PICTURE", visit);
  } else if (auto* opus = dynamic_cast<TagLib::Ogg::Opus::File*>(file)) {
    if (opus->tag()) visit_flac_pictures(opus->tag()->pictureList(), "ogg METADATA_BLOCK_PICTURE", visit);
  } else if (auto* ogg_flac = dynamic_cast<TagLib::Ogg::FLAC::File*>(file)) {
    if (ogg_flac->tag()) visit_flac_pictures(ogg_flac->tag()->pictureList(), "ogg METADATA_BLOCK_PICTURE", visit);
  } else if (auto* wav = dynamic_cast<TagLib::RIFF::WAV::File*>(file)) {
    if (wav->hasID3v2Tag()) visit_id3v2(wav->ID3v2Tag(), visit);
  } else if (auto* aiff = dynamic_cast<TagLib::RIFF::AIFF::File*>(file)) {
    if (aiff->hasID3v2Tag()) visit_id3v2(aiff->tag(), visit);
  }
}

std::string lower(std::string_view value) {
  std::string out(value);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Rank of a folder-art file name (lower = better), or -1 when it is not folder art.
int folder_art_rank(std::string_view name) {
  static constexpr std::array<std::string_view, 4> kStems{"cover", "folder", "front", "album"};
  static constexpr std::array<std::string_view, 3> kExtensions{"jpg", "jpeg", "png"};
  const std::string lowered = lower(name);
  const auto dot = lowered.rfind('.');
  if (dot == std::string::npos) return -1;
  const std::string_view stem = std::string_view(lowered).substr(0, dot);
  const std::string_view extension = std::string_view(lowered).substr(dot + 1);
  const auto s = std::ranges::find(kStems, stem);
  const auto e = std::ranges::find(kExtensions, extension);
  if (s == kStems.end() || e == kExtensions.end()) return -1;
  return static_cast<int>((s - kStems.begin()) * kExtensions.size() + (e - kExtensions.begin()));
}

}  // namespace

std::string_view to_string(PictureType type) noexcept {
  static constexpr std::array<std::string_view, 21> kNames{
      "other", "file icon", "other file icon", "front cover", "back cover", "leaflet page",
      "media", "lead artist", "artist", "conductor", "band", "composer", "lyricist",
      "recording location", "during recording", "during performance", "movie screen capture",
      "a bright coloured fish", "illustration", "band logo", "publisher logo"};
  const auto value = static_cast<std::size_t>(type);
  return value < kNames.size() ? kNames[value] : "other";
}

std::vector<EmbeddedPicture> read_embedded_pictures(const std::filesystem::path& path,
                                                   const ReadLimits& limits) {
  std::vector<EmbeddedPicture> pictures;
  visit_pictures(path, limits, [&](EmbeddedPicture&& picture, const TagLib::ByteVector&) {
    picture.index = static_cast<int>(pictures.size());
    pictures.push_back(std::move(picture));
  });
  return pictures;
}

std::vector<std::uint8_t> read_embedded_picture_data(const std::filesystem::path& path,
                                                      int index, const ReadLimits& limits) {
  std::optional<std::vector<std::uint8_t>> bytes;
  int seen = 0;
  visit_pictures(path, limits, [&](EmbeddedPicture&&, const TagLib::ByteVector& data) {
    if (seen++ != index) return;
    const auto* begin = reinterpret_cast<const std::uint8_t*>(data.data());
    bytes.emplace(begin, begin + data.size());
  });
  if (!bytes) {
    throw ReadError("no embedded picture " + std::to_string(index) + " in " + path.string());
  }
  return std::move(*bytes);
}

std::vector<std::string> folder_art_names(std::span<const std::string> file_names) {
  std::vector<std::pair<int, std::string>> ranked;
  for (const std::string& name : file_names) {
    if (const int rank = folder_art_rank(name); rank >= 0) ranked.emplace_back(rank, name);
  }
  std::ranges::sort(ranked);
  std::vector<std::string> names;
  names.reserve(ranked.size());
  for (auto& [rank, name] : ranked) names.push_back(std::move(name));
  return names;
}

std::vector<std::filesystem::path> find_folder_art(const std::filesystem::path& directory) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code type_ec;
    const std::string name = it->path().filename().string();
    // Only names that can be art pay for a stat.
    if (folder_art_rank(name) >= 0 && it->is_regular_file(type_ec)) names.push_back(name);
  }
  std::vector<fs::path> paths;
  for (const std::string& name : folder_art_names(names)) paths.push_back(directory / name);
  return paths;
}

}  // namespace scanhub::media
