#include "media/tag_reader.hpp"

#include "core/text.hpp"
#include "media/bounded_stream.hpp"
#include "media/mp3_gapless.hpp"
#include "media/mp4_audio.hpp"
#include "media/mpeg_sync.hpp"

#include <taglib/aifffile.h>
#include <taglib/apefile.h>
#include <taglib/asffile.h>
#include <taglib/fileref.h>
#include <taglib/flacfile.h>
#include <taglib/mp4file.h>
#include <taglib/mpcfile.h>
#include <taglib/mpegfile.h>
#include <taglib/oggflacfile.h>
#include <taglib/opusfile.h>
#include <taglib/tdebuglistener.h>
#include <taglib/tfilestream.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/wavpackfile.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

namespace scanhub::media {

namespace {

constexpr std::array<std::string_view, 15> kAudioExtensions{
    "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac",
    "wav", "wv",   "ape", "mpc", "aiff", "aif", "wma"};

// TagLib prints parser complaints about malformed files to stderr; they are bad input, which
// the scanner reports itself, so they are silenced.
class QuietDebugListener : public TagLib::DebugListener {
 public:
  void printMessage(const TagLib::String&) override {}
};

std::optional<std::string> text_property(const TagLib::PropertyMap& properties, const char* key) {
  const auto it = properties.find(key);
  if (it == properties.end() || it->second.isEmpty()) return std::nullopt;
  std::string value = it->second.front().to8Bit(true);
  return core::trimmed_or_null(value);
}

std::optional<std::int64_t> number_property(const TagLib::PropertyMap& properties,
                                            const char* key) {
  const auto text = text_property(properties, key);
  if (!text) return std::nullopt;
  return core::leading_number(*text);
}

std::string codec_of(TagLib::File* file) {
  if (auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(file)) {
    const auto* properties = mpeg->audioProperties();
    if (properties && properties->layer() == 2) return "mp2";
    return "mp3";
  }
  if (dynamic_cast<TagLib::FLAC::File*>(file) || dynamic_cast<TagLib::Ogg::FLAC::File*>(file)) {
    return "flac";
  }
  if (dynamic_cast<TagLib::Ogg::Vorbis::File*>(file)) return "vorbis";
  if (dynamic_cast<TagLib::Ogg::Opus::File*>(file)) return "opus";
  if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(file)) {
    const auto* properties = mp4->audioProperties();
    if (properties && properties->codec() == TagLib::MP4::Properties::ALAC) return "alac";
    return "aac";
  }
  if (dynamic_cast<TagLib::RIFF::WAV::File*>(file) || dynamic_cast<TagLib::RIFF::AIFF::File*>(file)) {
    return "pcm";
  }
  if (dynamic_cast<TagLib::WavPack::File*>(file)) return "wavpack";
  if (dynamic_cast<TagLib::APE::File*>(file)) return "ape";
  if (dynamic_cast<TagLib::MPC::File*>(file)) return "musepack";
  if (dynamic_cast<TagLib::ASF::File*>(file)) return "wma";
  return "unknown";
}

// Reads `path` through `stream`; throws ReadError for a file that is not readable audio.
core::TrackMetadata read_tags(const std::filesystem::path& path, TagLib::IOStream& stream) {
  check_mp3_frame_sync(path, stream);
  TagLib::FileRef ref(&stream, true, TagLib::AudioProperties::Average);
  if (ref.isNull() || !ref.file()->isValid()) throw ReadError("not a recognized audio file");
  TagLib::File* file = ref.file();
  const TagLib::AudioProperties* properties = file->audioProperties();
  if (!properties) throw ReadError("no audio properties (corrupt or truncated file)");

  core::TrackMetadata m;
  m.sample_rate = properties->sampleRate();
  m.channels = properties->channels();
  m.bitrate_kbps = properties->bitrate();
  m.duration_ms = properties->lengthInMilliseconds();
  m.codec = codec_of(file);
  if (m.sample_rate <= 0 || m.channels <= 0) {
    throw ReadError("no audio stream (corrupt or truncated file)");
  }
  if (m.duration_ms <= 0) throw ReadError("audio has no duration (corrupt or truncated file)");
  if (auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(file)) {
    m.duration_ms = mp3_gapless_duration_ms(*mpeg, m.duration_ms);
  } else if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(file); mp4 && m.codec == "aac") {
    const Mp4AudioFacts facts = read_mp4_audio_facts(*mp4);
    if (facts.channels) m.channels = *facts.channels;
    if (facts.duration_ms && *facts.duration_ms > 0 && *facts.duration_ms <= m.duration_ms) {
      m.duration_ms = *facts.duration_ms;
    }
  }

  const TagLib::PropertyMap tags = file->properties();
  m.title = text_property(tags, "TITLE");
  m.artist = text_property(tags, "ARTIST");
  m.album = text_property(tags, "ALBUM");
  m.album_artist = text_property(tags, "ALBUMARTIST");
  m.track_number = number_property(tags, "TRACKNUMBER");
  m.disc_number = number_property(tags, "DISCNUMBER");
  m.year = number_property(tags, "DATE");
  if (!m.year) m.year = number_property(tags, "ORIGINALDATE");
  m.genre = text_property(tags, "GENRE");
  if (m.track_number && *m.track_number <= 0) m.track_number.reset();
  if (m.disc_number && *m.disc_number <= 0) m.disc_number.reset();
  if (m.year && (*m.year <= 0 || *m.year > 9999)) m.year.reset();
  return m;
}

}  // namespace

bool has_audio_extension(std::string_view name) noexcept {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= name.size()) return false;
  const std::string_view extension = name.substr(dot + 1);
  if (extension.size() > 4) return false;
  char lower[5] = {};
  for (std::size_t i = 0; i < extension.size(); ++i) {
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(extension[i])));
  }
  return std::find(kAudioExtensions.begin(), kAudioExtensions.end(),
                   std::string_view(lower, extension.size())) != kAudioExtensions.end();
}

TagLibReader::TagLibReader() {
  static QuietDebugListener listener;
  static std::once_flag once;
  std::call_once(once, [] { TagLib::setDebugListener(&listener); });
}

core::TrackMetadata TagLibReader::read(const std::filesystem::path& path,
                                       const ReadLimits& limits) const {
  ReadDeadline deadline(limits);
  // Read-only: TagLib opens files for writing by default, and closing such a file is an
  // inotify IN_CLOSE_WRITE, so every read would look like a change to the watcher.
  TagLib::FileStream file_stream(path.c_str(), /*openReadOnly=*/true);
  BoundedStream stream(file_stream, deadline);
  core::TrackMetadata metadata;
  try {
    metadata = read_tags(path, stream);
  } catch (const ReadError&) {
    // A read cut short fails for that reason, whatever TagLib made of the data it got.
    deadline.throw_if_stopped(path);
    throw;
  }
  // Tags and properties read from a stream that stopped early may be partial.
  deadline.throw_if_stopped(path);
  return metadata;
}

}  // namespace scanhub::media
