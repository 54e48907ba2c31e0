#include "decode/tmk_frames.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "decode/av_ptr.h"
#include "decode/video_decoder.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace vhm {

// One 64x64 RGB24 picture, as the CLI's scale filter makes it.
class TmkFrameSampler::Scaler {
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
class TmkFrameSampler::RateSync {
 public:
  RateSync(bool variable_start, double frame_duration) : vscfr_(variable_start), duration_(frame_duration) {}

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

TmkFrameSampler::TmkFrameSampler(std::function<void(const uint8_t*)> on_frame)
    : on_frame_(std::move(on_frame)),
      scaler_(std::make_unique<Scaler>()),
      previous_rgb_(3 * kTmkFrameSide * kTmkFrameSide),
      current_rgb_(3 * kTmkFrameSide * kTmkFrameSide) {}

TmkFrameSampler::~TmkFrameSampler() { av_frame_free(&previous_); }

void TmkFrameSampler::start(const AVFormatContext* format, int stream_index) {
  const AVStream* stream = format->streams[stream_index];
  // The CLI's input ts_offset: timestamps start at the container's start time.
  const int64_t ts_offset = format->start_time == AV_NOPTS_VALUE ? 0 : -format->start_time;
  shift_ = av_rescale_q(ts_offset, AV_TIME_BASE_Q, stream->time_base);
  tb_num_ = stream->time_base.num;
  tb_den_ = stream->time_base.den;
  // The filter graph's frame rate (the buffer source's), as a frame's length at 15 fps,
  // capped at one output frame.
  const AVRational rate =
      av_guess_frame_rate(const_cast<AVFormatContext*>(format), const_cast<AVStream*>(stream), nullptr);
  double duration = 0;
  if (rate.num > 0 && rate.den > 0) duration = 1 / (av_q2d(rate) / kTmkFramesPerSecond);
  if (stream->start_time != AV_NOPTS_VALUE) duration = std::min(duration, 1.0);
  sync_ = std::make_unique<RateSync>(format->nb_streams == 1, duration);
  // reap_filters' float_pts: the pts rescaled to 1/15 with extra bits (below).
  extra_bits_ = std::clamp(29 - av_log2(kTmkFramesPerSecond), 0, 16);
}

Status TmkFrameSampler::emit(const AVFrame* frame, bool* scaled, std::vector<uint8_t>& rgb) {
  if (!*scaled) {
    VHM_RETURN_IF_ERROR(scaler_->scale(frame, rgb));
    *scaled = true;
  }
  on_frame_(rgb.data());
  ++stats_.emitted;
  return Status::ok();
}

Status TmkFrameSampler::add(const AVFrame* frame) {
  if (!sync_) return {StatusCode::kInternal, "TmkFrameSampler::add before start"};
  if (frame->hw_frames_ctx) return {StatusCode::kUnsupported, "TMK frames need frames decoded on the CPU"};
  ++stats_.decoded;
  const AVRational tb{tb_num_, tb_den_};
  const AVRational fine{1, kTmkFramesPerSecond << extra_bits_};
  const int64_t pts = frame->best_effort_timestamp == AV_NOPTS_VALUE ? 0 : frame->best_effort_timestamp + shift_;
  double float_pts = static_cast<double>(av_rescale_q(pts, tb, fine));
  float_pts /= 1 << extra_bits_;
  // Nudged off midpoints, as reap_filters does.
  float_pts += (float_pts > 0 ? 1 : float_pts < 0 ? -1 : 0) * 1.0 / (1 << 17);
  const double pkt_ticks = static_cast<double>(frame->pkt_duration) * av_q2d(tb) * kTmkFramesPerSecond;
  const auto counts = sync_->next(float_pts, pkt_ticks);
  bool current_scaled = false;
  for (int64_t i = 0; i < counts.total; ++i) {
    if (i < counts.previous && previous_) VHM_RETURN_IF_ERROR(emit(previous_, &previous_scaled_, previous_rgb_));
    else VHM_RETURN_IF_ERROR(emit(frame, &current_scaled, current_rgb_));
  }
  // This frame is the one the next duplication repeats.
  if (!previous_) previous_ = av_frame_alloc();
  if (!previous_) return {StatusCode::kInternal, "out of memory"};
  av_frame_unref(previous_);
  if (int rc = av_frame_ref(previous_, frame); rc < 0)
    return {StatusCode::kInternal, av::error_text("av_frame_ref", rc)};
  std::swap(previous_rgb_, current_rgb_);
  previous_scaled_ = current_scaled;
  return Status::ok();
}

Status TmkFrameSampler::finish() {
  if (!sync_ || !previous_) return Status::ok();
  for (int64_t i = 0, n = sync_->flush(); i < n; ++i)
    VHM_RETURN_IF_ERROR(emit(previous_, &previous_scaled_, previous_rgb_));
  av_frame_unref(previous_);
  return Status::ok();
}

Result<TmkFrameStats> decode_tmk_frames(const std::string& url,
                                        const std::function<void(const uint8_t* rgb64x64)>& on_frame,
                                        const MediaPolicy& media) {
  TmkFrameSampler sampler(on_frame);
  VideoDecoderOptions options;
  options.media = media;
  options.tmk_frames = &sampler;
  // No frame is wanted for PDQ: the decoder only feeds the sampler.
  options.want = [](int64_t) { return false; };
  auto decoder = VideoDecoder::open(url, options);
  if (!decoder) return decoder.status();
  DecodedFrame unused;
  for (;;) {
    auto more = (*decoder)->next(unused);
    if (!more) return more.status();
    if (!*more) break;
  }
  return sampler.stats();
}

}  // namespace vhm
