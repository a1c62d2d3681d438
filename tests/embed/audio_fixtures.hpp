#pragma once
// Real audio for the embedding tests, made by the ffmpeg command-line tool once per build tree
// (tests/media/ffmpeg_files.hpp caches them; ctest runs each case as its own process).
// Every "track" lasts 62 s (over seed 000's 60-s minimum) unless said otherwise.

#include "media/ffmpeg_files.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace scanhub::test {

inline constexpr const char* kTrackSeconds = "62";

/// Originals (FLAC, 44.1 kHz): a two-voice melody with a little noise, a repeating chirp, a
/// steady 440 Hz tone, a tremolo 1 kHz tone, pink, white and brown noise. Copies re-encoded
/// from them in other formats and bitrates. Bad files for the skip and error paths.
struct AudioFixtures {
  std::filesystem::path dir;
  std::vector<std::string> originals{"melody.flac", "chirp.flac", "tone440.flac", "tremolo.flac",
                                     "pink.flac",   "white.flac", "brown.flac"};
  /// copy -> its original
  std::vector<std::pair<std::string, std::string>> copies{
      {"melody-128k.mp3", "melody.flac"}, {"melody-64k.mp3", "melody.flac"},
      {"melody-q1.ogg", "melody.flac"},   {"melody-22k-mono.flac", "melody.flac"},
      {"chirp-96k.mp3", "chirp.flac"},    {"chirp-q2.ogg", "chirp.flac"},
      {"pink-128k.mp3", "pink.flac"},     {"tremolo-64k.opus", "tremolo.flac"}};
  std::string short_track = "short-10s.mp3";  ///< 10 s
  std::string long_track = "long-100s.ogg";   ///< 100 s: "too long" once the limit is 90 s
  std::string not_audio = "random-bytes.mp3";
  std::string truncated = "melody-truncated.flac";  ///< the first quarter of melody.flac's bytes

  std::filesystem::path operator/(const std::string& name) const { return dir / name; }
};

inline bool make_audio_fixtures(const std::filesystem::path& dir) {
  const auto out = [&](const char* name) { return (dir / name).string(); };
  const auto lavfi = [&](const std::string& source, const char* name,
                         std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-f", "lavfi", "-i", source, "-t", kTrackSeconds};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(out(name));
    return run_ffmpeg(args);
  };
  const auto encode = [&](const char* from, const char* name, std::vector<std::string> codec) {
    std::vector<std::string> args{"-i", out(from)};
    args.insert(args.end(), codec.begin(), codec.end());
    args.push_back(out(name));
    return run_ffmpeg(args);
  };
  const std::string melody =
      "aevalsrc='0.3*sin(2*PI*t*220*pow(2,floor(mod(t*2,8))/12))"
      "+0.2*sin(2*PI*t*330*pow(2,floor(mod(t*3,5))/12))+0.05*(random(0)-0.5)':s=44100";
  bool ok =
      lavfi(melody, "melody.flac", {"-ac", "2"}) &&
      lavfi("aevalsrc='0.5*sin(2*PI*(100*mod(t,5)+200*mod(t,5)*mod(t,5)))':s=44100",
            "chirp.flac") &&
      lavfi("sine=f=440:r=44100", "tone440.flac") &&
      lavfi("aevalsrc='0.5*sin(2*PI*1000*t)*(0.6+0.4*sin(2*PI*3*t))':s=44100", "tremolo.flac") &&
      lavfi("anoisesrc=color=pink:a=0.3:r=44100", "pink.flac") &&
      lavfi("anoisesrc=color=white:a=0.2:r=44100", "white.flac") &&
      lavfi("anoisesrc=color=brown:a=0.5:r=44100", "brown.flac") &&
      encode("melody.flac", "melody-128k.mp3", {"-c:a", "libmp3lame", "-b:a", "128k"}) &&
      encode("melody.flac", "melody-64k.mp3", {"-c:a", "libmp3lame", "-b:a", "64k"}) &&
      encode("melody.flac", "melody-q1.ogg", {"-c:a", "libvorbis", "-q:a", "1"}) &&
      encode("melody.flac", "melody-22k-mono.flac", {"-ar", "22050", "-ac", "1"}) &&
      encode("chirp.flac", "chirp-96k.mp3", {"-c:a", "libmp3lame", "-b:a", "96k"}) &&
      encode("chirp.flac", "chirp-q2.ogg", {"-c:a", "libvorbis", "-q:a", "2"}) &&
      encode("pink.flac", "pink-128k.mp3", {"-c:a", "libmp3lame", "-b:a", "128k"}) &&
      encode("tremolo.flac", "tremolo-64k.opus", {"-c:a", "libopus", "-b:a", "64k"}) &&
      run_ffmpeg({"-f", "lavfi", "-i", "sine=f=660:r=44100", "-t", "10", "-c:a", "libmp3lame",
                  out("short-10s.mp3")}) &&
      run_ffmpeg({"-f", "lavfi", "-i", "sine=f=550:r=22050", "-t", "100", "-c:a", "libvorbis",
                  "-q:a", "0", out("long-100s.ogg")});
  if (!ok) return false;
  std::mt19937 random(42);
  {
    std::ofstream bytes(dir / "random-bytes.mp3", std::ios::binary);
    for (int i = 0; i < 200'000; ++i) bytes.put(static_cast<char>(random()));
  }
  const auto size = std::filesystem::file_size(dir / "melody.flac");
  std::ifstream whole(dir / "melody.flac", std::ios::binary);
  std::vector<char> head(size / 4);
  whole.read(head.data(), static_cast<std::streamsize>(head.size()));
  std::ofstream(dir / "melody-truncated.flac", std::ios::binary)
      .write(head.data(), static_cast<std::streamsize>(head.size()));
  return true;
}

/// The fixtures, made on first use in this build tree.
inline const AudioFixtures& audio_fixtures() {
  static const AudioFixtures fixtures{
      cached_fixture_dir(SCANHUB_EMBED_FIXTURE_CACHE, "audio-v1", make_audio_fixtures)};
  return fixtures;
}

}  // namespace scanhub::test
