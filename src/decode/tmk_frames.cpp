#include "decode/tmk_frames.h"

#include <cmath>
#include <string>
#include <vector>

#include "decode/av_ptr.h"
#include "decode/media_policy.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace vhm {
namespace {

// A container that asks to open another file or URL (a playlist, a reference to an
// external track) is refused: an input is decoded from its own bytes only. The one open
// allowed is the input itself, through FFmpeg's own opener.
struct OpenGuard {
  int (*default_open)(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) = nullptr;
  std::string path;
  bool opened = false;
};

int open_only_the_input(AVFormatContext* s, AVIOContext** pb, const char* url, int flags, AVDictionary** options) {
  auto* guard = static_cast<OpenGuard*>(s->opaque);
  if (!guard || guard->opened || !url || guard->path != url) return AVERROR(EPERM);
  guard->opened = true;
  return guard->default_open(s, pb, url, flags, options);
}

Status av_failure(const char* what, int rc, const std::string& path) {
  return {StatusCode::kCorrupt, av::error_text(what, rc), path};
}

// One 64x64 RGB24 picture, as the CLI's scale filter makes it.
class TmkScaler {
 public:
  Status scale(const AVFrame* f, std::vector<uint8_t>& rgb) {
    if (!sws_ || f->width != width_ || f->height != height_ || f->format != format_ || f->colorspace != colorspace_ ||
        f->color_range != range_) {
      sws_.reset(sws_alloc_context());
      if (!sws_) return {StatusCode::kInternal, "sws_alloc_context failed"};
      SwsContext* s = sws_.get();
      av_opt_set_int(s, "sws_flags", SWS_BICUBIC, 0);
      av_opt_set_int(s, "srcw", f->width, 0);
      av_opt_set_int(s, "srch", f->height, 0);
      av_opt_set_int(s, "src_format", f->format, 0);
      av_opt_set_int(s, "dstw", kTmkFrameSide, 0);
      av_opt_set_int(s, "dsth", kTmkFrameSide, 0);
      av_opt_set_int(s, "dst_format", AV_PIX_FMT_RGB24, 0);
      if (int rc = sws_init_context(s, nullptr, nullptr); rc < 0)
        return {StatusCode::kUnsupported, av::error_text("sws_init_context", rc)};
      // The scale filter's colour details: matrix from the frame (auto), the same matrix
      // out, input range from the frame when it is tagged.
      int* inv_table = nullptr;
      int* table = nullptr;
      int in_full = 0, out_full = 0, brightness = 0, contrast = 0, saturation = 0;
      sws_getColorspaceDetails(s, &inv_table, &in_full, &table, &out_full, &brightness, &contrast, &saturation);
      const int* matrix = sws_getCoefficients(f->colorspace);
      if (f->color_range != AVCOL_RANGE_UNSPECIFIED) in_full = f->color_range == AVCOL_RANGE_JPEG;
      sws_setColorspaceDetails(s, matrix, in_full, matrix, out_full, brightness, contrast, saturation);
      width_ = f->width;
      height_ = f->height;
      format_ = f->format;
      colorspace_ = f->colorspace;
      range_ = f->color_range;
    }
    uint8_t* dst[4] = {rgb.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {3 * kTmkFrameSide, 0, 0, 0};
    sws_scale(sws_.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);
    return Status::ok();
  }

 private:
  av::SwsPtr sws_;
  int width_ = 0, height_ = 0, format_ = -1;
  AVColorSpace colorspace_ = AVCOL_SPC_UNSPECIFIED;
  AVColorRange range_ = AVCOL_RANGE_UNSPECIFIED;
};

// do_video_out's frame-rate conversion for one output stream at 15 fps (encoder time
// base 1/15), fed the frames as they leave the filter graph.
class ConstantRateSync {
 public:
  ConstantRateSync(bool variable_start, double frame_duration) : vscfr_(variable_start), duration_(frame_duration) {}

  // How many times to emit the previous picture, then how many in all (this one after).
  struct Counts {
    int64_t previous = 0;
    int64_t total = 0;
  };

  Counts next(double sync_ipts, double pkt_duration_in_output_ticks) {
    double duration = duration_;
    if (std::lrintf(static_cast<float>(pkt_duration_in_output_ticks)) > 0)
      duration = std::lrintf(static_cast<float>(pkt_duration_in_output_ticks));
    double delta0 = sync_ipts - static_cast<double>(sync_opts_);
    double delta = delta0 + duration;
    Counts c{0, 1};
    if (delta0 < 0 && delta > 0) {
      sync_ipts = static_cast<double>(sync_opts_);
      duration += delta0;
      delta0 = 0;
    }
    if (vscfr_ && frame_number_ == 0 && delta0 >= 0.5) {
      delta = duration;
      delta0 = 0;
      sync_opts_ = std::lrint(sync_ipts);
    }
    if (delta < -1.1) {
      c.total = 0;
    } else if (delta > 1.1) {
      c.total = std::lrintf(static_cast<float>(delta));
      if (delta0 > 1.1) c.previous = std::lrintf(static_cast<float>(delta0 - 0.6));
    }
    c.previous = std::min(c.previous, c.total);
    remember(c.previous);
    advance(c.total);
    return c;
  }

  // The end of the stream: the last picture, repeated as the last three frames' median.
  int64_t flush() {
    const int64_t a = last_previous_[0], b = last_previous_[1], c = last_previous_[2];
    const int64_t n = std::max(std::min(a, b), std::min(std::max(a, b), c));
    remember(n);
    advance(n);
    return n;
  }

 private:
  void remember(int64_t previous) {
    last_previous_[2] = last_previous_[1];
    last_previous_[1] = last_previous_[0];
    last_previous_[0] = previous;
  }
  void advance(int64_t n) {
    sync_opts_ += n;
    frame_number_ += n;
  }

