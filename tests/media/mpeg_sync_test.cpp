// The MP3 frame-sync pre-check (media/mpeg_sync.hpp): an .mp3 without an MPEG frame sync in
// its first MiB after the ID3v2 tags is refused before TagLib searches all of it, and real
// MP3s (a 2 MiB tag, junk before the first frame) are still read.

#include "media/album_art.hpp"
#include "media/mpeg_sync.hpp"
#include "media/tag_reader.hpp"
#include "ffmpeg_files.hpp"
#include "support/temp_dir.hpp"

#include <taglib/attachedpictureframe.h>
#include <taglib/id3v2tag.h>
#include <taglib/mpegfile.h>
#include <taglib/tbytevectorstream.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

using namespace scanhub;

namespace {

TagLib::ByteVector zeros(unsigned size) { return TagLib::ByteVector(size, '\0'); }

// A 10-byte ID3v2.4 header declaring `size` bytes of tag after it (synchsafe).
TagLib::ByteVector id3v2_header(unsigned size) {
  TagLib::ByteVector header("ID3\x04\x00\x00", 6);
  for (int shift = 21; shift >= 0; shift -= 7) header.append(static_cast<char>((size >> shift) & 0x7F));
  return header;
}

// A ByteVectorStream that counts the bytes it hands out.
class CountingStream : public TagLib::ByteVectorStream {
 public:
  using TagLib::ByteVectorStream::ByteVectorStream;
  TagLib::ByteVector readBlock(unsigned long length) override {
    TagLib::ByteVector block = TagLib::ByteVectorStream::readBlock(length);
    bytes_read += block.size();
    return block;
  }
  std::size_t bytes_read = 0;
};

bool sync_in(TagLib::ByteVector data, std::size_t* bytes_read = nullptr) {
  CountingStream stream(data);
  const bool found = media::has_mpeg_frame_sync(stream);
  if (bytes_read) *bytes_read = stream.bytes_read;
  return found;
}

// `truncate -s SIZE path`: a sparse file of zeros.
void write_zeros(const std::filesystem::path& path, off_t size) {
  std::ofstream(path, std::ios::binary).flush();
  ASSERT_EQ(::truncate(path.c_str(), size), 0);
}

}  // namespace

TEST(MpegFrameSync, ZerosHaveNoneAndOnlyTheWindowIsRead) {
  std::size_t bytes_read = 0;
  EXPECT_FALSE(sync_in(zeros(4u << 20), &bytes_read));
  EXPECT_LE(bytes_read, media::kMpegSyncWindow + 10);
  EXPECT_FALSE(sync_in(TagLib::ByteVector()));
  EXPECT_FALSE(sync_in(TagLib::ByteVector("hello, this is text", 19)));

  TagLib::ByteVector near = zeros(media::kMpegSyncWindow - 2);
  near.append(TagLib::ByteVector("\xFF\xFB\x90\x00", 4));
  EXPECT_TRUE(sync_in(near));
  TagLib::ByteVector far = zeros(media::kMpegSyncWindow + 10);
  far.append(TagLib::ByteVector("\xFF\xFB\x90\x00", 4));
  EXPECT_FALSE(sync_in(far));
}

TEST(MpegFrameSync, TheWindowStartsAfterTheLeadingId3v2Tags) {
  // A 3 MB tag (cover art) and then a second one: the frames right after both still count.
  TagLib::ByteVector data = id3v2_header(3u << 20);
  data.append(zeros(3u << 20));
  data.append(id3v2_header(1000));
  data.append(zeros(1000));
  data.append(TagLib::ByteVector("\xFF\xFB\x90\x00", 4));
  EXPECT_TRUE(sync_in(data));
  // A tag declaring more than the file holds: nothing after it.
  TagLib::ByteVector cut = id3v2_header(5u << 20);
  cut.append(zeros(1000));
  EXPECT_FALSE(sync_in(cut));
}

class Mp3PreCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::cached_fixture_dir(SCANHUB_MEDIA_FIXTURE_CACHE, "mpeg-sync-v1", make_files);
  }

  static bool make_files(const std::filesystem::path& dir) {
    const auto path = [&](const std::string& name) { return (dir / name).string(); };
    if (!test::run_ffmpeg({"-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a",
                           "libmp3lame", "-metadata", "title=Tone", path("tone.mp3")})) {
      return false;
    }
    // 100 KiB of zeros before the file: junk TagLib and FFmpeg skip to the first frame.
    {
      std::ifstream in(path("tone.mp3"), std::ios::binary);
      std::ofstream out(path("junk-first.mp3"), std::ios::binary);
      out << std::string(100 * 1024, '\0') << in.rdbuf();
    }
    // A real MP3 whose ID3v2 tag holds a 2 MiB picture: its first frame lies 2 MiB into the
    // file, and it must still be read.
    std::filesystem::copy_file(path("tone.mp3"), path("big-tag.mp3"));
    TagLib::MPEG::File file(path("big-tag.mp3").c_str());
    auto* picture = new TagLib::ID3v2::AttachedPictureFrame;  // owned by the tag once added
    picture->setMimeType("image/jpeg");
    picture->setType(TagLib::ID3v2::AttachedPictureFrame::FrontCover);
    picture->setPicture(TagLib::ByteVector(2u << 20, 'x'));
    file.ID3v2Tag(true)->addFrame(picture);
    return file.save();
  }

  static std::filesystem::path file(const std::string& name) { return dir_ / name; }
  static std::filesystem::path dir_;
};

std::filesystem::path Mp3PreCheck::dir_;

TEST_F(Mp3PreCheck, AnMp3WithAHugeTagIsStillRead) {
  const auto track = media::TagLibReader().read(file("big-tag.mp3"), {});
  EXPECT_EQ(track.title, "Tone");
  EXPECT_EQ(track.sample_rate, 44100);
  EXPECT_NEAR(track.duration_ms, 1000, 50);
  EXPECT_EQ(media::read_embedded_pictures(file("big-tag.mp3")).at(0).size, 2u << 20);
}

TEST_F(Mp3PreCheck, JunkBeforeTheFirstFrameIsStillRead) {
  const auto track = media::TagLibReader().read(file("junk-first.mp3"), {});
  EXPECT_EQ(track.title, "Tone");
  EXPECT_NEAR(track.duration_ms, 1000, 50);
}

TEST_F(Mp3PreCheck, AnMp3OfZerosIsRefusedAfterOneMebibyte) {
  test::TempDir dir;
  write_zeros(dir / "zeros.mp3", 200 << 20);
  media::ReadLimits limits;
  long looks = 0;  // each look at the clock is one read, seek or length of the file
  limits.clock_for_test = [&] {
    ++looks;
    return std::chrono::steady_clock::time_point{};
  };
  try {
    media::TagLibReader().read(dir / "zeros.mp3", limits);
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_STREQ(e.what(), "not an MP3 file: no MPEG audio frame within 1 MiB after its tags");
  }
  EXPECT_LT(looks, 40);  // 16 blocks of 64 KiB, not 200 MB in blocks of 1 KiB
  EXPECT_THROW(media::read_embedded_pictures(dir / "zeros.mp3"), media::ReadError);
}
