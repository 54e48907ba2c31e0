// VideoDecoder: video frames as RGB24 pixels, decoded with FFmpeg the way Meta's
// reference vPDQ hasher decodes them, so the same file gives the same pixels.
//
//   - the best video stream (av_find_best_stream), not merely the first one;
//   - decoder threads on (frame and slice threads; the pixels do not depend on them);
//   - the decoder is always flushed at the end of the stream, so the last frames
//     (held back by B-frame reordering) are never lost;
//   - each frame is converted to RGB24 at its own size by swscale with SWS_AREA and
//     nothing else (no SWS_ACCURATE_RND, no colour range or matrix set), into a
//     buffer from av_frame_get_buffer(..., 0): the reference's conversion exactly.
//
// Frames come one at a time (pull API); only the frame being returned is held, so
// memory does not grow with the length of the video.
//
// Fast pixels (VideoDecoderOptions::pixels = PixelPath::kFast): no colour conversion.
// The frame is hashed from the decoder's own 8-bit luminance plane, a grey view into the
// decoded AVFrame (data[0], linesize[0]; the frame stays referenced by the DecodedFrame),
// for every pixel format whose first plane is 8-bit luma (planar and semi-planar YUV,
// grey). Limited-range luma (16..235) is first stretched to full range through a
// 256-entry table into a buffer the DecodedFrame reuses (see LumaRange). Other formats
// (RGB, paletted, packed YUV, more than 8 bits) take the exact path and say so
// (VideoDecoder::pixel_note()). docs/PIXELS.md measures fast against exact.
//
// Hardware decoding (VideoDecoderOptions::hardware = HardwareDecode::kCuda, fast pixels
// only): the decoder runs on NVDEC through FFmpeg's CUDA hardware device, created on the
// primary context of the CUDA device (AV_CUDA_USE_PRIMARY_CONTEXT), the context the CUDA
// runtime, and so vhm's kernels, use. Frames stay in device memory: the view is the
// device luma plane (NV12), to be hashed by gpu::PdqCudaHasher::hash_device_batch, or
// hash_device_luma_batch with limited_to_full_range_table() when limited_range is set.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/image_view.h"
#include "core/status.h"
#include "core/video_hash.h"
#include "decode/av_ptr.h"
#include "decode/input_source.h"
#include "decode/media_policy.h"

namespace vhm {

class TmkFrameSampler;

// The 256-entry table kExpand applies to limited-range luma (the GPU path reads it).
const std::array<uint8_t, 256>& limited_to_full_range_table();
// The same mapping as the CPU path computes it, one byte (equal to the table's entry).
uint8_t expand_limited_range(uint8_t y);

enum class HardwareDecode {
  kNone,  // libavcodec on the CPU
  kCuda,  // NVDEC through FFmpeg's CUDA hwdevice; frames stay in device memory
};

struct DecodedFrame {
  // 0-based position of the frame in the decoder's output (display) order: the frame
  // number the reference prints. In keyframes mode it is the position the same frame
  // has when every frame is decoded (see VideoDecoderOptions::keyframes_only).
  int64_t index = -1;
  int64_t pts = 0;         // best_effort_timestamp in stream time_base units (AV_NOPTS_VALUE: none)
  double pts_seconds = 0;  // pts * time_base (not shifted by the stream's start time);
                           // index / fps when the stream carries no timestamps
  bool key_frame = false;
  int width = 0;  // the frame's own size
  int height = 0;
  av::FramePtr rgb;  // kExact: RGB24 pixels (reused across calls when the size allows)

  // kFast: which pixels view() shows.
  PixelPath path = PixelPath::kExact;  // kExact also when a fast request fell back
  av::FramePtr decoded;                // kFast: a reference to the decoder's frame (its luma plane)
  std::vector<uint8_t> luma;           // kFast, limited range expanded on the host: the remapped plane
  bool luma_remapped = false;          // view() shows `luma` rather than the decoder's plane
  // The luma plane is in CUDA device memory (hardware decoding): view().data is a device
  // pointer. `limited_range` then says the bytes still need limited_to_full_range_table()
  // (hash_video maps them on the device); for host frames the mapping is already done.
  bool on_device = false;
  bool limited_range = false;

