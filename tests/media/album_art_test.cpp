// Album art (media/album_art.hpp): folder images and pictures embedded by ffmpeg and TagLib.

#include "media/album_art.hpp"
#include "media/tag_reader.hpp"
#include "ffmpeg_files.hpp"
#include "support/temp_dir.hpp"

#include <taglib/flacpicture.h>
#include <taglib/vorbisfile.h>
#include <taglib/xiphcomment.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>

using namespace scanhub;
using media::PictureType;

namespace {

std::vector<std::uint8_t> bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class EmbeddedArt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::cached_fixture_dir(SCANHUB_MEDIA_FIXTURE_CACHE, "art-v1", make_files);
  }

  static bool make_files(const std::filesystem::path& dir) {
    const auto path = [&](const char* name) { return (dir / name).string(); };
    bool ok = true;
    ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "color=c=red:size=64x48", "-frames:v", "1",
                      path("front.jpg")});
    ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "color=c=blue:size=32x32", "-frames:v", "1",
                      path("back.png")});
    const std::vector<std::string> sine{"-f", "lavfi", "-i", "sine=duration=0.5"};
    const auto with = [&](std::vector<std::string> tail) {
      std::vector<std::string> args = sine;
      args.insert(args.end(), tail.begin(), tail.end());
      return args;
    };
    ok = ok && test::run_ffmpeg(with({"-i", path("front.jpg"), "-map", "0:a", "-map", "1:v", "-c:a",
                           "libmp3lame", "-c:v", "copy", "-id3v2_version", "3",
                           "-metadata:s:v", "comment=Cover (front)", "-metadata:s:v",
                           "title=the front", "-disposition:v", "attached_pic",
                           path("apic.mp3")}));
    ok = ok && test::run_ffmpeg(with({"-i", path("front.jpg"), "-i", path("back.png"), "-map", "0:a",
                           "-map", "1:v", "-map", "2:v", "-c:a", "flac", "-c:v", "copy",
                           "-metadata:s:v:0", "comment=Cover (front)", "-metadata:s:v:1",
                           "comment=Cover (back)", "-disposition:v", "attached_pic",
                           path("pictures.flac")}));
    ok = ok && test::run_ffmpeg(with({"-i", path("back.png"), "-map", "0:a", "-map", "1:v", "-c:a", "aac",
                           "-c:v", "copy", "-disposition:v", "attached_pic", path("covr.m4a")}));
    ok = ok && test::run_ffmpeg(with({"-c:a", "libvorbis", path("block.ogg")}));
    ok = ok && test::run_ffmpeg(with({"-c:a", "libmp3lame", path("plain.mp3")}));
    std::ofstream(path("not-audio.mp3")) << "hello";

    // ffmpeg 5.1 cannot put a picture into Ogg; TagLib writes METADATA_BLOCK_PICTURE.
    TagLib::Ogg::Vorbis::File ogg(path("block.ogg").c_str());
    auto* picture = new TagLib::FLAC::Picture;  // owned by the comment after addPicture
    const auto data = bytes_of(path("front.jpg"));
    picture->setData(TagLib::ByteVector(reinterpret_cast<const char*>(data.data()),
                                        static_cast<unsigned>(data.size())));
    picture->setMimeType("image/jpeg");
    picture->setType(TagLib::FLAC::Picture::Media);
    picture->setWidth(64);
    picture->setHeight(48);
    ogg.tag()->addPicture(picture);
    return ok && ogg.save();
  }

  static std::filesystem::path file(const char* name) { return dir_ / name; }
  static std::filesystem::path dir_;
};

std::filesystem::path EmbeddedArt::dir_;

}  // namespace

TEST_F(EmbeddedArt, Id3v2AttachedPicture) {
  const auto pictures = media::read_embedded_pictures(file("apic.mp3"));
  ASSERT_EQ(pictures.size(), 1u);
  EXPECT_EQ(pictures[0].index, 0);
  EXPECT_EQ(pictures[0].type, PictureType::front_cover);
  EXPECT_EQ(media::to_string(pictures[0].type), "front cover");
  EXPECT_EQ(pictures[0].mime, "image/jpeg");
  EXPECT_EQ(pictures[0].description, "the front");
  EXPECT_EQ(pictures[0].container, "id3v2 APIC");
  const auto image = bytes_of(file("front.jpg"));
  EXPECT_EQ(pictures[0].size, image.size());
  EXPECT_EQ(media::read_embedded_picture_data(file("apic.mp3"), 0), image);
}

