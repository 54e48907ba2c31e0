#include "decode/video_decoder.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <string_view>

#include "decode/tmk_frames.h"

// libavutil/hwcontext_cuda.h includes <cuda.h> unless CUDA_VERSION is defined, and needs
// from it only the two opaque handle types, declared here as cuda.h declares them, so
// this file builds without the CUDA toolkit (no CUDA call is made here).
#ifndef CUDA_VERSION
#define CUDA_VERSION 0
typedef struct CUctx_st* CUcontext;
typedef struct CUstream_st* CUstream;
#endif

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>
#include <libavutil/pixdesc.h>
}

namespace vhm {
namespace {

constexpr int kMaxConsecutiveErrors = 1000;

// FFmpeg's demuxers for single still images: a still image is not a video (vhm hashes
// those on its image path), so a PNG renamed .mp4 is refused rather than hashed.
bool is_still_image_demuxer(const char* name) {
  const std::string n = name ? name : "";
  return n.ends_with("_pipe") || n == "image2";
}

bool is_frame_key(const AVFrame* f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
  return (f->flags & AV_FRAME_FLAG_KEY) != 0;
#else
  return f->key_frame != 0;
#endif
}

// "no decoder for codec X", naming the container's tag when FFmpeg does not know the codec.
Status no_decoder(const AVCodecParameters* p, const std::string& url) {
  std::string what = std::string("no decoder for codec ") + avcodec_get_name(p->codec_id);
  if (p->codec_tag != 0) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {0};
    av_fourcc_make_string(tag, p->codec_tag);
    what += std::string(" (tag '") + tag + "')";
  }
  return {StatusCode::kUnsupported, what, url};
}

double to_seconds(int64_t ts, AVRational tb) { return static_cast<double>(ts) * av_q2d(tb); }

std::string pix_fmt_name(int format) {
  const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(format));
  return name ? name : "format " + std::to_string(format);
}

// Whether frames of `format` keep 8-bit luma, one byte per pixel, in plane 0 (the fast
// path's requirement); else `why` says what they are. `limited` receives how the exact
// path's swscale reads that luma: limited range (16..235) for YUV formats, full range for
// grey and the yuvj* formats (swscale's own rule; it ignores the frame's range tag
// because the reference sets no colour details).
bool luma_plane_format(int format, bool* limited, std::string* why) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(format));
  auto refuse = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (!d) return refuse("an unknown pixel format");
  if (d->flags & AV_PIX_FMT_FLAG_HWACCEL) return refuse("a hardware surface");
  if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_BAYER)) return refuse("RGB, not YUV");
  if (d->flags & AV_PIX_FMT_FLAG_PAL) return refuse("paletted");
  if (d->flags & (AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_FLOAT)) return refuse("not 8-bit luma");
  if (d->nb_components < 1) return refuse("without components");
  const AVComponentDescriptor& y = d->comp[0];
  if (y.depth != 8) return refuse("not 8-bit luma");
  if (y.plane != 0 || y.step != 1 || y.offset != 0 || y.shift != 0) return refuse("packed YUV, no luma plane");
  if (limited) {
    const bool grey = d->nb_components <= 2;  // gray8, ya8
    const bool jpeg = std::string_view(d->name).starts_with("yuvj");
    *limited = !grey && !jpeg;
  }
  return true;
}

// FFmpeg before lavc 59.55 (AV_HWACCEL_FLAG_UNSAFE_OUTPUT, FFmpeg 6.0) returns NVDEC's
// decode surfaces themselves as frames (mapped, no copy): a frame held keeps a surface
// busy, and the decoder has dpb + 5 + extra_hw_frames of them, more than 32 being
// liable to fail. Newer FFmpeg copies each surface into a frame of an unbounded pool.
#ifdef AV_HWACCEL_FLAG_UNSAFE_OUTPUT
constexpr bool kNvdecFramesAreSurfaces = false;
#else
constexpr bool kNvdecFramesAreSurfaces = true;
#endif

// Process-wide: the CUDA hw config of `codec`, when this FFmpeg has one.
bool codec_has_cuda(const AVCodec* codec) {
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* c = avcodec_get_hw_config(codec, i);
    if (!c) return false;
    if ((c->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && c->device_type == AV_HWDEVICE_TYPE_CUDA &&
        c->pix_fmt == AV_PIX_FMT_CUDA)
      return true;
  }
}

