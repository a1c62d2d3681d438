// Reading under a per-file time budget and a stop token (media/read_limits.hpp): the deadline,
// the TagLib stream that obeys it (bounded_stream.hpp), and TagLibReader and
// read_embedded_pictures over real files. Time comes from an injected clock, so nothing here
// depends on the machine's speed.

#include "media/album_art.hpp"
#include "media/bounded_stream.hpp"
#include "media/tag_reader.hpp"
#include "ffmpeg_files.hpp"
#include "support/temp_dir.hpp"

#include <taglib/id3v2framefactory.h>
#include <taglib/id3v2tag.h>
#include <taglib/mpegfile.h>
#include <taglib/tbytevectorstream.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

using namespace scanhub;
using namespace std::chrono_literals;

namespace {

using TimePoint = std::chrono::steady_clock::time_point;

// A clock that stands still for its first `calls` readings, then jumps an hour ahead: the
// budget trips at exactly the (calls+1)-th look, whatever the machine's speed.
struct SteppingClock {
  explicit SteppingClock(long calls) : left(std::make_shared<long>(calls)), count(std::make_shared<long>(0)) {}
  TimePoint operator()() const {
    ++*count;
    return (*left)-- > 0 ? TimePoint{} : TimePoint{} + 1h;
  }
  std::shared_ptr<long> left;
  std::shared_ptr<long> count;  ///< readings so far
};

media::ReadLimits limits_with(SteppingClock clock, std::chrono::milliseconds budget = 10s) {
  media::ReadLimits limits;
  limits.time_budget = budget;
  limits.clock_for_test = clock;
  return limits;
}

// An MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) followed by zeros up to `size`: it
// passes the frame-sync pre-check, and TagLib then searches the zeros byte by byte, twice
// (MPEG::File::findID3v2, then the first-frame search of MPEG::Properties). Sparse on disk.
void write_header_then_zeros(const std::filesystem::path& path, off_t size) {
  std::ofstream(path, std::ios::binary) << "\xFF\xFB\x90\x00";
  ASSERT_EQ(::truncate(path.c_str(), size), 0);
}

TagLib::ByteVector zeros(unsigned size) { return TagLib::ByteVector(size, '\0'); }

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

}  // namespace

TEST(ReadDeadline, TripsOnceTheBudgetIsSpentAndStaysTripped) {
  TimePoint now{};
  media::ReadLimits limits;
  limits.time_budget = 2s;
  limits.clock_for_test = [&] { return now; };
  media::ReadDeadline deadline(limits);
  EXPECT_EQ(deadline.check(), media::ReadStop::none);
  now += 1999ms;
  EXPECT_EQ(deadline.check(), media::ReadStop::none);
  EXPECT_NO_THROW(deadline.throw_if_stopped("a.mp3"));
  now += 1ms;
  EXPECT_EQ(deadline.check(), media::ReadStop::budget);
  now = TimePoint{};  // a read cut short stays cut short
  EXPECT_EQ(deadline.check(), media::ReadStop::budget);
  try {
    deadline.throw_if_stopped("a.mp3");
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_STREQ(e.what(), "reading took longer than the 2 s budget");
  }
}

TEST(ReadDeadline, AStopRequestTripsItAsCancelledNotAsAFileError) {
  std::stop_source stop;
  media::ReadLimits limits;
  limits.stop = stop.get_token();
  limits.clock_for_test = [] { return TimePoint{}; };
  media::ReadDeadline deadline(limits);
  EXPECT_EQ(deadline.check(), media::ReadStop::none);
  stop.request_stop();
  EXPECT_EQ(deadline.check(), media::ReadStop::cancelled);
  EXPECT_THROW(deadline.throw_if_stopped("a.mp3"), media::ReadCancelled);
  try {
    deadline.throw_if_stopped("a.mp3");
  } catch (const media::ReadError&) {
    ADD_FAILURE() << "a cancel must not look like the file's fault";
  } catch (const media::ReadCancelled&) {
  }
}

TEST(ReadDeadline, BudgetReasonsSaySecondsAsGiven) {
  EXPECT_EQ(media::budget_exceeded_reason(10s), "reading took longer than the 10 s budget");
  EXPECT_EQ(media::budget_exceeded_reason(1500ms), "reading took longer than the 1.5 s budget");
  EXPECT_EQ(media::budget_exceeded_reason(300s), "reading took longer than the 300 s budget");
}

TEST(BoundedStream, ReadsUntilTheDeadlineThenNothingWhileSeekAndLengthKeepTheirMeaning) {
  TagLib::ByteVector data("0123456789", 10);
  TagLib::ByteVectorStream inner(data);
  TimePoint now{};
  media::ReadLimits limits;
  limits.time_budget = 1s;
  limits.clock_for_test = [&] { return now; };
  media::ReadDeadline deadline(limits);
  media::BoundedStream stream(inner, deadline);

  EXPECT_TRUE(stream.readOnly());
  EXPECT_EQ(stream.readBlock(4), TagLib::ByteVector("0123", 4));
  now += 1s;
  EXPECT_TRUE(stream.readBlock(4).isEmpty());  // as at the end of the file
  EXPECT_EQ(deadline.stopped(), media::ReadStop::budget);
  // TagLib ends some loops by seeking to the end (MP4's atom reader), so seeking still moves.
  stream.seek(0, TagLib::IOStream::End);
  EXPECT_EQ(stream.tell(), 10);
  EXPECT_EQ(stream.length(), 10);
  stream.seek(2);
  EXPECT_TRUE(stream.readBlock(4).isEmpty());
  stream.writeBlock(TagLib::ByteVector("xx", 2));  // read-only: writes do nothing
  EXPECT_EQ(data, TagLib::ByteVector("0123456789", 10));
}

