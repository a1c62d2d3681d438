// In-process libavformat probe (media/video_probe.hpp) against real files made by ffmpeg.

#include "media/video_probe.hpp"
#include "ffmpeg_files.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <stop_token>

using namespace scanhub;

namespace {

class VideoProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::cached_fixture_dir(SCANHUB_MEDIA_FIXTURE_CACHE, "video-v1", make_files);
  }

  static bool make_files(const std::filesystem::path& dir) {
    const auto path = [&](const char* name) { return (dir / name).string(); };
    bool ok = true;
    {
      std::ofstream srt(path("subs.srt"));
      srt << "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\nWorld\n";
    }
    // 2 s of 320x240 h264 at 25 fps, English stereo AAC (default), German 5.1 AC-3, forced
    // French SubRip subtitles.
    ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2",
                      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
                      "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:duration=2",
                      "-i", path("subs.srt"),
                      "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
                      "-c:v", "libx264", "-preset", "superfast", "-profile:v", "high",
                      "-pix_fmt", "yuv420p",
                      "-c:a:0", "aac", "-ac:a:0", "2", "-c:a:1", "ac3", "-ac:a:1", "6",
                      "-c:s", "srt",
                      "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=ger",
                      "-metadata:s:a:1", "title=Deutsch 5.1",
                      "-metadata:s:s:0", "language=fre",
                      "-disposition:a:0", "default", "-disposition:a:1", "0",
                      "-disposition:s:0", "forced",
                      path("movie.mkv")});
    ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc=size=640x360:rate=30000/1001:duration=1",
                      "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-preset",
                      "ultrafast", "-c:a", "aac", "-ac", "1", path("clip.mp4")});
    ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc=size=176x144:rate=15:duration=1",
                      "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "mpeg4", "-c:a",
                      "libmp3lame", path("old.avi")});
    ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libmp3lame",
                      path("song.mp3")});
    // One frame each, flagged with the PQ (HDR10) and HLG transfer characteristics.
    for (const auto& [transfer, name] : {std::pair{"smpte2084", "pq.mkv"}, {"arib-std-b67", "hlg.mkv"}}) {
      ok = ok && test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc=size=64x64:rate=1:duration=1", "-c:v",
                        "libx264", "-preset", "ultrafast", "-color_primaries", "bt2020",
                        "-color_trc", transfer, "-colorspace", "bt2020nc", path(name)});
    }
    std::ofstream(path("notes.mkv")) << "This is a text file with a video extension.\n";
    std::ofstream(path("empty.mkv"));
    return ok;
  }

  static std::filesystem::path file(const char* name) { return dir_ / name; }

  static std::filesystem::path dir_;
};

std::filesystem::path VideoProbe::dir_;

}  // namespace

TEST_F(VideoProbe, MatroskaWithTwoAudioLanguagesAndForcedSubtitle) {
  const media::VideoInfo info = media::probe_video(file("movie.mkv"));
  EXPECT_EQ(info.container, "matroska,webm");
  ASSERT_TRUE(info.duration_ms);
  EXPECT_NEAR(*info.duration_ms, 2000, 100);
  EXPECT_TRUE(info.bit_rate);

  ASSERT_EQ(info.video.size(), 1u);
  const auto& video = info.video[0];
  EXPECT_EQ(video.index, 0);
  EXPECT_EQ(video.codec, "h264");
  EXPECT_EQ(video.profile, "High");
  EXPECT_EQ(video.width, 320);
  EXPECT_EQ(video.height, 240);
  ASSERT_TRUE(video.frame_rate);
  EXPECT_NEAR(*video.frame_rate, 25.0, 0.01);
  EXPECT_EQ(video.pixel_format, "yuv420p");
  EXPECT_FALSE(video.hdr);

  ASSERT_EQ(info.audio.size(), 2u);
  EXPECT_EQ(info.audio[0].codec, "aac");
  EXPECT_EQ(info.audio[0].profile, "LC");
  EXPECT_EQ(info.audio[0].channels, 2);
  EXPECT_EQ(info.audio[0].channel_layout, "stereo");
  EXPECT_EQ(info.audio[0].sample_rate, 48000);
  EXPECT_EQ(info.audio[0].language, "eng");
  EXPECT_TRUE(info.audio[0].is_default);
  EXPECT_FALSE(info.audio[0].is_forced);
  EXPECT_EQ(info.audio[1].codec, "ac3");
  EXPECT_EQ(info.audio[1].channels, 6);
  EXPECT_EQ(info.audio[1].channel_layout, "5.1(side)");
  EXPECT_EQ(info.audio[1].sample_rate, 44100);
  EXPECT_EQ(info.audio[1].language, "ger");
  EXPECT_EQ(info.audio[1].title, "Deutsch 5.1");
  EXPECT_FALSE(info.audio[1].is_default);

  ASSERT_EQ(info.subtitles.size(), 1u);
  EXPECT_EQ(info.subtitles[0].codec, "subrip");
  EXPECT_EQ(info.subtitles[0].language, "fre");
  EXPECT_TRUE(info.subtitles[0].is_forced);
}