// One limited-range luma byte stretched to full range (see take_luma).
inline uint8_t expand_limited_luma(uint8_t y) {
  const uint32_t x = static_cast<uint32_t>(std::clamp<int>(y, 16, 235) - 16);
  return static_cast<uint8_t>((x * 19077u + 8192u) >> 14);
}

}  // namespace

uint8_t expand_limited_range(uint8_t y) { return expand_limited_luma(y); }

const std::array<uint8_t, 256>& limited_to_full_range_table() {
  static const std::array<uint8_t, 256> kTable = [] {
    std::array<uint8_t, 256> t{};
    for (int y = 0; y < 256; ++y) {
      const long v = std::lround((y - 16) * 255.0 / 219.0);
      t[y] = static_cast<uint8_t>(std::clamp<long>(v, 0, 255));
    }
    return t;
  }();
  return kTable;
}

VideoDecoder::~VideoDecoder() = default;

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::open(const std::string& url, const VideoDecoderOptions& options) {
  av::install_log_capture();
  av::take_last_log_error();  // forget what an earlier input left on this thread
  auto source = InputSource::open(url, options.media);
  if (!source) return source.status().with_subject(url);
  std::unique_ptr<VideoDecoder> dec(new VideoDecoder());
  dec->source_ = std::move(source).value();
  return open_source(std::move(dec), options);
}

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::open_memory(std::span<const uint8_t> bytes, const std::string& name,
                                                                const VideoDecoderOptions& options) {
  if (bytes.empty()) return Status(StatusCode::kCorrupt, "empty input (0 bytes)", name);
  av::install_log_capture();
  av::take_last_log_error();
  auto source = InputSource::from_memory(bytes, name, options.media.limits);
  if (!source) return source.status();
  std::unique_ptr<VideoDecoder> dec(new VideoDecoder());
  dec->source_ = std::move(source).value();
  return open_source(std::move(dec), options);
}

// Every nested open a demuxer asks for (a playlist's entries, a concat list's files,
// an image sequence's next picture, a reference to an external track): refused, and
// remembered for the error. An input is decoded from its own bytes only.
int VideoDecoder::refuse_nested_open(AVFormatContext* s, AVIOContext**, const char* url, int, AVDictionary**) {
  auto* self = static_cast<VideoDecoder*>(s->opaque);
  if (self && self->refused_open_.empty()) self->refused_open_ = url ? url : "";
  return AVERROR(EPERM);
}

