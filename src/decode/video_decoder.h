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
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "decode/av_ptr.h"
#include "hash/pdq.h"

namespace vhm {

// What the container says about the chosen video stream.
struct VideoStreamInfo {
  std::string url;           // what was opened (as given)
  std::string container;     // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;         // decoder's codec name, e.g. "h264"
  std::string pixel_format;  // e.g. "yuv420p"
  int stream_index = -1;     // index of the chosen stream in the container
  int width = 0;
  int height = 0;
  int fps_num = 0;           // avg_frame_rate, else r_frame_rate; 0/0 when unknown
  int fps_den = 0;
  double fps = 0;            // fps_num / fps_den as a double (the reference's value); 0 unknown
  double duration_seconds = 0;  // the stream's duration, else the container's; 0 unknown
  int64_t frame_count = 0;      // the container's frame count, else duration * fps; 0 unknown
  bool frame_count_exact = false;  // true when the container lists the frame count
};

struct DecodedFrame {
  // 0-based position of the frame in the decoder's output (display) order: the frame
  // number the reference prints. In keyframes mode it is the position the same frame
  // has when every frame is decoded (see VideoDecoderOptions::keyframes_only).
  int64_t index = -1;
  int64_t pts = 0;           // best_effort_timestamp in stream time_base units (AV_NOPTS_VALUE: none)
  double pts_seconds = 0;    // pts * time_base (not shifted by the stream's start time);
                             // index / fps when the stream carries no timestamps
  bool key_frame = false;
  int width = 0;             // the frame's own size
  int height = 0;
  av::FramePtr rgb;          // RGB24 pixels (reused across calls when the size allows)

  // The RGB24 pixels as PDQ takes them (valid until the next call that reuses `rgb`).
  ImageView view() const {
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
  // Frames larger than this (either side) are refused as absurd.
  int max_side = 32768;
  // ... as are frames with more pixels than this (16384 x 16384).
  int64_t max_pixels = int64_t{1} << 28;
};

class VideoDecoder {
 public:
  // Opens anything FFmpeg can open: a path, "file:...", "pipe:0" (or "-" for stdin),
  // "http://..." and so on. Errors name `url` and say why (missing file, empty file,
  // unrecognised format, no video stream, no decoder for the codec, absurd size).
  static Result<std::unique_ptr<VideoDecoder>> open(const std::string& url,
                                                    const VideoDecoderOptions& options = {});
  // Decodes from bytes in memory (which must outlive the decoder); `name` is used in
  // errors and as the info's url.
  static Result<std::unique_ptr<VideoDecoder>> open_memory(std::span<const uint8_t> bytes,
                                                           const std::string& name,
                                                           const VideoDecoderOptions& options = {});

  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  const VideoStreamInfo& info() const { return info_; }

  // The next frame (true), or the end of the stream (false). After the last frame an
  // error is returned instead of false when the input turned out to be damaged: a read
  // error, or fewer packets than the container lists (a truncated file).
  Result<bool> next(DecodedFrame& frame);

  // Counters, meaningful once next() has returned false.
  int64_t frames_decoded() const { return frames_decoded_; }   // all frames out of the decoder
  int64_t packets_read() const { return packets_read_; }       // packets of the video stream
  // Damaged packets or frames the decoder refused (skipped; the rest still decode).
  int64_t decode_errors() const { return decode_errors_; }

 private:
  struct MemorySource;
  VideoDecoder() = default;
  static Result<std::unique_ptr<VideoDecoder>> open_impl(std::unique_ptr<VideoDecoder> dec, const std::string& url,
                                                         const VideoDecoderOptions& options);
  Status read_and_send();
  Status convert(DecodedFrame& out);
  int64_t keyframe_index(const AVFrame* frame, int64_t ts);
  Status finish_status() const;

  VideoDecoderOptions options_;
  VideoStreamInfo info_;
  std::unique_ptr<MemorySource> memory_;
  av::IoContextPtr io_;  // custom I/O (memory); declared before format_ so it is freed after it
  av::FormatContextPtr format_;
  av::CodecContextPtr codec_;
  av::PacketPtr packet_;
  av::FramePtr frame_;
  av::SwsPtr sws_;
  int sws_width_ = 0, sws_height_ = 0, sws_format_ = -1;
  AVRational time_base_{0, 1};
  bool flushed_ = false;    // the end-of-stream packet was sent to the decoder
  bool finished_ = false;   // the decoder reported the end
  Status read_error_;       // a read error other than the end of the file
  int64_t frames_decoded_ = 0;
  int64_t packets_read_ = 0;
  int64_t decode_errors_ = 0;
  int consecutive_errors_ = 0;
  int64_t listed_frames_ = 0;          // the container's frame count (0 unknown)
  std::vector<int64_t> packet_pts_;    // keyframes mode: every packet's pts, sorted
  bool packet_pts_complete_ = true;    // keyframes mode: false once a packet lacked a pts
  std::vector<std::pair<int64_t, int64_t>> packet_dts_;  // keyframes mode: (dts, decode position)
  int64_t visible_packets_ = 0;        // keyframes mode: packets not marked discard
  int64_t first_frame_ts_ = AV_NOPTS_VALUE;  // keyframes mode: timestamp of the first frame out
};

}  // namespace vhm
