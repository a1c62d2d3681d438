#include "embed/audio_decoder.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
}

#include <cerrno>
#include <string>

namespace scanhub::embed {

namespace {

// A file where this many packets in a row fail to decode is treated as broken rather than as
// a file with a few damaged frames (ffmpeg's own tool skips them one by one forever).
constexpr int kMaxConsecutiveErrors = 64;

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const noexcept { avcodec_free_context(&c); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const noexcept { av_frame_free(&f); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const noexcept { swr_free(&s); }
};

}  // namespace

struct AudioDecoder::Impl {
  av::FormatContext format;
  int stream_index = -1;
  std::unique_ptr<AVCodecContext, CodecContextDeleter> codec;
  std::unique_ptr<AVPacket, PacketDeleter> packet{av_packet_alloc()};
  std::unique_ptr<AVFrame, FrameDeleter> frame{av_frame_alloc()};
  std::unique_ptr<SwrContext, SwrDeleter> swr;
  // The input parameters `swr` was made for.
  int swr_rate = 0;
  int swr_format = -1;
  AVChannelLayout swr_layout{};

  Impl(const std::filesystem::path& path, const media::ReadLimits& limits)
      : format(path, av::ProbeLimits{.probe_size_bytes = 1'000'000,
                                     .analyze_duration = std::chrono::seconds(1),
                                     // The deadline covers the decoding too (FFmpeg's interrupt
                                     // callback is polled by every read).
                                     .time_limit = limits.time_budget,
                                     .stop = limits.stop}) {
    if (!packet || !frame) av::throw_error(AVERROR(ENOMEM), "cannot decode " + path.string());
  }
  ~Impl() { av_channel_layout_uninit(&swr_layout); }
};

AudioDecoder::AudioDecoder(const std::filesystem::path& path, const media::ReadLimits& limits)
    : path_(path), limits_(limits) {
  av::quiet_logging();
  try {
    impl_ = std::make_unique<Impl>(path, limits);
  } catch (const av::Error& e) {
    if (e.code() == AVERROR_EXIT) throw_interrupted("cannot open " + path.string());
    throw;
  }
  AVFormatContext* format = impl_->format.get();
  const AVCodec* decoder = nullptr;
  const int index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
  if (index < 0) av::throw_error(index, "no audio stream in " + path.string());
  if (!decoder) av::throw_error(AVERROR_DECODER_NOT_FOUND, "no decoder for " + path.string());
  impl_->stream_index = index;
  AVStream* stream = format->streams[index];

  if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
    duration_ = std::chrono::milliseconds(format->duration / (AV_TIME_BASE / 1000));
  } else if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
    duration_ = std::chrono::milliseconds(
        av_rescale_q(stream->duration, stream->time_base, AVRational{1, 1000}));
  }

  impl_->codec.reset(avcodec_alloc_context3(decoder));
  if (!impl_->codec) av::throw_error(AVERROR(ENOMEM), "cannot decode " + path.string());
  int rc = avcodec_parameters_to_context(impl_->codec.get(), stream->codecpar);
  if (rc < 0) av::throw_error(rc, "cannot set up the decoder for " + path.string());
  // One thread: the enricher already runs one decode per core.
  impl_->codec->thread_count = 1;
  rc = avcodec_open2(impl_->codec.get(), decoder, nullptr);
  if (rc < 0)
    av::throw_error(
        rc, "cannot open the " + std::string(decoder->name) + " decoder for " + path.string());
}

AudioDecoder::~AudioDecoder() = default;

void AudioDecoder::throw_interrupted(const std::string& context) const {
  // FFmpeg's AVERROR_EXIT comes from the interrupt callback only: the stop token or the budget.
  if (limits_.stop.stop_requested()) throw DecodeCancelled(context + ": cancelled");
  throw av::Error(AVERROR_EXIT, context + ": " + media::budget_exceeded_reason(limits_.time_budget));
}