// Probes the source's format, refuses demuxers off the allow-list before they read
// anything (a playlist's header already opens its entries), and opens the container
// over the source's I/O context.
Result<std::unique_ptr<VideoDecoder>> VideoDecoder::open_source(std::unique_ptr<VideoDecoder> dec,
                                                                const VideoDecoderOptions& options) {
  InputSource& source = *dec->source_;
  const std::string& url = source.name();
  const AVInputFormat* format = nullptr;
  // The local path is the probe's hint (an elementary stream's extension), as FFmpeg's
  // own open would give it; memory and pipes are probed by their bytes alone.
  const std::string hint = source.local_path();
  if (int rc = av_probe_input_buffer2(source.io(), &format, hint.empty() ? nullptr : hint.c_str(), nullptr, 0, 0);
      rc < 0) {
    if (Status b = source.budget_status(); !b.is_ok()) return b;
    if (rc == AVERROR_INVALIDDATA)
      return Status(StatusCode::kUnsupported,
                    "not a recognised video format (or a damaged or truncated file): " + av::error_text("probing", rc),
                    url);
    return Status(StatusCode::kIoError, av::error_text("reading", rc), url);
  }
  const std::string demuxer = format->name ? format->name : "";
  if (is_still_image_demuxer(demuxer.c_str()))
    return Status(StatusCode::kUnsupported, "not a video: FFmpeg reads it as a still image (" + demuxer + ")", url);
  if (!demuxer_allowed(demuxer, kVideoDemuxers))
    return Status(StatusCode::kUnsupported,
                  "format '" + demuxer +
                      "' is not one vhm decodes: an input is decoded from its own bytes, and playlists, concat "
                      "lists, image sequences and device formats would make FFmpeg open other files or URLs",
                  url);
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return Status(StatusCode::kInternal, "out of memory", url);
  raw->pb = source.io();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->interrupt_callback = source.interrupt_callback();
  raw->opaque = dec.get();
  raw->io_open = &VideoDecoder::refuse_nested_open;
  raw->format_whitelist = av_strdup(std::string(kVideoDemuxers).c_str());
  if (int rc = avformat_open_input(&raw, url.c_str(), format, nullptr); rc < 0) {  // frees raw on failure
    if (Status b = source.budget_status(); !b.is_ok()) return b;
    if (!dec->refused_open_.empty())
      return Status(StatusCode::kPermissionDenied,
                    "the input refers to another file or URL (" + dec->refused_open_ +
                        "), which vhm does not open: an input is decoded from its own bytes only",
                    url);
    return Status(StatusCode::kUnsupported,
                  "not a recognised video format (or a damaged or truncated file): " + av::error_text("opening", rc),
                  url);
  }
  dec->format_.reset(raw);
  return open_impl(std::move(dec), url, options);
}

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::open_impl(std::unique_ptr<VideoDecoder> dec, const std::string& url,
                                                              const VideoDecoderOptions& options) {
  dec->options_ = options;
  if (options.tmk_frames && options.hardware != HardwareDecode::kNone)
    return Status(StatusCode::kInvalidArgument,
                  "TMK frames need every frame decoded on the CPU (not hardware decoding)", url);
  AVFormatContext* fmt = dec->format_.get();
  VideoStreamInfo& info = dec->info_;
  info.url = url;
  info.container = fmt->iformat && fmt->iformat->name ? fmt->iformat->name : "";
  // What the container's header claims is checked before any decoder sees it; the
  // decoders FFmpeg opens to probe the streams allocate frames too, and the pixel limit
  // holds for them as for ours (a header claiming 65500x65500 allocates nothing).
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVCodecParameters* p = fmt->streams[i]->codecpar;
    if (p->codec_type != AVMEDIA_TYPE_VIDEO || p->width <= 0 || p->height <= 0) continue;
    info.width = p->width;
    info.height = p->height;
    if (Status s = dec->limit_status(-1); !s.is_ok()) return s;
  }
  const std::string max_pixels = std::to_string(options.media.limits.max_pixels);
  std::vector<AVDictionary*> stream_options(fmt->nb_streams, nullptr);
  for (AVDictionary*& d : stream_options) av_dict_set(&d, "max_pixels", max_pixels.c_str(), 0);
  const int info_rc = avformat_find_stream_info(fmt, stream_options.empty() ? nullptr : stream_options.data());
  for (AVDictionary*& d : stream_options) av_dict_free(&d);
  if (info_rc < 0) {
    if (Status b = dec->source_->budget_status(); !b.is_ok()) return b;
    return Status(StatusCode::kCorrupt, av::error_text("reading stream info", info_rc), url);
  }

  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream == AVERROR_STREAM_NOT_FOUND || stream < 0) {
    if (stream == AVERROR_DECODER_NOT_FOUND) {
      // A video stream exists but nothing here decodes it: name the codec.
      for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVCodecParameters* p = fmt->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO) return no_decoder(p, url);
      }
    }
    return Status(StatusCode::kUnsupported,
                  "no video stream (the file holds " + std::to_string(fmt->nb_streams) + " other stream" +
                      (fmt->nb_streams == 1 ? "" : "s") + ")",
                  url);
  }
  AVStream* st = fmt->streams[stream];
  if (!codec) return no_decoder(st->codecpar, url);
  // Let the demuxer drop every other stream's packets unread where it can.
  for (unsigned i = 0; i < fmt->nb_streams; ++i)
    if (static_cast<int>(i) != stream) fmt->streams[i]->discard = AVDISCARD_ALL;

  info.stream_index = stream;
  info.codec = codec->name;
  if (options.tmk_frames) options.tmk_frames->start(fmt, stream);
  info.width = st->codecpar->width;
  info.height = st->codecpar->height;
  if (info.width <= 0 || info.height <= 0)
    return Status(
        StatusCode::kCorrupt,
        "video stream has no frame size (" + std::to_string(info.width) + "x" + std::to_string(info.height) + ")", url);
  if (Status s = dec->limit_status(-1); !s.is_ok()) return s;
  if (const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(st->codecpar->format))) info.pixel_format = pf;

  // The reference's frame rate: avg_frame_rate, or r_frame_rate when that is 0.
  AVRational rate = st->avg_frame_rate;
  if (rate.num == 0 || rate.den == 0) rate = st->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) {
    info.fps_num = rate.num;
    info.fps_den = rate.den;
    info.fps = static_cast<double>(rate.num) / static_cast<double>(rate.den);
  }
  dec->time_base_ = st->time_base;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    info.duration_seconds = to_seconds(st->duration, st->time_base);
  else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info.duration_seconds = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  if (st->nb_frames > 0) {
    info.frame_count = st->nb_frames;
    info.frame_count_exact = true;
    dec->listed_frames_ = st->nb_frames;
  } else if (info.duration_seconds > 0 && info.fps > 0) {
    info.frame_count = std::llround(info.duration_seconds * info.fps);
  }

  dec->codec_.reset(avcodec_alloc_context3(codec));
  if (!dec->codec_) return Status(StatusCode::kInternal, "out of memory", url);
  AVCodecContext* ctx = dec->codec_.get();
  if (int rc = avcodec_parameters_to_context(ctx, st->codecpar); rc < 0)
    return Status(StatusCode::kInternal, av::error_text("avcodec_parameters_to_context", rc), url);
  ctx->pkt_timebase = st->time_base;
  ctx->max_pixels = options.media.limits.max_pixels;
  ctx->thread_count = std::max(options.threads, 0);
  ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  // TMK needs every frame: then the key frames are picked from all of them.
  if (options.keyframes_only && !options.tmk_frames) ctx->skip_frame = AVDISCARD_NONKEY;
  if (options.hardware == HardwareDecode::kCuda) {
    if (Status s = dec->open_hardware(codec); !s.is_ok()) return s.with_subject(url);
  }
  if (int rc = avcodec_open2(ctx, codec, nullptr); rc < 0)
    return Status(StatusCode::kUnsupported,
                  av::error_text((std::string("opening the ") + codec->name + " decoder").c_str(), rc), url);
  dec->packet_.reset(av_packet_alloc());
  dec->frame_.reset(av_frame_alloc());
  if (!dec->packet_ || !dec->frame_) return Status(StatusCode::kInternal, "out of memory", url);
  return dec;
}