TEST(BoundedStream, AStopRequestEndsTheDataAtTheNextRead) {
  TagLib::ByteVector data(1000, 'a');
  TagLib::ByteVectorStream inner(data);
  std::stop_source stop;
  media::ReadLimits limits;
  limits.stop = stop.get_token();
  media::ReadDeadline deadline(limits);
  media::BoundedStream stream(inner, deadline);
  EXPECT_EQ(stream.readBlock(10).size(), 10u);
  stop.request_stop();
  EXPECT_TRUE(stream.readBlock(10).isEmpty());
  EXPECT_EQ(deadline.stopped(), media::ReadStop::cancelled);
}

TEST(BoundedStream, TagLibsFrameSearchOverZerosEndsRightAfterTheDeadline) {
  // 8 MB of zeros behind a frame header: TagLib would read it in 1 KiB blocks twice over
  // (about 16,000 reads). Tripped after 50 looks, it must end within a few more.
  TagLib::ByteVector data("\xFF\xFB\x90\x00", 4);
  data.append(zeros(8u << 20));
  CountingStream inner(data);
  const SteppingClock clock(50);
  media::ReadDeadline deadline(limits_with(clock));
  media::BoundedStream stream(inner, deadline);
  TagLib::MPEG::File file(&stream, TagLib::ID3v2::FrameFactory::instance(), true,
                          TagLib::AudioProperties::Average);
  EXPECT_EQ(deadline.stopped(), media::ReadStop::budget);
  EXPECT_LT(inner.bytes_read, 100u * 1024);  // not 16 MB
  ASSERT_NE(file.audioProperties(), nullptr);
  EXPECT_EQ(file.audioProperties()->sampleRate(), 0);  // nothing found: the caller discards it
}

class BoundedReading : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::cached_fixture_dir(SCANHUB_MEDIA_FIXTURE_CACHE, "bounded-v2", make_files);
  }

  static bool make_files(const std::filesystem::path& dir) {
    const auto path = [&](const std::string& name) { return (dir / name).string(); };
    bool ok = true;
    for (const auto& [name, codec] : kFormats) {
      ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a",
                                   codec, "-metadata", "title=Tone", path(name)});
    }
    return ok;
  }

  static std::filesystem::path file(const std::string& name) { return dir_ / name; }

  // Every format TagLib reads for scanhub that ffmpeg 5.1 can write.
  static constexpr std::pair<const char*, const char*> kFormats[] = {
      {"tone.mp3", "libmp3lame"}, {"tone.flac", "flac"},      {"tone.ogg", "libvorbis"},
      {"tone.opus", "libopus"},   {"tone.m4a", "aac"},        {"alac.m4a", "alac"},
      {"tone.wav", "pcm_s16le"},  {"tone.aiff", "pcm_s16be"}, {"tone.wv", "wavpack"},
      {"tone.wma", "wmav2"}};
  static std::filesystem::path dir_;
};

std::filesystem::path BoundedReading::dir_;

TEST_F(BoundedReading, EveryFormatEndsWithTheBudgetErrorWhereverTheBudgetRunsOut) {
  // Stopping TagLib's reading at any read of any format must end the read (no loop that waits
  // for data that never comes) with the budget's reason, never with a partial track.
  const media::TagLibReader reader;
  for (const auto& [name, codec] : kFormats) {
    SCOPED_TRACE(name);
    const SteppingClock unlimited(1'000'000);
    const auto whole = reader.read(file(name), limits_with(unlimited));
    EXPECT_GT(whole.duration_ms, 900);
    const long looks = *unlimited.count;
    ASSERT_GT(looks, 1);
    // k = 1: the deadline's own start is the first look; the first read trips it.
    for (long k = 1; k < looks; ++k) {
      try {
        reader.read(file(name), limits_with(SteppingClock(k)));
        ADD_FAILURE() << "no error with the budget spent after " << k << " of " << looks << " looks";
      } catch (const media::ReadError& e) {
        EXPECT_STREQ(e.what(), "reading took longer than the 10 s budget") << "after " << k << " looks";
      }
    }
    const auto enough = reader.read(file(name), limits_with(SteppingClock(looks)));
    EXPECT_EQ(enough.duration_ms, whole.duration_ms);
    EXPECT_EQ(enough.title, whole.title);
  }
}

TEST_F(BoundedReading, AFrameSearchOverZerosStopsAtTheBudget) {
  test::TempDir dir;
  write_header_then_zeros(dir / "frames.mp3", 200 << 20);
  const SteppingClock clock(100);
  // The budget is spent on the injected clock; the wall clock only shows the reading ended
  // soon after (TagLib alone searches 200 MB for 20 s and more).
  const auto started = std::chrono::steady_clock::now();
  try {
    media::TagLibReader().read(dir / "frames.mp3", limits_with(clock, 3s));
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_STREQ(e.what(), "reading took longer than the 3 s budget");
  }
  const SteppingClock pictures(100);
  EXPECT_THROW(media::read_embedded_pictures(dir / "frames.mp3", limits_with(pictures)),
               media::ReadError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(BoundedReading, ACancelledReadThrowsReadCancelled) {
  std::stop_source stop;
  stop.request_stop();
  media::ReadLimits limits;
  limits.stop = stop.get_token();
  EXPECT_THROW(media::TagLibReader().read(file("tone.flac"), limits), media::ReadCancelled);
  EXPECT_THROW(media::read_embedded_pictures(file("tone.flac"), limits), media::ReadCancelled);
}