std::vector<float> AudioDecoder::decode(int sample_rate, std::size_t max_samples,
                                        std::stop_token stop) {
  Impl& impl = *impl_;
  std::vector<float> out;
  if (impl.codec->sample_rate > 0 && duration_) {
    const auto expected = static_cast<std::size_t>(duration_->count()) *
                              static_cast<std::size_t>(sample_rate) / 1000 +
                          4096;
    out.reserve(std::min(expected, max_samples));
  }

  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  // Converts `frame` (nullptr: flush) and appends to `out`.
  const auto convert = [&](const AVFrame* frame) {
    if (frame) {
      AVChannelLayout layout{};
      if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame->ch_layout.nb_channels == 0) {
        // Unknown speaker positions: assume the usual layout for the count, to downmix.
        av_channel_layout_default(
            &layout, std::max(frame->ch_layout.nb_channels, impl.codec->ch_layout.nb_channels));
      } else if (const int rc = av_channel_layout_copy(&layout, &frame->ch_layout); rc < 0) {
        av::throw_error(rc, "cannot decode " + path_.string());
      }
      if (layout.nb_channels <= 0) {
        av_channel_layout_uninit(&layout);
        throw av::Error(AVERROR_INVALIDDATA, "cannot decode " + path_.string() + ": no channels");
      }
      if (!impl.swr || impl.swr_rate != frame->sample_rate || impl.swr_format != frame->format ||
          av_channel_layout_compare(&impl.swr_layout, &layout) != 0) {
        // First frame, or the stream changed its parameters mid-way: a new resampler.
        SwrContext* swr = nullptr;
        int rc = swr_alloc_set_opts2(&swr, &mono, AV_SAMPLE_FMT_FLT, sample_rate, &layout,
                                     static_cast<AVSampleFormat>(frame->format), frame->sample_rate,
                                     0, nullptr);
        if (rc >= 0) rc = swr_init(swr);
        if (rc < 0) {
          swr_free(&swr);
          av_channel_layout_uninit(&layout);
          av::throw_error(rc, "cannot resample " + path_.string());
        }
        impl.swr.reset(swr);
        impl.swr_rate = frame->sample_rate;
        impl.swr_format = frame->format;
        av_channel_layout_uninit(&impl.swr_layout);
        impl.swr_layout = layout;  // takes ownership
      } else {
        av_channel_layout_uninit(&layout);
      }
    }
    if (!impl.swr) return;
    const int in_count = frame ? frame->nb_samples : 0;
    const int capacity = swr_get_out_samples(impl.swr.get(), in_count);
    if (capacity <= 0) return;
    const std::size_t old_size = out.size();
    out.resize(old_size + static_cast<std::size_t>(capacity));
    auto* destination = reinterpret_cast<std::uint8_t*>(out.data() + old_size);
    const int converted = swr_convert(
        impl.swr.get(), &destination, capacity,
        frame ? const_cast<const std::uint8_t**>(frame->extended_data) : nullptr, in_count);
    if (converted < 0) {
      out.resize(old_size);
      av::throw_error(converted, "cannot resample " + path_.string());
    }
    out.resize(old_size + static_cast<std::size_t>(converted));
  };

  int consecutive_errors = 0;
  // Receives every frame the decoder has ready.
  const auto drain = [&]() {
    for (;;) {
      const int rc = avcodec_receive_frame(impl.codec.get(), impl.frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) {
        if (++consecutive_errors > kMaxConsecutiveErrors) {
          av::throw_error(rc, "cannot decode " + path_.string());
        }
        continue;
      }
      consecutive_errors = 0;
      convert(impl.frame.get());
      av_frame_unref(impl.frame.get());
    }
  };

  AVFormatContext* format = impl.format.get();
  AVPacket* packet = impl.packet.get();
  while (out.size() < max_samples) {
    if (stop.stop_requested() || limits_.stop.stop_requested())
      throw DecodeCancelled("decoding " + path_.string() + " was cancelled");
    const int rc = av_read_frame(format, packet);
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      if (stop.stop_requested())
        throw DecodeCancelled("decoding " + path_.string() + " was cancelled");
      if (rc == AVERROR_EXIT) throw_interrupted("cannot read " + path_.string());
      av::throw_error(rc, "cannot read " + path_.string());
    }
    if (packet->stream_index != impl.stream_index) {
      av_packet_unref(packet);
      continue;
    }
    const int sent = avcodec_send_packet(impl.codec.get(), packet);
    av_packet_unref(packet);
    if (sent < 0 && sent != AVERROR(EAGAIN)) {
      // A damaged packet: skip it, as ffmpeg does, unless nothing decodes any more.
      if (++consecutive_errors > kMaxConsecutiveErrors) {
        av::throw_error(sent, "cannot decode " + path_.string());
      }
      continue;
    }
    drain();
  }
  if (out.size() < max_samples) {
    avcodec_send_packet(impl.codec.get(), nullptr);  // flush the decoder
    drain();
    convert(nullptr);  // and the resampler's delay
  }
  if (out.size() > max_samples) out.resize(max_samples);
  return out;
}

}  // namespace scanhub::embed