// Sets up NVDEC decoding on the codec context (before avcodec_open2): FFmpeg's CUDA
// device on the primary context of options_.cuda_device, and a get_format that picks
// AV_PIX_FMT_CUDA. Every reason it cannot be done is a kUnavailable that names it.
Status VideoDecoder::open_hardware(const AVCodec* codec) {
  if (options_.pixels != PixelPath::kFast)
    return {StatusCode::kInvalidArgument, "hardware decoding gives fast pixels only (set pixels to kFast)"};
  const AVCodecParameters* par = format_->streams[info_.stream_index]->codecpar;
  std::string why;
  if (!luma_plane_format(par->format, nullptr, &why))
    return {StatusCode::kUnavailable,
            "GPU decoding needs 8-bit YUV video; this stream is " + pix_fmt_name(par->format) + " (" + why + ")"};
  if (av_hwdevice_find_type_by_name("cuda") != AV_HWDEVICE_TYPE_CUDA)
    return {StatusCode::kUnavailable,
            std::string("GPU decoding: this FFmpeg (") + av_version_info() + ") was built without CUDA"};
  if (!codec_has_cuda(codec))
    return {StatusCode::kUnavailable, std::string("GPU decoding: this FFmpeg cannot decode ") + codec->name +
                                          " on NVDEC (the " + codec->name + " decoder has no CUDA hardware support)"};
  AVBufferRef* device = nullptr;
  const std::string ordinal = std::to_string(options_.cuda_device);
  if (int rc =
          av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_CUDA, ordinal.c_str(), nullptr, AV_CUDA_USE_PRIMARY_CONTEXT);
      rc < 0)
    return {StatusCode::kUnavailable, "GPU decoding: FFmpeg could not open CUDA device " + ordinal +
                                          " (no NVIDIA driver, i.e. no libcuda.so.1, or no such device): " +
                                          av::error_text("av_hwdevice_ctx_create", rc)};
  hw_device_.reset(device);
  AVCodecContext* ctx = codec_.get();
  ctx->hw_device_ctx = av_buffer_ref(device);
  if (!ctx->hw_device_ctx) return {StatusCode::kInternal, "out of memory"};
  ctx->opaque = this;
  ctx->get_format = &VideoDecoder::choose_format;
  // NVDEC does the decoding; frame threads would only multiply the surfaces in flight.
  ctx->thread_count = 1;
  ctx->thread_type = 0;
  if (options_.hardware_frames_held < 0 || options_.hardware_frames_held > max_hardware_frames_held())
    return {StatusCode::kInvalidArgument, "cannot hold " + std::to_string(options_.hardware_frames_held) +
                                              " NVDEC frames at once (at most " +
                                              std::to_string(max_hardware_frames_held()) + ")"};
  if (kNvdecFramesAreSurfaces) ctx->extra_hw_frames = options_.hardware_frames_held;
  return Status::ok();
}