  bool vscfr_;
  double duration_;
  int64_t sync_opts_ = 0;
  int64_t frame_number_ = 0;
  int64_t last_previous_[3] = {0, 0, 0};
};

}  // namespace

Result<TmkFrameStats> decode_tmk_frames(const std::string& path,
                                        const std::function<void(const uint8_t* rgb64x64)>& on_frame) {
  // The same guards as VideoDecoder's: local files only, vhm's demuxer allow-list, no
  // nested opens, and the pixel limit before any frame is allocated.
  const MediaLimits limits;
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return Status(StatusCode::kInternal, "out of memory", path);
  raw->format_whitelist = av_strdup(std::string(kVideoDemuxers).c_str());
  raw->protocol_whitelist = av_strdup("file");
  OpenGuard guard{raw->io_open, path};
  raw->opaque = &guard;
  raw->io_open = &open_only_the_input;
  if (int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); rc < 0)  // frees raw on failure
    return Status(StatusCode::kNotFound, av::error_text("avformat_open_input", rc), path);
  av::FormatContextPtr format(raw);
  if (int rc = avformat_find_stream_info(format.get(), nullptr); rc < 0)
    return av_failure("avformat_find_stream_info", rc, path);
  const AVCodec* codec = nullptr;
  const int stream_index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream_index < 0) return Status(StatusCode::kUnsupported, "no video stream", path);
  AVStream* stream = format->streams[stream_index];
  av::CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) return Status(StatusCode::kInternal, "avcodec_alloc_context3 failed", path);
  avcodec_parameters_to_context(decoder.get(), stream->codecpar);
  decoder->pkt_timebase = stream->time_base;
  decoder->thread_count = 0;
  AVDictionary* codec_options = nullptr;
  av_dict_set(&codec_options, "max_pixels", std::to_string(limits.max_pixels).c_str(), 0);
  const int open_rc = avcodec_open2(decoder.get(), codec, &codec_options);
  av_dict_free(&codec_options);
  if (open_rc < 0) return av_failure("avcodec_open2", open_rc, path);

  // The CLI's input ts_offset: timestamps start at the container's start time.
  const int64_t ts_offset = format->start_time == AV_NOPTS_VALUE ? 0 : -format->start_time;
  const int64_t shift = av_rescale_q(ts_offset, AV_TIME_BASE_Q, stream->time_base);
  // The filter graph's frame rate (the buffer source's), as a frame's length at 15 fps,
  // capped at one output frame.
  const AVRational rate = av_guess_frame_rate(format.get(), stream, nullptr);
  double duration = 0;
  if (rate.num > 0 && rate.den > 0) duration = 1 / (av_q2d(rate) / kTmkFramesPerSecond);
  if (stream->start_time != AV_NOPTS_VALUE) duration = std::min(duration, 1.0);
  ConstantRateSync sync(format->nb_streams == 1, duration);

  const AVRational tb = stream->time_base;
  // reap_filters' float_pts: the pts rescaled to 1/15 with extra bits, nudged off midpoints.
  AVRational fine{1, kTmkFramesPerSecond};
  const int extra_bits = std::clamp(29 - av_log2(fine.den), 0, 16);
  fine.den <<= extra_bits;

  TmkScaler scaler;
  std::vector<uint8_t> current(3 * kTmkFrameSide * kTmkFrameSide), previous;
  TmkFrameStats stats;
  av::PacketPtr packet(av_packet_alloc());
  av::FramePtr frame(av_frame_alloc());
  bool draining = false;
  for (;;) {
    int rc = avcodec_receive_frame(decoder.get(), frame.get());
    if (rc == AVERROR(EAGAIN)) {
      if (draining) break;
      rc = av_read_frame(format.get(), packet.get());
      if (rc == AVERROR_EOF) {
        draining = true;
        avcodec_send_packet(decoder.get(), nullptr);
        continue;
      }
      if (rc < 0) return av_failure("av_read_frame", rc, path);
      if (packet->stream_index == stream_index) {
        if (packet->pts != AV_NOPTS_VALUE) packet->pts += shift;
        if (packet->dts != AV_NOPTS_VALUE) packet->dts += shift;
        avcodec_send_packet(decoder.get(), packet.get());  // damaged packets are skipped, as the CLI does
      }
      av_packet_unref(packet.get());
      continue;
    }
    if (rc == AVERROR_EOF) break;
    if (rc < 0) continue;  // a damaged frame: the CLI goes on
    ++stats.decoded;
    if (Status s = scaler.scale(frame.get(), current); !s.is_ok()) return s.with_subject(path);
    const int64_t pts = frame->best_effort_timestamp;
    double float_pts = static_cast<double>(av_rescale_q(pts == AV_NOPTS_VALUE ? 0 : pts, tb, fine));
    float_pts /= 1 << extra_bits;
    float_pts += (float_pts > 0 ? 1 : float_pts < 0 ? -1 : 0) * 1.0 / (1 << 17);
    const double pkt_ticks = frame->pkt_duration * av_q2d(tb) * kTmkFramesPerSecond;
    const auto counts = sync.next(float_pts, pkt_ticks);
    for (int64_t i = 0; i < counts.total; ++i) {
      on_frame(i < counts.previous && !previous.empty() ? previous.data() : current.data());
      ++stats.emitted;
    }
    previous = current;
    av_frame_unref(frame.get());
  }
  if (!previous.empty()) {
    for (int64_t i = 0, n = sync.flush(); i < n; ++i) {
      on_frame(previous.data());
      ++stats.emitted;
    }
  }
  return stats;
}

}  // namespace vhm
