#include "movie_templates.hpp"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "parallel.hpp"
#include "process.hpp"
#include "templates.hpp"

namespace scanhub::make_library {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct AudioSpec {
  std::string_view codec;  // ffmpeg encoder
  int channels;
  std::string_view language;  // "" leaves the stream untagged
  int kbps;
};

struct SubtitleSpec {
  std::string_view language;
  bool forced;
};

struct VideoSpec {
  std::string_view extension;  // ".mkv", ".mp4", ".avi"
  std::string_view encoder;    // "libx264" or "mpeg4"
  int width;
  int height;
  int duration_ms;
  std::vector<AudioSpec> audio;
  std::vector<SubtitleSpec> subtitles;  // subrip in mkv, mov_text in mp4, none in avi
};

// The table behind kVideoTemplateCount. Durations are what lavfi generates; the container's
// duration (which ffprobe reports and the manifest carries) can be a few ms longer (AC-3 and MP3
// frames, MPEG-4 part 2 frame timing).
const std::vector<VideoSpec>& video_specs() {
  static const std::vector<VideoSpec> specs{
      {".mkv", "libx264", 320, 180, 1500, {{"aac", 2, "eng", 64}}, {{"eng", false}}},
      {".mkv",
       "libx264",
       256,
       144,
       2000,
       {{"ac3", 6, "eng", 96}, {"aac", 2, "fra", 64}},
       {{"eng", false}, {"fra", true}}},
      {".mp4", "libx264", 320, 180, 1000, {{"aac", 2, "eng", 64}}, {}},
      {".mp4",
       "libx264",
       192,
       108,
       1500,
       {{"aac", 6, "eng", 96}, {"aac", 2, "deu", 64}},
       {{"eng", false}}},
      {".avi", "mpeg4", 320, 180, 1500, {{"libmp3lame", 2, "", 64}}, {}},
      {".avi", "mpeg4", 240, 136, 2000, {{"ac3", 6, "", 96}}, {}},
      {".mkv",
       "mpeg4",
       320,
       180,
       1000,
       {{"libmp3lame", 1, "jpn", 32}},
       {{"jpn", false}, {"eng", false}}},
      {".mp4", "libx264", 320, 180, 2000, {{"aac", 1, "eng", 48}}, {}},
      {".mkv", "libx264", 160, 90, 1000, {{"ac3", 2, "", 96}}, {}},
  };
  return specs;
}

constexpr std::array<std::string_view, kTrailerTemplateCount> kTrailerSources{"testsrc2",
                                                                              "smptebars"};

struct ImageSpec {
  int width;
  int height;
  std::string_view extension;
};

ImageSpec image_spec(ImageKind kind) {
  switch (kind) {
    case ImageKind::kPoster:
      return {120, 180, ".jpg"};
    case ImageKind::kFanart:
      return {320, 180, ".jpg"};
    case ImageKind::kLandscape:
      return {320, 180, ".jpg"};
    case ImageKind::kClearlogo:
      return {200, 78, ".png"};
  }
  return {};
}

std::string_view image_kind_name(ImageKind kind) {
  switch (kind) {
    case ImageKind::kPoster:
      return "poster";
    case ImageKind::kFanart:
      return "fanart";
    case ImageKind::kLandscape:
      return "landscape";
    case ImageKind::kClearlogo:
      return "clearlogo";
  }
  return "";
}

constexpr std::array<std::string_view, 8> kColors{"0x3366cc", "0xcc3333", "0x33aa55", "0xddaa22",
                                                  "0x884499", "0x22aaaa", "0xee7722", "0x555555"};

std::string video_file_name(int index) {
  const VideoSpec& spec = video_specs()[static_cast<std::size_t>(index)];
  // The name spells out the parameters so that a changed table never reuses a stale file.
  std::string name = fmt::format("v1-movie-{}-{}-{}x{}-{}ms", index, spec.encoder, spec.width,
                                 spec.height, spec.duration_ms);
  for (const AudioSpec& audio : spec.audio) {
    name += fmt::format("-{}{}ch{}", audio.codec, audio.channels, audio.language);
  }
  for (const SubtitleSpec& subtitle : spec.subtitles) {
    name += fmt::format("-s{}{}", subtitle.language, subtitle.forced ? "f" : "");
  }
  return name + std::string(spec.extension);
}

std::string_view muxer_for(std::string_view extension) {
  if (extension == ".mkv") return "matroska";
  if (extension == ".mp4") return "mp4";
  return "avi";
}

std::vector<std::string> video_args(const VideoSpec& spec, const std::vector<fs::path>& srt_files,
                                    const std::string& out) {
  const double seconds = spec.duration_ms / 1000.0;
  std::vector<std::string> args{
      "-f", "lavfi", "-i",
      fmt::format("testsrc=size={}x{}:rate=12:duration={}", spec.width, spec.height, seconds)};
  for (std::size_t i = 0; i < spec.audio.size(); ++i) {
    args.insert(args.end(), {"-f", "lavfi", "-i",
                             fmt::format("sine=frequency={}:sample_rate=48000:duration={}",
                                         440 + 110 * i, seconds)});
  }
  for (const fs::path& srt : srt_files) args.insert(args.end(), {"-i", ffmpeg_url(srt.string())});
  args.insert(args.end(), {"-map", "0:v"});
  for (std::size_t i = 0; i < spec.audio.size(); ++i) {
    args.insert(args.end(), {"-map", fmt::format("{}:a", 1 + i)});
  }
  for (std::size_t i = 0; i < srt_files.size(); ++i) {
    args.insert(args.end(), {"-map", fmt::format("{}:s", 1 + spec.audio.size() + i)});
  }
  if (spec.encoder == "libx264") {
    args.insert(args.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-pix_fmt",
                             "yuv420p", "-threads", "1"});
  } else {
    args.insert(args.end(), {"-c:v", "mpeg4", "-q:v", "20"});
  }
  for (std::size_t i = 0; i < spec.audio.size(); ++i) {
    const AudioSpec& audio = spec.audio[i];
    args.insert(args.end(), {fmt::format("-c:a:{}", i), std::string(audio.codec),
                             fmt::format("-ac:a:{}", i), std::to_string(audio.channels),
                             fmt::format("-b:a:{}", i), fmt::format("{}k", audio.kbps)});
    if (!audio.language.empty()) {
      args.insert(args.end(),
                  {fmt::format("-metadata:s:a:{}", i), fmt::format("language={}", audio.language)});
    }
  }
  for (std::size_t i = 0; i < spec.subtitles.size(); ++i) {
    const SubtitleSpec& subtitle = spec.subtitles[i];
    args.insert(args.end(),
                {fmt::format("-c:s:{}", i), spec.extension == ".mp4" ? "mov_text" : "subrip",
                 fmt::format("-metadata:s:s:{}", i), fmt::format("language={}", subtitle.language),
                 fmt::format("-disposition:s:{}", i), subtitle.forced ? "forced" : "0"});
  }
  args.insert(args.end(),
              {"-bitexact", "-f", std::string(muxer_for(spec.extension)), ffmpeg_url(out)});
  return args;
}