int VideoDecoder::max_hardware_frames_held() { return kNvdecFramesAreSurfaces ? 12 : INT_MAX; }

const void* VideoDecoder::cuda_context() const {
  if (!hw_device_) return nullptr;
  const auto* device = reinterpret_cast<const AVHWDeviceContext*>(hw_device_->data);
  const auto* cuda = static_cast<const AVCUDADeviceContext*>(device->hwctx);
  return cuda ? static_cast<const void*>(cuda->cuda_ctx) : nullptr;
}

// get_format: AV_PIX_FMT_CUDA when offered; else (NVDEC refused the stream, e.g. its
// profile, or its initialisation failed and FFmpeg asks again without it) the first
// software format, remembering why for next().
enum AVPixelFormat VideoDecoder::choose_format(AVCodecContext* ctx, const enum AVPixelFormat* formats) {
  auto* self = static_cast<VideoDecoder*>(ctx->opaque);
  std::string offered;
  enum AVPixelFormat software = AV_PIX_FMT_NONE;
  for (const enum AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == AV_PIX_FMT_CUDA && !self->hw_fell_back_) return *p;
    offered += (offered.empty() ? "" : ", ") + pix_fmt_name(*p);
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(*p);
    if (software == AV_PIX_FMT_NONE && d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL)) software = *p;
  }
  if (!self->hw_fell_back_) {
    self->hw_fell_back_ = true;
    self->hw_fallback_reason_ = "NVDEC cannot decode this " + self->info_.codec + " stream (" +
                                pix_fmt_name(ctx->sw_pix_fmt) + ", profile " + std::to_string(ctx->profile) +
                                "; the decoder offered " + offered + ")";
  }
  return software;
}

// Reads packets until one of the video stream has been sent to the decoder, or sends
// the end-of-stream (flush) packet when the input ends. Other streams' packets are
// dropped. The flush happens whichever stream the video is; the reference flushes
// only when the video is stream 0 (see hash/video_hasher.h).
Status VideoDecoder::read_and_send() {
  AVFormatContext* fmt = format_.get();
  AVPacket* pkt = packet_.get();
  while (true) {
    const int rc = av_read_frame(fmt, pkt);
    if (rc < 0) {
      if (Status b = source_->budget_status(); !b.is_ok()) read_error_ = b;
      else if (rc != AVERROR_EOF)
        read_error_ =
            Status(StatusCode::kCorrupt,
                   av::error_text(("reading after " + std::to_string(packets_read_) + " video packets").c_str(), rc),
                   info_.url);
      avcodec_send_packet(codec_.get(), nullptr);
      flushed_ = true;
      return Status::ok();
    }
    if (pkt->stream_index != info_.stream_index) {
      av_packet_unref(pkt);
      continue;
    }
    ++packets_read_;
    // Keyframes mode: what numbering each key frame as every-frame mode would needs
    // (see keyframe_index). Packets the demuxer marks discard (e.g. before the start of
    // an edit list) never become visible frames and are left out.
    if (options_.keyframes_only && !(pkt->flags & AV_PKT_FLAG_DISCARD)) {
      if (pkt->pts == AV_NOPTS_VALUE) {
        packet_pts_complete_ = false;
      } else {
        // Packets arrive in decode order: pts is nearly sorted, so this inserts near the end.
        packet_pts_.insert(std::upper_bound(packet_pts_.begin(), packet_pts_.end(), pkt->pts), pkt->pts);
      }
      if (pkt->dts != AV_NOPTS_VALUE && (packet_dts_.empty() || pkt->dts > packet_dts_.back().first))
        packet_dts_.emplace_back(pkt->dts, visible_packets_);
      ++visible_packets_;
    }
    const int sent = avcodec_send_packet(codec_.get(), pkt);
    av_packet_unref(pkt);
    // A packet the decoder refuses (damaged data) is counted and skipped, as players do.
    if (sent < 0 && sent != AVERROR(EAGAIN)) ++decode_errors_;
    return Status::ok();
  }
}

