// TmkFrameSampler: a video's frames as Meta's TMK hasher sees them. The reference pipes
// the video through the ffmpeg CLI (FFmpeg 5.1 on Debian 12):
//   ffmpeg -nostdin -i VIDEO -s 64:64 -an -f rawvideo -c:v rawvideo -pix_fmt rgb24 -r 15 pipe:1
// and this reproduces that command's output with libav, frame for frame, from the
// frames a VideoDecoder decodes anyway (VideoDecoderOptions::tmk_frames): one decode
// serves vPDQ and TMK.
//   - timestamps shifted by the container's start time, as the CLI's input ts_offset does
//     (the shift is applied to each frame's timestamp; the CLI shifts the packets, which
//     moves best_effort_timestamp by the same amount);
//   - each frame scaled to 64x64 RGB24 (aspect ignored) by swscale as the CLI's scale
//     filter sets it up: SWS_BICUBIC (the CLI's default sws flags), the frame's own
//     YCbCr matrix and range (the filter's in_color_matrix=auto);
//   - `-r 15` on the output is not an fps filter in 5.1 (that insertion is disabled) but
//     the muxer-side constant-frame-rate sync of do_video_out: frames are dropped or
//     duplicated against a 1/15 s clock (VSCFR for a one-stream input, else CFR), and at
//     the end the last frame is repeated as the median of the last three "previous
//     frame" duplications says.
// A frame is scaled only when it is emitted (once, however often it is repeated): the
// dropped half of a 30 fps video costs no scaling.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "decode/media_policy.h"

struct AVFormatContext;
struct AVFrame;

namespace vhm {

constexpr int kTmkFrameSide = 64;
constexpr int kTmkFramesPerSecond = 15;

struct TmkFrameStats {
  int64_t decoded = 0;  // frames out of the decoder
  int64_t emitted = 0;  // 15 fps frames given to the callback (duplicates included)
};

class TmkFrameSampler {
 public:
  // `on_frame` receives each 64x64 RGB24 frame (row-major, 192 bytes a row), in output
  // order, on the decoding thread.
  explicit TmkFrameSampler(std::function<void(const uint8_t* rgb64x64)> on_frame);
  ~TmkFrameSampler();
  TmkFrameSampler(const TmkFrameSampler&) = delete;
  TmkFrameSampler& operator=(const TmkFrameSampler&) = delete;

  // The decoder calls these: start once the stream is chosen, add with every frame out
  // of the decoder (before any sampling of its own), finish at the end of the stream.
  void start(const AVFormatContext* format, int stream_index);
  Status add(const AVFrame* frame);
  Status finish();

  const TmkFrameStats& stats() const { return stats_; }

 private:
  class Scaler;
  class RateSync;
  Status emit(const AVFrame* frame, bool* scaled, std::vector<uint8_t>& rgb);

  std::function<void(const uint8_t*)> on_frame_;
  std::unique_ptr<Scaler> scaler_;
  std::unique_ptr<RateSync> sync_;
  int64_t shift_ = 0;  // stream time base units added to every timestamp
  int tb_num_ = 0, tb_den_ = 1;
  int extra_bits_ = 0;
  // The last frame decoded (the one a duplication repeats), its pixels once scaled.
  AVFrame* previous_ = nullptr;
  bool previous_scaled_ = false;
  std::vector<uint8_t> previous_rgb_, current_rgb_;
  TmkFrameStats stats_;
};

// Calls `on_frame` with each TMK frame of the video at `url`, opened through VideoDecoder
// (InputSource's access rules and budgets from `media`). Errors name the input.
Result<TmkFrameStats> decode_tmk_frames(const std::string& url,
                                        const std::function<void(const uint8_t* rgb64x64)>& on_frame,
                                        const MediaPolicy& media = {});

}  // namespace vhm