  // The pixels as PDQ takes them (valid until the next call that reuses this frame).
  ImageView view() const {
    if (path == PixelPath::kFast) {
      if (luma_remapped) return {luma.data(), width, height, width, PixelFormat::kGray8};
      return {decoded ? decoded->data[0] : nullptr, width, height, decoded ? decoded->linesize[0] : 0,
              PixelFormat::kGray8};
    }
    return {rgb ? rgb->data[0] : nullptr, width, height, rgb ? rgb->linesize[0] : 0, PixelFormat::kRgb24};
  }
};

struct VideoDecoderOptions {
  // Decode only key frames: the decoder's skip_frame is AVDISCARD_NONKEY, so other
  // frames are not decoded at all (decoders that ignore skip_frame, such as VP9's,
  // decode everything, and only the key frames are returned). Every packet is still
  // read, and each key frame's index is the number of the stream's frames whose
  // presentation time is earlier, i.e. the index the same frame has in every-frame
  // mode. Where packets lack timestamps the index comes from the packet's decode
  // position (exact for closed GOPs) or from time * fps; AVI files with packed
  // B-frames (DivX style) are numbered wrongly in this mode, their decoder returning
  // each key frame one key packet late.
  bool keyframes_only = false;
  // Decoder threads; 0 lets FFmpeg choose (one per core, capped by FFmpeg).
  int threads = 0;
  // When set, frames whose index it rejects are skipped without colour conversion
  // (they are still decoded: later frames depend on them).
  std::function<bool(int64_t index)> want;
  // What the input may make vhm open, and its limits: frames over limits.max_pixels or
  // limits.max_side are refused before FFmpeg allocates them, and the input's bytes and
  // decoding time are budgeted (decode/media_policy.h).
  MediaPolicy media;
  // Which pixels: the reference's RGB24 (kExact) or the decoder's luma plane (kFast).
  PixelPath pixels = PixelPath::kExact;
  LumaRange fast_range = LumaRange::kExpand;  // kFast only
  // kCuda needs pixels = kFast and an 8-bit 4:2:0/4:2:2/4:4:4 YUV (or grey) stream whose
  // codec NVDEC decodes; open() fails with kUnavailable, naming why, where it cannot be
  // set up (FFmpeg without CUDA, no driver or device, no NVDEC for the codec, > 8 bits).
  // Should NVDEC refuse the stream once decoding starts (e.g. its profile), next() fails
  // with kUnavailable when `hardware_required`, else the frames continue on the CPU
  // (DecodedFrame::on_device false) and hardware_fell_back() says so.
  HardwareDecode hardware = HardwareDecode::kNone;
  bool hardware_required = true;
  int cuda_device = 0;  // the CUDA device FFmpeg opens (its primary context)
  // How many decoded frames the caller keeps referenced at once (hardware decoding).
  // FFmpeg before 6.0 hands out NVDEC's own decode surfaces as frames, and NVDEC has at
  // most 32 in all (the stream's references included): this many more are reserved, and
  // it must stay <= VideoDecoder::max_hardware_frames_held().
  int hardware_frames_held = 0;
  // When set, every frame out of the decoder (whatever `want` and keyframes_only say)
  // is also given to this TMK frame sampler (decode/tmk_frames.h), and its end of
  // stream too: one decode gives vPDQ and TMK. It must outlive the decoder. With
  // keyframes_only every frame is still decoded (TMK needs them all) and only the key
  // frames are returned, each with its every-frame ordinal as index. Not with hardware
  // decoding (the sampler scales host frames; open() refuses it).
  TmkFrameSampler* tmk_frames = nullptr;
};

class VideoDecoder {
 public:
  // Opens a path, "file:...", "pipe:0" (or "-" for stdin) or an http(s) URL, as
  // options.media.access allows (decode/input_source.h: vhm opens it, FFmpeg reads
  // the bytes). Errors name `url` and say why (missing file, not a regular file, empty
  // file, a protocol or path not allowed, unrecognised or refused format, no video
  // stream, no decoder for the codec, a frame size over the limit).
  static Result<std::unique_ptr<VideoDecoder>> open(const std::string& url, const VideoDecoderOptions& options = {});
  // Decodes from bytes in memory (which must outlive the decoder); `name` is used in
  // errors and as the info's url.
  static Result<std::unique_ptr<VideoDecoder>> open_memory(std::span<const uint8_t> bytes, const std::string& name,
                                                           const VideoDecoderOptions& options = {});

  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  const VideoStreamInfo& info() const { return info_; }
  // The local file the input is (vhm opened and checked it), else empty.
  const std::string& local_path() const { return source_->local_path(); }

  // The next frame (true), or the end of the stream (false). After the last frame an
  // error is returned instead of false when the input turned out to be damaged: a read
  // error, or fewer packets than the container lists (a truncated file).
  Result<bool> next(DecodedFrame& frame);