// The index a key frame has in every-frame mode, which counts the frames shown before it:
//  1. when every packet carries a pts: the number of packets whose pts is smaller
//     (exact, open GOPs included);
//  2. else, from the packet the frame came from (frame->pkt_dts): the number of packets
//     before it in decode order (exact for closed GOPs, where nothing decoded after a
//     key frame is shown before it);
//  3. else from its timestamp: (ts - ts of the first frame out) * fps, rounded.
int64_t VideoDecoder::keyframe_index(const AVFrame* f, int64_t ts) {
  if (packet_pts_complete_ && f->pts != AV_NOPTS_VALUE && !packet_pts_.empty())
    return std::lower_bound(packet_pts_.begin(), packet_pts_.end(), f->pts) - packet_pts_.begin();
  if (f->pkt_dts != AV_NOPTS_VALUE) {
    auto it = std::lower_bound(packet_dts_.begin(), packet_dts_.end(), std::make_pair(f->pkt_dts, int64_t{INT64_MIN}));
    if (it != packet_dts_.end() && it->first == f->pkt_dts) return it->second;
  }
  if (ts != AV_NOPTS_VALUE && info_.fps > 0) {
    if (first_frame_ts_ == AV_NOPTS_VALUE) first_frame_ts_ = ts;
    return std::max<int64_t>(0, std::llround(to_seconds(ts - first_frame_ts_, time_base_) * info_.fps));
  }
  return frames_decoded_ - 1;
}

// The stream's frame size (index -1) or a decoded frame's against the pixel limits.
Status VideoDecoder::limit_status(int64_t index) const {
  const MediaLimits& limits = options_.media.limits;
  const int w = index < 0 ? info_.width : frame_->width;
  const int h = index < 0 ? info_.height : frame_->height;
  if (w > 0 && h > 0 && w <= limits.max_side && h <= limits.max_side && int64_t{w} * h <= limits.max_pixels)
    return Status::ok();
  const std::string what = (index < 0 ? std::string("absurd frame size ")
                                      : "decoded frame " + std::to_string(index) + " has an absurd size ") +
                           std::to_string(w) + "x" + std::to_string(h);
  if (w <= 0 || h <= 0) return {StatusCode::kCorrupt, what, info_.url};
  return {StatusCode::kLimitExceeded,
          what + " (over the limit of " + std::to_string(limits.max_side) + " a side or " +
              std::to_string(limits.max_pixels) + " pixels: --max-pixels)",
          info_.url};
}

