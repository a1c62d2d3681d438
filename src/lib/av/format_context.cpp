#include "lib/av/format_context.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace scanhub::av {

namespace {

// Owns the options dictionary passed to avformat_open_input (which replaces it with the
// entries it did not use).
class Dictionary {
 public:
  Dictionary() = default;
  ~Dictionary() noexcept { av_dict_free(&dict_); }
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;

  void set(const char* key, std::int64_t value) {
    const int rc = av_dict_set_int(&dict_, key, value, 0);
    if (rc < 0) throw_error(rc, std::string("av_dict_set_int ") + key);
  }
  AVDictionary** address() noexcept { return &dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

}  // namespace

struct FormatContext::Interrupt {
  std::chrono::steady_clock::time_point deadline;
  std::stop_token stop;

  // FFmpeg polls this from inside its I/O and its searches (once per packet at least).
  static int check(void* opaque) noexcept {
    const auto* self = static_cast<const Interrupt*>(opaque);
    if (self->stop.stop_requested()) return 1;
    return std::chrono::steady_clock::now() > self->deadline ? 1 : 0;
  }
};

FormatContext::FormatContext(const std::filesystem::path& path, const ProbeLimits& limits)
    : interrupt_(std::make_unique<Interrupt>(
          Interrupt{std::chrono::steady_clock::now() + limits.time_limit, limits.stop})) {
  Dictionary options;
  options.set("probesize", limits.probe_size_bytes);
  options.set("analyzeduration", limits.analyze_duration.count());
  context_ = avformat_alloc_context();
  if (!context_) throw_error(AVERROR(ENOMEM), "cannot open " + path.string());
  context_->interrupt_callback = {&Interrupt::check, interrupt_.get()};
  const int rc = avformat_open_input(&context_, path.c_str(), nullptr, options.address());
  if (rc < 0) {
    // avformat_open_input frees the context and nulls the pointer on failure.
    throw_error(rc, "cannot open " + path.string());
  }
  try {
    find_stream_info(path);
  } catch (...) {
    avformat_close_input(&context_);  // the destructor does not run for a throwing constructor
    throw;
  }
}

void FormatContext::find_stream_info(const std::filesystem::path& path) {
  // One decoder thread per stream: probing decodes a few frames, and callers already run many
  // probes in parallel, so FFmpeg's default of one thread per core would only oversubscribe.
  std::vector<Dictionary> stream_options(context_->nb_streams);
  std::vector<AVDictionary*> raw_options;
  raw_options.reserve(stream_options.size());
  for (Dictionary& dictionary : stream_options) {
    dictionary.set("threads", 1);
    raw_options.push_back(*dictionary.address());
  }
  const int rc = avformat_find_stream_info(context_, raw_options.data());
  // avformat_find_stream_info may replace each dictionary; give the new ones to their owners.
  for (std::size_t i = 0; i < raw_options.size(); ++i) *stream_options[i].address() = raw_options[i];
  if (rc < 0) throw_error(rc, "cannot read stream information of " + path.string());
}

void FormatContext::close() noexcept {
  if (context_) avformat_close_input(&context_);
}

FormatContext::~FormatContext() noexcept { close(); }

FormatContext::FormatContext(FormatContext&& other) noexcept
    : interrupt_(std::move(other.interrupt_)), context_(std::exchange(other.context_, nullptr)) {}

FormatContext& FormatContext::operator=(FormatContext&& other) noexcept {
  if (this != &other) {
    close();
    interrupt_ = std::move(other.interrupt_);
    context_ = std::exchange(other.context_, nullptr);
  }
  return *this;
}

void quiet_logging() noexcept {
  // A function-local static is initialized exactly once even when threads race here.
  static const bool quieted = [] {
    av_log_set_level(AV_LOG_FATAL);
    return true;
  }();
  (void)quieted;
}

}  // namespace scanhub::av