std::vector<std::string> trailer_args(int index, const std::string& out) {
  return {"-f",
          "lavfi",
          "-i",
          fmt::format("{}=size=320x180:rate=12:duration=1",
                      kTrailerSources[static_cast<std::size_t>(index)]),
          "-f",
          "lavfi",
          "-i",
          fmt::format("sine=frequency={}:sample_rate=48000:duration=1", 880 + 220 * index),
          "-c:v",
          "libx264",
          "-preset",
          "ultrafast",
          "-crf",
          "40",
          "-pix_fmt",
          "yuv420p",
          "-threads",
          "1",
          "-c:a",
          "aac",
          "-b:a",
          "48k",
          "-bitexact",
          "-f",
          "mp4",
          ffmpeg_url(out)};
}

std::vector<std::string> image_args(ImageKind kind, int index, const std::string& out) {
  const ImageSpec spec = image_spec(kind);
  // Posters and fanart take a colour each; the index shifts the palette per kind so that no two
  // templates of different kinds share bytes.
  const std::string_view color =
      kColors[(static_cast<std::size_t>(kind) * 2 + static_cast<std::size_t>(index)) %
              kColors.size()];
  std::string source = fmt::format("color=c={}:size={}x{}", color, spec.width, spec.height);
  if (kind == ImageKind::kFanart || kind == ImageKind::kLandscape) {
    // A test pattern blended over the colour: more realistic bytes than a flat frame.
    source = fmt::format("testsrc2=size={}x{}:rate=1,drawbox=c={}@0.6:t=fill", spec.width,
                         spec.height, color);
  }
  if (kind == ImageKind::kClearlogo) source += ",format=rgba,colorchannelmixer=aa=0.5";
  std::vector<std::string> args{"-f",      "lavfi", "-i",        source, "-frames:v", "1",
                                "-update", "1",     "-bitexact", "-f",   "image2"};
  if (kind == ImageKind::kClearlogo) {
    args.insert(args.end(), {"-c:v", "png"});
  } else {
    args.insert(args.end(), {"-c:v", "mjpeg"});
  }
  args.push_back(ffmpeg_url(out));
  return args;
}