// Fast pixels: the decoded frame's luma plane, referenced (no copy), or remapped to full
// range into out.luma; on the device for NVDEC frames. Formats without an 8-bit luma
// plane take the exact path, noted once.
Status VideoDecoder::take_luma(DecodedFrame& out) {
  AVFrame* f = frame_.get();
  VHM_RETURN_IF_ERROR(limit_status(out.index));
  const bool device = f->format == AV_PIX_FMT_CUDA;
  if (hw_device_ && !device && options_.hardware_required)
    return {StatusCode::kUnavailable,
            "GPU decoding: " +
                (hw_fallback_reason_.empty() ? std::string("NVDEC gave a frame in host memory") : hw_fallback_reason_),
            info_.url};
  bool limited = false;
  std::string why;
  if (device) {
    // NV12 (or 8-bit planar YUV): data[0] is the device luma plane, linesize[0] its pitch.
    const auto* frames =
        f->hw_frames_ctx ? reinterpret_cast<const AVHWFramesContext*>(f->hw_frames_ctx->data) : nullptr;
    if (!frames || !luma_plane_format(frames->sw_format, nullptr, &why))
      return {StatusCode::kUnavailable,
              "GPU decoding: NVDEC gave " + (frames ? pix_fmt_name(frames->sw_format) : std::string("unknown")) +
                  " surfaces (" + why + "); only 8-bit luma is hashed on the device",
              info_.url};
    // The stream's own format says the range (yuvj420p decodes to NV12 as well).
    if (!luma_plane_format(codec_->sw_pix_fmt, &limited, &why)) limited = true;
  } else if (!luma_plane_format(f->format, &limited, &why)) {
    if (note_format_ != f->format) {
      note_format_ = f->format;
      pixel_note_ = "fast pixels: pixel format " + pix_fmt_name(f->format) + " has no 8-bit luma plane (" + why +
                    "); its frames took the exact path (RGB24)";
    }
    return convert(out);
  }
  const int w = f->width, h = f->height;
  const bool expand = limited && options_.fast_range == LumaRange::kExpand;
  out.path = PixelPath::kFast;
  out.width = w;
  out.height = h;
  out.on_device = device;
  out.limited_range = device && expand;
  out.luma_remapped = false;
  ++fast_frames_;
  if (expand && !device) {
    // One pass into a buffer the frame keeps for next time: limited_to_full_range_table()
    // in arithmetic the compiler vectorises, (x * 19077 + 8192) >> 14 with x = y - 16
    // clamped to 0..219, which equals round(x * 255 / 219) for every x (a test checks it).
    out.luma.resize(static_cast<size_t>(w) * h);
    for (int y = 0; y < h; ++y) {
      const uint8_t* src = f->data[0] + static_cast<ptrdiff_t>(y) * f->linesize[0];
      uint8_t* dst = out.luma.data() + static_cast<size_t>(y) * w;
      for (int x = 0; x < w; ++x) dst[x] = expand_limited_luma(src[x]);
    }
    out.luma_remapped = true;
    if (out.decoded) av_frame_unref(out.decoded.get());
    return Status::ok();
  }
  if (!out.decoded) {
    out.decoded.reset(av_frame_alloc());
    if (!out.decoded) return {StatusCode::kInternal, "out of memory", info_.url};
  } else {
    av_frame_unref(out.decoded.get());
  }
  av_frame_move_ref(out.decoded.get(), f);
  return Status::ok();
}

Status VideoDecoder::convert(DecodedFrame& out) {
  AVFrame* f = frame_.get();
  const int w = f->width, h = f->height;
  VHM_RETURN_IF_ERROR(limit_status(out.index));
  out.path = PixelPath::kExact;
  out.on_device = false;
  out.limited_range = false;
  out.luma_remapped = false;
  if (out.decoded) av_frame_unref(out.decoded.get());
  if (!sws_ || sws_width_ != w || sws_height_ != h || sws_format_ != f->format) {
    // Exactly the reference's converter: source size and format, same size out, RGB24,
    // SWS_AREA and no other flag, default (unset) colour details.
    sws_.reset(sws_getContext(w, h, static_cast<AVPixelFormat>(f->format), w, h, AV_PIX_FMT_RGB24, SWS_AREA, nullptr,
                              nullptr, nullptr));
    if (!sws_) {
      const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format));
      return {StatusCode::kUnsupported, std::string("cannot convert pixel format ") + (name ? name : "?") + " to RGB",
              info_.url};
    }
    sws_width_ = w;
    sws_height_ = h;
    sws_format_ = f->format;
  }
  // The destination is laid out as the reference's (av_frame_get_buffer, default
  // alignment); a buffer of the right size that nobody else holds is reused.
  if (!out.rgb || out.rgb->width != w || out.rgb->height != h || !av_frame_is_writable(out.rgb.get())) {
    out.rgb.reset(av_frame_alloc());
    if (!out.rgb) return {StatusCode::kInternal, "out of memory", info_.url};
    out.rgb->format = AV_PIX_FMT_RGB24;
    out.rgb->width = w;
    out.rgb->height = h;
    if (int rc = av_frame_get_buffer(out.rgb.get(), 0); rc < 0) {
      out.rgb.reset();
      return {StatusCode::kInternal, av::error_text("av_frame_get_buffer", rc), info_.url};
    }
  }
  sws_scale(sws_.get(), f->data, f->linesize, 0, h, out.rgb->data, out.rgb->linesize);
  out.width = w;
  out.height = h;
  return Status::ok();
}

