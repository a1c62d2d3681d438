#include "templates.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "parallel.hpp"
#include "process.hpp"

namespace scanhub::make_library {
namespace {

struct Variant {
  int sample_rate;
  int channels;
  int duration_ms;
  double tone_hz;
};

// Durations are chosen so that even mp3, whose container duration includes the encoder delay
// and frame padding (ffprobe and TagLib report it), stays within 50 ms of the truth:
// 4750 ms -> +30 ms, 7000 ms -> +27 ms, 10500 ms -> +36 ms.
constexpr std::array<Variant, kVariantCount> kVariants{{
    {44100, 2, 7000, 440.0},
    {44100, 1, 4750, 523.25},
    {48000, 2, 10500, 659.25},
}};

// Nominal bitrate per format and variant (kbps); 0 means lossless.
constexpr std::array<std::array<int, kVariantCount>, kFormats.size()> kBitratesKbps{{
    {128, 96, 192},  // mp3
    {0, 0, 0},       // flac
    {128, 80, 160},  // vorbis
    {96, 48, 128},   // opus
    {128, 64, 160},  // aac
}};

constexpr std::array<std::string_view, kCoverCount> kCoverColors{"0x3366cc", "0xcc3333", "0x33aa55",
                                                                 "0xddaa22"};
constexpr std::string_view kEmbeddedCoverColor = "0x7744aa";

std::size_t format_index(Format format) noexcept {
  return static_cast<std::size_t>(format);
}

std::array<TemplateSpec, kFormats.size() * kVariantCount> make_specs() {
  std::array<TemplateSpec, kFormats.size() * kVariantCount> specs{};
  for (const Format format : kFormats) {
    for (int v = 0; v < kVariantCount; ++v) {
      const Variant& variant = kVariants[static_cast<std::size_t>(v)];
      const int kbps = kBitratesKbps[format_index(format)][static_cast<std::size_t>(v)];
      specs[format_index(format) * kVariantCount + static_cast<std::size_t>(v)] = TemplateSpec{
          .format = format,
          .variant = v,
          .sample_rate = format == Format::kOpus ? 48000 : variant.sample_rate,
          .channels = variant.channels,
          .duration_ms = variant.duration_ms,
          .tone_hz = variant.tone_hz,
          .bitrate_kbps = kbps > 0 ? std::optional<int>(kbps) : std::nullopt,
      };
    }
  }
  return specs;
}

const std::array<TemplateSpec, kFormats.size()* kVariantCount> kSpecs = make_specs();

std::string_view encoder_name(Format format) noexcept {
  switch (format) {
    case Format::kMp3:
      return "libmp3lame";
    case Format::kFlac:
      return "flac";
    case Format::kVorbis:
      return "libvorbis";
    case Format::kOpus:
      return "libopus";
    case Format::kAac:
      return "aac";
  }
  return "";
}

std::vector<std::string> encode_args(const TemplateSpec& spec, const std::string& out) {
  // atrim cuts the endless sine source at exactly samples(): that count is the true duration.
  std::vector<std::string> args{"-f",
                                "lavfi",
                                "-i",
                                fmt::format("sine=frequency={}:sample_rate={},atrim=end_sample={}",
                                            spec.tone_hz, spec.sample_rate, spec.samples()),
                                "-ac",
                                std::to_string(spec.channels),
                                "-map_metadata",
                                "-1",
                                "-bitexact",
                                "-c:a",
                                std::string(encoder_name(spec.format))};
  if (spec.bitrate_kbps) {
    args.insert(args.end(), {"-b:a", std::to_string(*spec.bitrate_kbps) + "k"});
  }
  // No ID3v2 in the mp3 template: TagLib or ffmpeg adds the only tag each copy carries.
  if (spec.format == Format::kMp3) args.insert(args.end(), {"-id3v2_version", "0"});
  args.insert(args.end(), {"-f", std::string(muxer_name(spec.format)), ffmpeg_url(out)});
  return args;
}

std::vector<std::string> cover_args(std::string_view color, const std::string& out) {
  // -update 1: the output name is a plain file name, never an image2 "%d" pattern.
  std::vector<std::string> args{"-f", "lavfi", "-i", fmt::format("color=c={}:size=300x300", color)};
  args.insert(args.end(), {"-frames:v", "1", "-update", "1", "-bitexact"});
  args.insert(args.end(), {"-f", "image2", "-c:v", "mjpeg", ffmpeg_url(out)});
  return args;
}

// A unit of cache work: ffmpeg arguments that write `temp`, renamed to `final` on success.
struct CacheJob {
  std::filesystem::path final_path;
  const TemplateSpec* spec = nullptr;  // null for cover images
  std::string_view cover_color;
};

void run_cache_job(const CacheJob& job, std::size_t index) {
  const std::filesystem::path temp =
      job.final_path.string() + fmt::format(".partial-{}-{}", ::getpid(), index);
  const std::vector<std::string> args =
      job.spec ? encode_args(*job.spec, temp.string()) : cover_args(job.cover_color, temp.string());
  try {
    run_ffmpeg_or_throw(args);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
  // rename() is atomic, so a concurrent run sharing the cache sees a whole file or none.
  std::filesystem::rename(temp, job.final_path);

  if (job.spec) {
    const double probed_ms = probe_duration_seconds_or_throw(job.final_path.string()) * 1000.0;
    if (std::abs(probed_ms - job.spec->duration_ms) > 50.0) {
      std::fprintf(stderr,
                   "make-library: warning: ffprobe reports %.1f ms for template %s, true "
                   "duration is %d ms\n",
                   probed_ms, job.final_path.filename().c_str(), job.spec->duration_ms);
    }
  }
}

bool cached(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) > 0;
}

}  // namespace

std::string_view codec_name(Format format) noexcept {
  switch (format) {
    case Format::kMp3:
      return "mp3";
    case Format::kFlac:
      return "flac";
    case Format::kVorbis:
      return "vorbis";
    case Format::kOpus:
      return "opus";
    case Format::kAac:
      return "aac";
  }
  return "";
}

std::string_view extension(Format format) noexcept {
  switch (format) {
    case Format::kMp3:
      return ".mp3";
    case Format::kFlac:
      return ".flac";
    case Format::kVorbis:
      return ".ogg";
    case Format::kOpus:
      return ".opus";
    case Format::kAac:
      return ".m4a";
  }
  return "";
}

std::string_view muxer_name(Format format) noexcept {
  switch (format) {
    case Format::kMp3:
      return "mp3";
    case Format::kFlac:
      return "flac";
    case Format::kVorbis:
      return "ogg";
    case Format::kOpus:
      return "opus";
    case Format::kAac:
      return "ipod";
  }
  return "";
}

std::string TemplateSpec::file_name() const {
  return fmt::format("v1-{}-{}hz-{}ch-{}ms-{}k{}", codec_name(format), sample_rate, channels,
                     duration_ms, bitrate_kbps.value_or(0), extension(format));
}

const TemplateSpec& template_spec(Format format, int variant) {
  return kSpecs.at(format_index(format) * kVariantCount + static_cast<std::size_t>(variant));
}

const EncodedTemplate& TemplateSet::get(Format format, int variant) const {
  return templates_.at(format_index(format) * kVariantCount + static_cast<std::size_t>(variant));
}

TemplateSet prepare_templates(const std::filesystem::path& cache_dir, unsigned threads) {
  const std::filesystem::path dir = std::filesystem::absolute(cache_dir);
  TemplateSet set;
  std::vector<CacheJob> jobs;
  for (const TemplateSpec& spec : kSpecs) {
    set.templates_.push_back({spec, dir / spec.file_name(), {}});
    if (!cached(set.templates_.back().path))
      jobs.push_back({set.templates_.back().path, &spec, {}});
  }
  for (std::size_t i = 0; i < kCoverColors.size(); ++i) {
    set.covers_.push_back(dir / fmt::format("v1-cover-{}.jpg", i));
    if (!cached(set.covers_.back())) jobs.push_back({set.covers_.back(), nullptr, kCoverColors[i]});
  }
  const std::filesystem::path embedded = dir / "v1-embedded-cover.jpg";
  if (!cached(embedded)) jobs.push_back({embedded, nullptr, kEmbeddedCoverColor});

  parallel_for(jobs.size(), threads, [&](std::size_t i) { run_cache_job(jobs[i], i); });

  for (EncodedTemplate& encoded : set.templates_) encoded.bytes = read_file_or_throw(encoded.path);
  set.embedded_cover_ = read_file_or_throw(embedded);
  return set;
}

std::string read_file_or_throw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  return bytes;
}

void write_file_or_throw(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace scanhub::make_library