// Runs ffmpeg into a temporary name and renames it into place: a concurrent run sharing the
// cache sees a whole file or none.
void encode_into(const fs::path& final_path, const std::vector<std::string>& args_for_temp,
                 const fs::path& temp) {
  try {
    run_ffmpeg_or_throw(args_for_temp);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
  fs::rename(temp, final_path);
}

std::string temp_name(const fs::path& final_path, std::size_t job) {
  return final_path.string() + fmt::format(".partial-{}-{}", ::getpid(), job);
}

fs::path probe_path(const fs::path& video) {
  return video.string() + ".ffprobe.json";
}

void make_video_template(int index, const fs::path& final_path, std::size_t job) {
  const VideoSpec& spec = video_specs()[static_cast<std::size_t>(index)];
  const std::string temp = temp_name(final_path, job);
  std::vector<fs::path> srt_files;
  for (std::size_t i = 0; i < spec.subtitles.size(); ++i) {
    srt_files.push_back(temp + fmt::format(".{}.srt", i));
    write_file_or_throw(srt_files.back(),
                        fmt::format("1\n00:00:00,000 --> 00:00:00,900\nSubtitle {} ({})\n\n", i,
                                    spec.subtitles[i].language));
  }
  try {
    encode_into(final_path, video_args(spec, srt_files, temp), temp);
  } catch (...) {
    for (const fs::path& srt : srt_files) fs::remove(srt);
    throw;
  }
  for (const fs::path& srt : srt_files) fs::remove(srt);

  const ProcessResult probe =
      run_process({"ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
                   ffmpeg_url(final_path.string())});
  if (probe.exit_code != 0) {
    throw ProcessError("ffprobe failed on " + final_path.string() + ": " + probe.err);
  }
  parse_ffprobe_json(probe.out);  // fails here, not later, on a report we cannot use
  const fs::path probe_file = probe_path(final_path);
  const fs::path probe_temp = temp_name(probe_file, job);
  write_file_or_throw(probe_temp, probe.out);
  fs::rename(probe_temp, probe_file);
}

bool cached(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A tag's value by case-insensitive key, or nullopt.
std::optional<std::string> tag(const json::object& stream, std::string_view key) {
  const json::value* tags = stream.if_contains("tags");
  if (tags == nullptr || !tags->is_object()) return std::nullopt;
  for (const auto& [name, value] : tags->as_object()) {
    if (lower(name) == key && value.is_string()) return std::string(value.as_string());
  }
  return std::nullopt;
}

}  // namespace

std::string_view video_extension(int index) {
  return video_specs().at(static_cast<std::size_t>(index)).extension;
}

StreamDetails parse_ffprobe_json(std::string_view json_text) {
  try {
    const json::object root = json::parse(json_text).as_object();
    const json::object& format = root.at("format").as_object();
    StreamDetails details;
    details.container = std::string(format.at("format_name").as_string());
    details.duration_ms =
        std::llround(std::stod(std::string(format.at("duration").as_string())) * 1000.0);
    bool have_video = false;
    for (const json::value& value : root.at("streams").as_array()) {
      const json::object& stream = value.as_object();
      const std::string_view type = stream.at("codec_type").as_string();
      const std::string codec(stream.at("codec_name").as_string());
      if (type == "video" && !have_video) {
        have_video = true;
        details.video_codec = codec;
        details.width = static_cast<int>(stream.at("width").to_number<int>());
        details.height = static_cast<int>(stream.at("height").to_number<int>());
      } else if (type == "audio") {
        details.audio.push_back({codec, static_cast<int>(stream.at("channels").to_number<int>()),
                                 tag(stream, "language")});
      } else if (type == "subtitle") {
        const json::object& disposition = stream.at("disposition").as_object();
        details.subtitles.push_back(
            {codec, tag(stream, "language"), disposition.at("forced").to_number<int>() != 0});
      }
    }
    if (!have_video) throw std::runtime_error("no video stream");
    return details;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("unusable ffprobe report: ") + e.what());
  }
}

