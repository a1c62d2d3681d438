#include "media/video_probe.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>
}

#include <array>
#include <system_error>

namespace scanhub::media {

namespace {

std::optional<std::string> tag(const AVStream* stream, const char* key) {
  const AVDictionaryEntry* entry = av_dict_get(stream->metadata, key, nullptr, 0);
  if (!entry || !entry->value || !*entry->value) return std::nullopt;
  return std::string(entry->value);
}

std::optional<std::string> profile_of(const AVCodecParameters* parameters) {
  if (parameters->profile == FF_PROFILE_UNKNOWN) return std::nullopt;
  const char* name = avcodec_profile_name(parameters->codec_id, parameters->profile);
  if (!name) return std::nullopt;
  return std::string(name);
}

std::optional<std::int64_t> positive(std::int64_t value) {
  if (value <= 0) return std::nullopt;
  return value;
}

std::optional<double> frame_rate_of(const AVStream* stream) {
  for (const AVRational rate : {stream->avg_frame_rate, stream->r_frame_rate}) {
    if (rate.num > 0 && rate.den > 0) return av_q2d(rate);
  }
  return std::nullopt;
}

std::optional<std::string> hdr_of(const AVStream* stream) {
  // The DOVI configuration record is how FFmpeg 5.1's demuxers (mp4 dvcC/dvvC, Matroska
  // BlockAdditionMapping) expose Dolby Vision; PQ and HLG are the HDR10 and HLG transfers.
  if (av_stream_get_side_data(stream, AV_PKT_DATA_DOVI_CONF, nullptr)) return "Dolby Vision";
  switch (stream->codecpar->color_trc) {
    case AVCOL_TRC_SMPTE2084:
      return "HDR10";
    case AVCOL_TRC_ARIB_STD_B67:
      return "HLG";
    default:
      return std::nullopt;
  }
}

std::optional<std::string> channel_layout_of(const AVCodecParameters* parameters) {
  // An unspecified order only knows a count, which `channels` already says.
  if (parameters->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) return std::nullopt;
  std::array<char, 128> buffer{};
  if (av_channel_layout_describe(&parameters->ch_layout, buffer.data(), buffer.size()) < 0) {
    return std::nullopt;
  }
  return std::string(buffer.data());
}

VideoStreamInfo video_stream(const AVStream* stream) {
  const AVCodecParameters* parameters = stream->codecpar;
  VideoStreamInfo info;
  info.index = stream->index;
  info.codec = avcodec_get_name(parameters->codec_id);
  info.profile = profile_of(parameters);
  info.width = parameters->width;
  info.height = parameters->height;
  info.frame_rate = frame_rate_of(stream);
  if (const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(parameters->format))) {
    info.pixel_format = name;
  }
  info.bit_rate = positive(parameters->bit_rate);
  info.hdr = hdr_of(stream);
  info.language = tag(stream, "language");
  info.is_default = stream->disposition & AV_DISPOSITION_DEFAULT;
  return info;
}

AudioStreamInfo audio_stream(const AVStream* stream) {
  const AVCodecParameters* parameters = stream->codecpar;
  AudioStreamInfo info;
  info.index = stream->index;
  info.codec = avcodec_get_name(parameters->codec_id);
  info.profile = profile_of(parameters);
  info.channels = parameters->ch_layout.nb_channels;
  info.channel_layout = channel_layout_of(parameters);
  info.sample_rate = parameters->sample_rate;
  info.bit_rate = positive(parameters->bit_rate);
  info.language = tag(stream, "language");
  info.title = tag(stream, "title");
  info.is_default = stream->disposition & AV_DISPOSITION_DEFAULT;
  info.is_forced = stream->disposition & AV_DISPOSITION_FORCED;
  return info;
}

SubtitleStreamInfo subtitle_stream(const AVStream* stream) {
  SubtitleStreamInfo info;
  info.index = stream->index;
  info.codec = avcodec_get_name(stream->codecpar->codec_id);
  info.language = tag(stream, "language");
  info.title = tag(stream, "title");
  info.is_default = stream->disposition & AV_DISPOSITION_DEFAULT;
  info.is_forced = stream->disposition & AV_DISPOSITION_FORCED;
  info.is_hearing_impaired = stream->disposition & AV_DISPOSITION_HEARING_IMPAIRED;
  return info;
}

}  // namespace

VideoInfo probe_video(const std::filesystem::path& path, const av::ProbeLimits& limits) {
  av::quiet_logging();
  // A FIFO or device named .mkv would block the open forever; only regular files are media.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw ReadError((ec ? "cannot open " : "not a regular file: ") + path.string() +
                    (ec ? ": " + ec.message() : ""));
  }
  std::optional<av::FormatContext> context;
  try {
    context.emplace(path, limits);
  } catch (const av::Error& e) {
    // FFmpeg's "Immediate exit requested" is our interrupt callback: the stop or the budget.
    if (e.code() == AVERROR_EXIT && limits.stop.stop_requested()) {
      throw ReadCancelled("probing " + path.string() + " was cancelled");
    }
    if (e.code() == AVERROR_EXIT) {
      throw ReadError("cannot probe " + path.string() + ": " + budget_exceeded_reason(limits.time_limit));
    }
    throw ReadError(e.what());
  }
  const AVFormatContext* format = context->get();

  VideoInfo info;
  info.container = format->iformat->name;
  if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
    info.duration_ms = (format->duration + 500) / 1000;  // AV_TIME_BASE is microseconds
  }
  info.bit_rate = positive(format->bit_rate);

  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVStream* stream = format->streams[i];
    switch (stream->codecpar->codec_type) {
      case AVMEDIA_TYPE_VIDEO:
        // Cover art in a music file or an mp4 is a one-frame "video" stream, not a video.
        if (!(stream->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
          info.video.push_back(video_stream(stream));
        }
        break;
      case AVMEDIA_TYPE_AUDIO:
        info.audio.push_back(audio_stream(stream));
        break;
      case AVMEDIA_TYPE_SUBTITLE:
        info.subtitles.push_back(subtitle_stream(stream));
        break;
      default:  // data, attachments (Matroska fonts)
        break;
    }
  }
  if (info.video.empty()) throw ReadError("no video stream in " + path.string());
  return info;
}

}  // namespace scanhub::media