  // Counters, meaningful once next() has returned false.
  int64_t frames_decoded() const { return frames_decoded_; }  // all frames out of the decoder
  int64_t packets_read() const { return packets_read_; }      // packets of the video stream
  // Damaged packets or frames the decoder refused (skipped; the rest still decode).
  int64_t decode_errors() const { return decode_errors_; }
  // Fast pixels that could not be had: empty, or one line saying which frames took the
  // exact path and why (e.g. "pixel format rgb24 has no 8-bit luma plane: ...").
  const std::string& pixel_note() const { return pixel_note_; }
  // Frames given through the fast path (kFast only).
  int64_t fast_frames() const { return fast_frames_; }
  // Whether frames are being decoded on NVDEC now (hardware = kCuda and not fallen back).
  bool hardware_active() const { return hw_device_ != nullptr && !hw_fell_back_; }
  // Hardware decoding was asked for but NVDEC refused the stream; why (empty if not).
  const std::string& hardware_fell_back() const { return hw_fallback_reason_; }
  // The most frames a caller may hold at once when decoding on NVDEC (see
  // VideoDecoderOptions::hardware_frames_held): small where this FFmpeg hands out NVDEC
  // surfaces, unbounded (INT_MAX) where it copies them into frames of its own.
  static int max_hardware_frames_held();
  // The CUcontext of FFmpeg's CUDA device (hardware = kCuda), else nullptr: the primary
  // context of options.cuda_device (see gpu::check_primary_context).
  const void* cuda_context() const;

 private:
  struct BufferUnref {
    void operator()(AVBufferRef* b) const { av_buffer_unref(&b); }
  };
  VideoDecoder() = default;
  static Result<std::unique_ptr<VideoDecoder>> open_source(std::unique_ptr<VideoDecoder> dec,
                                                           const VideoDecoderOptions& options);
  static Result<std::unique_ptr<VideoDecoder>> open_impl(std::unique_ptr<VideoDecoder> dec, const std::string& url,
                                                         const VideoDecoderOptions& options);
  static int refuse_nested_open(AVFormatContext* s, AVIOContext** pb, const char* url, int flags,
                                AVDictionary** options);
  Status limit_status(int64_t index) const;
  Status read_and_send();
  Status convert(DecodedFrame& out);
  Status take_luma(DecodedFrame& out);
  Status open_hardware(const AVCodec* codec);
  static enum AVPixelFormat choose_format(AVCodecContext* ctx, const enum AVPixelFormat* formats);
  int64_t keyframe_index(const AVFrame* frame, int64_t ts);
  Status finish_status() const;
  Result<bool> end_of_stream();

  VideoDecoderOptions options_;
  VideoStreamInfo info_;
  std::unique_ptr<InputSource> source_;  // the input's bytes; declared before format_ so it is freed after it
  std::string refused_open_;             // a file or URL the input asked FFmpeg to open (refused)
  av::FormatContextPtr format_;
  av::CodecContextPtr codec_;
  av::PacketPtr packet_;
  av::FramePtr frame_;
  av::SwsPtr sws_;
  int sws_width_ = 0, sws_height_ = 0, sws_format_ = -1;
  AVRational time_base_{0, 1};
  bool flushed_ = false;   // the end-of-stream packet was sent to the decoder
  bool finished_ = false;  // the decoder reported the end
  Status read_error_;      // a read error other than the end of the file
  int64_t frames_decoded_ = 0;
  int64_t packets_read_ = 0;
  int64_t decode_errors_ = 0;
  int consecutive_errors_ = 0;
  int64_t listed_frames_ = 0;                            // the container's frame count (0 unknown)
  std::vector<int64_t> packet_pts_;                      // keyframes mode: every packet's pts, sorted
  bool packet_pts_complete_ = true;                      // keyframes mode: false once a packet lacked a pts
  std::vector<std::pair<int64_t, int64_t>> packet_dts_;  // keyframes mode: (dts, decode position)
  int64_t visible_packets_ = 0;                          // keyframes mode: packets not marked discard
  int64_t first_frame_ts_ = AV_NOPTS_VALUE;              // keyframes mode: timestamp of the first frame out
  std::string pixel_note_;                               // kFast: why some frames took the exact path
  int note_format_ = -1;                                 // the pixel format pixel_note_ speaks of
  int64_t fast_frames_ = 0;
  std::unique_ptr<AVBufferRef, BufferUnref> hw_device_;  // kCuda: FFmpeg's CUDA device (primary context)
  bool hw_fell_back_ = false;                            // NVDEC refused the stream: frames come on the host
  std::string hw_fallback_reason_;
};

}  // namespace vhm