const std::string& MovieTemplateSet::image(ImageKind kind, int index) const {
  return images_.at(static_cast<std::size_t>(kind) * kImageTemplateCount +
                    static_cast<std::size_t>(index));
}

MovieTemplateSet prepare_movie_templates(const fs::path& cache_dir, unsigned threads) {
  const fs::path dir = fs::absolute(cache_dir);
  struct Job {
    fs::path final_path;
    enum { kVideo, kTrailer, kImage } what;
    int index;
    ImageKind image_kind = ImageKind::kPoster;
  };
  std::vector<Job> jobs;
  std::vector<fs::path> videos;
  for (int i = 0; i < kVideoTemplateCount; ++i) {
    videos.push_back(dir / video_file_name(i));
    if (!cached(videos.back()) || !cached(probe_path(videos.back()))) {
      jobs.push_back({videos.back(), Job::kVideo, i});
    }
  }
  std::vector<fs::path> trailers;
  for (int i = 0; i < kTrailerTemplateCount; ++i) {
    trailers.push_back(
        dir / fmt::format("v1-trailer-{}-{}.mp4", i, kTrailerSources[static_cast<std::size_t>(i)]));
    if (!cached(trailers.back())) jobs.push_back({trailers.back(), Job::kTrailer, i});
  }
  std::vector<fs::path> images;
  for (const ImageKind kind : kImageKinds) {
    const ImageSpec spec = image_spec(kind);
    for (int i = 0; i < kImageTemplateCount; ++i) {
      images.push_back(dir / fmt::format("v1-{}-{}-{}x{}{}", image_kind_name(kind), i, spec.width,
                                         spec.height, spec.extension));
      if (!cached(images.back())) jobs.push_back({images.back(), Job::kImage, i, kind});
    }
  }

  parallel_for(jobs.size(), threads, [&](std::size_t j) {
    const Job& job = jobs[j];
    const std::string temp = temp_name(job.final_path, j);
    switch (job.what) {
      case Job::kVideo:
        make_video_template(job.index, job.final_path, j);
        break;
      case Job::kTrailer:
        encode_into(job.final_path, trailer_args(job.index, temp), temp);
        break;
      case Job::kImage:
        encode_into(job.final_path, image_args(job.image_kind, job.index, temp), temp);
        break;
    }
  });

  MovieTemplateSet set;
  for (int i = 0; i < kVideoTemplateCount; ++i) {
    const fs::path& path = videos[static_cast<std::size_t>(i)];
    VideoTemplate video{path, path.extension().string(), fs::file_size(path), {}};
    try {
      video.streams = parse_ffprobe_json(read_file_or_throw(probe_path(path)));
    } catch (const std::exception&) {
      std::throw_with_nested(std::runtime_error("cached probe of " + path.string()));
    }
    set.videos_.push_back(std::move(video));
  }
  for (const fs::path& path : trailers) set.trailers_.push_back(read_file_or_throw(path));
  for (const fs::path& path : images) set.images_.push_back(read_file_or_throw(path));
  return set;
}

}  // namespace scanhub::make_library
