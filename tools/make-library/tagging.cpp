#include "tagging.hpp"

#include <taglib/attachedpictureframe.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4coverart.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tbytevectorstream.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/xiphcomment.h>

#include <stdexcept>

#include "process.hpp"

namespace scanhub::make_library {
namespace {

TagLib::String utf8(const std::string& text) {
  return TagLib::String(text, TagLib::String::UTF8);
}

TagLib::PropertyMap properties(const TrackPlan& track) {
  TagLib::PropertyMap map;
  map["TITLE"] = utf8(track.title);
  map["ARTIST"] = utf8(track.artist);
  map["ALBUM"] = utf8(track.album);
  if (track.album_artist) map["ALBUMARTIST"] = utf8(*track.album_artist);
  if (track.track_number) map["TRACKNUMBER"] = TagLib::String::number(*track.track_number);
  if (track.disc_number) map["DISCNUMBER"] = TagLib::String::number(*track.disc_number);
  if (track.year) map["DATE"] = TagLib::String::number(*track.year);
  if (track.genre) map["GENRE"] = utf8(*track.genre);
  return map;
}

TagLib::FLAC::Picture* flac_picture(const std::string& jpeg) {
  auto* picture = new TagLib::FLAC::Picture;
  picture->setType(TagLib::FLAC::Picture::FrontCover);
  picture->setMimeType("image/jpeg");
  picture->setWidth(300);
  picture->setHeight(300);
  picture->setColorDepth(24);
  picture->setData(TagLib::ByteVector(jpeg.data(), static_cast<unsigned int>(jpeg.size())));
  return picture;
}

// Small, stable hash of the path: picks the ID3v2 version without another planned field.
bool prefers_id3v23(const std::string& path) noexcept {
  std::uint32_t hash = 2166136261u;
  for (const char c : path) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return hash % 2 == 0;
}

void check_unsupported(const TagLib::PropertyMap& rejected, const std::string& path) {
  if (!rejected.isEmpty()) {
    throw std::runtime_error("TagLib rejected tags " + rejected.toString().to8Bit(true) + " for " +
                             path);
  }
}

// Tags the in-memory file; returns whether TagLib saved it.
bool tag_stream(TagLib::ByteVectorStream& stream, const TrackPlan& track,
                const std::string& cover_jpeg) {
  const TagLib::PropertyMap map = properties(track);
  const TagLib::ByteVector cover(cover_jpeg.data(), static_cast<unsigned int>(cover_jpeg.size()));
  switch (track.format) {
    case Format::kMp3: {
      TagLib::MPEG::File file(&stream, TagLib::ID3v2::FrameFactory::instance(), false);
      if (!file.isValid()) return false;
      check_unsupported(file.ID3v2Tag(true)->setProperties(map), track.path);
      if (track.embedded_cover) {
        auto* frame = new TagLib::ID3v2::AttachedPictureFrame;
        frame->setMimeType("image/jpeg");
        frame->setType(TagLib::ID3v2::AttachedPictureFrame::FrontCover);
        frame->setPicture(cover);
        file.ID3v2Tag()->addFrame(frame);
      }
      const auto version = prefers_id3v23(track.path) ? TagLib::ID3v2::v3 : TagLib::ID3v2::v4;
      return file.save(TagLib::MPEG::File::ID3v2, TagLib::File::StripOthers, version,
                       TagLib::File::DoNotDuplicate);
    }
    case Format::kFlac: {
      TagLib::FLAC::File file(&stream, TagLib::ID3v2::FrameFactory::instance(), false);
      if (!file.isValid()) return false;
      check_unsupported(file.xiphComment(true)->setProperties(map), track.path);
      if (track.embedded_cover) file.addPicture(flac_picture(cover_jpeg));
      return file.save();
    }
    case Format::kVorbis: {
      TagLib::Ogg::Vorbis::File file(&stream, false);
      if (!file.isValid()) return false;
      check_unsupported(file.tag()->setProperties(map), track.path);
      if (track.embedded_cover) file.tag()->addPicture(flac_picture(cover_jpeg));
      return file.save();
    }
    case Format::kOpus: {
      TagLib::Ogg::Opus::File file(&stream, false);
      if (!file.isValid()) return false;
      check_unsupported(file.tag()->setProperties(map), track.path);
      if (track.embedded_cover) file.tag()->addPicture(flac_picture(cover_jpeg));
      return file.save();
    }
    case Format::kAac: {
      TagLib::MP4::File file(&stream, false);
      if (!file.isValid()) return false;
      check_unsupported(file.tag()->setProperties(map), track.path);
      if (track.embedded_cover) {
        TagLib::MP4::CoverArtList covers;
        covers.append(TagLib::MP4::CoverArt(TagLib::MP4::CoverArt::JPEG, cover));
        file.tag()->setItem("covr", TagLib::MP4::Item(covers));
      }
      return file.save();
    }
  }
  return false;
}

}  // namespace

void write_taglib_track(const std::filesystem::path& dest, const TrackPlan& track,
                        const EncodedTemplate& encoded, const std::string& cover_jpeg) {
  TagLib::ByteVectorStream stream(
      TagLib::ByteVector(encoded.bytes.data(), static_cast<unsigned int>(encoded.bytes.size())));
  if (!tag_stream(stream, track, cover_jpeg)) {
    throw std::runtime_error("TagLib could not tag " + track.path);
  }
  const TagLib::ByteVector* bytes = stream.data();
  write_file_or_throw(dest, std::string_view(bytes->data(), bytes->size()));
}

std::vector<std::string> ffmpeg_output_args(const TrackPlan& track,
                                            const std::filesystem::path& dest) {
  // -map_metadata -1 drops whatever the template carries; -bitexact keeps the encoder tag free
  // of version numbers so output bytes do not change with the ffmpeg build.
  std::vector<std::string> args{"-map", "0", "-c", "copy", "-map_metadata", "-1", "-bitexact"};
  auto tag = [&args](std::string_view key, const std::string& value) {
    args.emplace_back("-metadata");
    args.push_back(std::string(key) + "=" + value);
  };
  tag("title", track.title);
  tag("artist", track.artist);
  tag("album", track.album);
  if (track.album_artist) tag("album_artist", *track.album_artist);
  if (track.track_number) tag("track", std::to_string(*track.track_number));
  if (track.disc_number) tag("disc", std::to_string(*track.disc_number));
  if (track.year) tag("date", std::to_string(*track.year));
  if (track.genre) tag("genre", *track.genre);
  args.insert(args.end(), {"-f", std::string(muxer_name(track.format)), ffmpeg_url(dest.string())});
  return args;
}

}  // namespace scanhub::make_library