Status VideoDecoder::finish_status() const {
  if (!read_error_.is_ok()) return read_error_;
  if (listed_frames_ > 0 && packets_read_ < listed_frames_)
    return {StatusCode::kCorrupt,
            "truncated or damaged: the container lists " + std::to_string(listed_frames_) + " video frames but only " +
                std::to_string(packets_read_) + " could be read",
            info_.url};
  if (frames_decoded_ == 0) {
    if (packets_read_ == 0) return {StatusCode::kCorrupt, "the video stream holds no data", info_.url};
    return {StatusCode::kCorrupt,
            "no frame could be decoded from " + std::to_string(packets_read_) + " packets (" +
                std::to_string(decode_errors_) + " decoding errors from the " + info_.codec + " decoder)",
            info_.url};
  }
  return Status::ok();
}

// The stream has ended: its damage, if any, is the result; else the TMK sampler (if
// any) emits its last repeats, and next() says false.
Result<bool> VideoDecoder::end_of_stream() {
  finished_ = true;
  VHM_RETURN_IF_ERROR(finish_status());
  if (options_.tmk_frames) {
    if (Status s = options_.tmk_frames->finish(); !s.is_ok()) return s.with_subject(info_.url);
  }
  return false;
}

Result<bool> VideoDecoder::next(DecodedFrame& out) {
  if (finished_) return false;
  AVCodecContext* ctx = codec_.get();
  AVFrame* f = frame_.get();
  while (true) {
    // The wall-time budget also holds for input already read (memory, a file in cache).
    if (Status b = source_->budget_status(); !b.is_ok()) {
      finished_ = true;
      return b;
    }
    const int rc = avcodec_receive_frame(ctx, f);
    if (rc == AVERROR(EAGAIN)) {
      if (flushed_) return end_of_stream();  // cannot happen with a conforming decoder; end rather than spin
      VHM_RETURN_IF_ERROR(read_and_send());
      continue;
    }
    if (rc == AVERROR_EOF) return end_of_stream();
    if (rc < 0) {
      // A damaged frame (with frame threads the decoder reports it here rather than
      // from avcodec_send_packet): counted and skipped, as players do. A decoder that
      // only fails ends the stream.
      ++decode_errors_;
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        finished_ = true;
        return Status(StatusCode::kCorrupt,
                      av::error_text(("decoding after frame " + std::to_string(frames_decoded_)).c_str(), rc),
                      info_.url);
      }
      continue;
    }
    consecutive_errors_ = 0;
    // The reference's frame number: the count of frames the decoder has output so far.
    const int64_t ordinal = frames_decoded_++;
    if (options_.tmk_frames) {
      if (Status s = options_.tmk_frames->add(f); !s.is_ok()) {
        av_frame_unref(f);
        finished_ = true;
        return s.with_subject(info_.url);
      }
    }
    const int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    if (options_.keyframes_only && first_frame_ts_ == AV_NOPTS_VALUE) first_frame_ts_ = ts;
    // Decoders that ignore skip_frame (VP9, AV1, ...) still give every frame: keyframes
    // mode returns the key frames only either way.
    if (options_.keyframes_only && !is_frame_key(f)) {
      av_frame_unref(f);
      continue;
    }
    // Every frame decoded (TMK's): the ordinal is the every-frame index itself.
    const int64_t index = options_.keyframes_only && !options_.tmk_frames ? keyframe_index(f, ts) : ordinal;
    if (options_.want && !options_.want(index)) {
      av_frame_unref(f);
      continue;
    }
    out.index = index;
    out.key_frame = is_frame_key(f);
    if (ts != AV_NOPTS_VALUE) {
      out.pts = ts;
      out.pts_seconds = to_seconds(ts, time_base_);
    } else {
      out.pts = AV_NOPTS_VALUE;
      out.pts_seconds = info_.fps > 0 ? static_cast<double>(index) / info_.fps : 0.0;
    }
    Status s = options_.pixels == PixelPath::kFast ? take_luma(out) : convert(out);
    av_frame_unref(f);
    if (!s.is_ok()) {
      finished_ = true;
      return s;
    }
    return true;
  }
}

}  // namespace vhm