TEST_F(EmbeddedArt, FlacPictureBlocksInOrder) {
  const auto pictures = media::read_embedded_pictures(file("pictures.flac"));
  ASSERT_EQ(pictures.size(), 2u);
  EXPECT_EQ(pictures[0].type, PictureType::front_cover);
  EXPECT_EQ(pictures[0].mime, "image/jpeg");
  EXPECT_EQ(pictures[0].width, 64);
  EXPECT_EQ(pictures[0].height, 48);
  EXPECT_EQ(pictures[0].container, "flac PICTURE");
  EXPECT_EQ(pictures[1].index, 1);
  EXPECT_EQ(pictures[1].type, PictureType::back_cover);
  EXPECT_EQ(pictures[1].mime, "image/png");
  EXPECT_EQ(media::read_embedded_picture_data(file("pictures.flac"), 1), bytes_of(file("back.png")));
}

TEST_F(EmbeddedArt, Mp4CoverAtomIsTheFrontCover) {
  const auto pictures = media::read_embedded_pictures(file("covr.m4a"));
  ASSERT_EQ(pictures.size(), 1u);
  EXPECT_EQ(pictures[0].type, PictureType::front_cover);
  EXPECT_EQ(pictures[0].mime, "image/png");
  EXPECT_EQ(pictures[0].container, "mp4 covr");
  EXPECT_EQ(media::read_embedded_picture_data(file("covr.m4a"), 0), bytes_of(file("back.png")));
}

TEST_F(EmbeddedArt, OggMetadataBlockPicture) {
  const auto pictures = media::read_embedded_pictures(file("block.ogg"));
  ASSERT_EQ(pictures.size(), 1u);
  EXPECT_EQ(pictures[0].type, PictureType::media);
  EXPECT_EQ(pictures[0].mime, "image/jpeg");
  EXPECT_EQ(pictures[0].width, 64);
  EXPECT_EQ(pictures[0].container, "ogg METADATA_BLOCK_PICTURE");
  EXPECT_EQ(media::read_embedded_picture_data(file("block.ogg"), 0), bytes_of(file("front.jpg")));
}

TEST_F(EmbeddedArt, FileWithoutPicturesHasNone) {
  EXPECT_TRUE(media::read_embedded_pictures(file("plain.mp3")).empty());
  EXPECT_THROW(media::read_embedded_picture_data(file("plain.mp3"), 0), media::ReadError);
  EXPECT_THROW(media::read_embedded_picture_data(file("apic.mp3"), 1), media::ReadError);
}

TEST_F(EmbeddedArt, NotAudioIsAReadError) {
  EXPECT_THROW(media::read_embedded_pictures(file("not-audio.mp3")), media::ReadError);
  EXPECT_THROW(media::read_embedded_pictures(file("absent.flac")), media::ReadError);
}

TEST(FolderArt, PreferenceOrderAndCaseInsensitiveNames) {
  const std::vector<std::string> names{"01 - Song.mp3", "Album.PNG", "folder.jpg", "Cover.png",
                                       "cover.jpg", "front.jpeg", "back.jpg", "cover.gif",
                                       "covers.jpg"};
  EXPECT_EQ(media::folder_art_names(names),
            (std::vector<std::string>{"cover.jpg", "Cover.png", "folder.jpg", "front.jpeg",
                                      "Album.PNG"}));
}

TEST(FolderArt, FindsFilesInATrackDirectory) {
  test::TempDir dir;
  std::ofstream(dir / "track.flac") << "x";
  std::ofstream(dir / "Folder.JPG") << "x";
  std::filesystem::create_directories(dir / "cover.jpg");  // a directory is not art
  EXPECT_EQ(media::find_folder_art(dir.path()),
            (std::vector<std::filesystem::path>{dir / "Folder.JPG"}));
  EXPECT_TRUE(media::find_folder_art(dir / "missing").empty());
}