TEST_F(VideoProbe, Mp4) {
  const media::VideoInfo info = media::probe_video(file("clip.mp4"));
  EXPECT_EQ(info.container, "mov,mp4,m4a,3gp,3g2,mj2");
  ASSERT_TRUE(info.duration_ms);
  EXPECT_NEAR(*info.duration_ms, 1000, 100);
  ASSERT_EQ(info.video.size(), 1u);
  EXPECT_EQ(info.video[0].codec, "h264");
  EXPECT_EQ(info.video[0].width, 640);
  EXPECT_EQ(info.video[0].height, 360);
  ASSERT_TRUE(info.video[0].frame_rate);
  EXPECT_NEAR(*info.video[0].frame_rate, 29.97, 0.01);
  ASSERT_EQ(info.audio.size(), 1u);
  EXPECT_EQ(info.audio[0].channels, 1);
  EXPECT_EQ(info.audio[0].channel_layout, "mono");
  EXPECT_TRUE(info.subtitles.empty());
}

TEST_F(VideoProbe, Avi) {
  const media::VideoInfo info = media::probe_video(file("old.avi"));
  EXPECT_EQ(info.container, "avi");
  ASSERT_EQ(info.video.size(), 1u);
  EXPECT_EQ(info.video[0].codec, "mpeg4");
  EXPECT_EQ(info.video[0].width, 176);
  EXPECT_EQ(info.video[0].height, 144);
  ASSERT_EQ(info.audio.size(), 1u);
  EXPECT_EQ(info.audio[0].codec, "mp3");
}

TEST_F(VideoProbe, HdrTransferCharacteristics) {
  EXPECT_EQ(media::probe_video(file("pq.mkv")).video.at(0).hdr, "HDR10");
  EXPECT_EQ(media::probe_video(file("hlg.mkv")).video.at(0).hdr, "HLG");
}

TEST_F(VideoProbe, TextFileNamedMkvIsAClearError) {
  try {
    media::probe_video(file("notes.mkv"));
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("notes.mkv"), std::string::npos) << message;
    EXPECT_NE(message.find("Invalid data found"), std::string::npos) << message;
  }
}

TEST_F(VideoProbe, ZeroByteFileIsAClearError) {
  try {
    media::probe_video(file("empty.mkv"));
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_NE(std::string(e.what()).find("empty.mkv"), std::string::npos) << e.what();
  }
}

TEST_F(VideoProbe, MissingFileIsAClearError) {
  try {
    media::probe_video(file("absent.mkv"));
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST_F(VideoProbe, AudioOnlyFileHasNoVideoStream) {
  try {
    media::probe_video(file("song.mp3"));
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_NE(std::string(e.what()).find("no video stream"), std::string::npos) << e.what();
  }
}

TEST_F(VideoProbe, FifoIsRefusedInsteadOfBlocking) {
  test::TempDir scratch;
  const auto fifo = scratch / "pipe.mkv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    media::probe_video(fifo);
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST_F(VideoProbe, CancelledProbeGivesUp) {
  std::stop_source stop;
  stop.request_stop();
  av::ProbeLimits limits;
  limits.stop = stop.get_token();
  try {
    media::probe_video(file("movie.mkv"), limits);
    FAIL() << "no error";
  } catch (const media::ReadCancelled& e) {
    EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
  }
  limits.stop = {};
  EXPECT_EQ(media::probe_video(file("movie.mkv"), limits).audio.size(), 2u);
}

TEST_F(VideoProbe, AProbeOverItsTimeLimitIsAnErrorNamingTheBudget) {
  av::ProbeLimits limits;
  limits.time_limit = std::chrono::milliseconds(0);  // spent before the first read
  try {
    media::probe_video(file("movie.mkv"), limits);
    FAIL() << "no error";
  } catch (const media::ReadError& e) {
    EXPECT_NE(std::string(e.what()).find("reading took longer than the 0 s budget"),
              std::string::npos) << e.what();
  }
}

TEST_F(VideoProbe, ConcurrentProbesAgree) {
  std::vector<std::future<media::VideoInfo>> probes;
  for (int i = 0; i < 8; ++i) {
    probes.push_back(std::async(std::launch::async, [i] {
      return media::probe_video(file(i % 2 ? "clip.mp4" : "movie.mkv"));
    }));
  }
  for (int i = 0; i < 8; ++i) {
    const auto info = probes[i].get();
    EXPECT_EQ(info.video.at(0).width, i % 2 ? 640 : 320);
    EXPECT_EQ(info.audio.size(), i % 2 ? 1u : 2u);
  }
}

TEST_F(VideoProbe, SmallProbeLimitsStillReadTheHeader) {
  av::ProbeLimits limits;
  limits.probe_size_bytes = 32 * 1024;
  limits.analyze_duration = std::chrono::milliseconds(200);
  const media::VideoInfo info = media::probe_video(file("movie.mkv"), limits);
  ASSERT_EQ(info.video.size(), 1u);
  EXPECT_EQ(info.video[0].width, 320);
  EXPECT_EQ(info.audio.size(), 2u);
}
