// TmkFrames: a video's frames as Meta's TMK hasher sees them. The reference pipes the
// video through the ffmpeg CLI (FFmpeg 5.1 on Debian 12):
//   ffmpeg -nostdin -i VIDEO -s 64:64 -an -f rawvideo -c:v rawvideo -pix_fmt rgb24 -r 15 pipe:1
// and this reproduces that command's output with libav, frame for frame:
//   - timestamps shifted by the container's start time, as the CLI's input ts_offset does;
//   - each frame scaled to 64x64 RGB24 (aspect ignored) by swscale as the CLI's scale
//     filter sets it up: SWS_BICUBIC (the CLI's default sws flags), the frame's own
//     YCbCr matrix and range (the filter's in_color_matrix=auto);
//   - `-r 15` on the output is not an fps filter in 5.1 (that insertion is disabled) but
//     the muxer-side constant-frame-rate sync of do_video_out: frames are dropped or
//     duplicated against a 1/15 s clock (VSCFR for a one-stream input, else CFR), and at
//     the end the last frame is repeated as the median of the last three "previous
//     frame" duplications says.
// The input must be a local file; it is opened with the guards VideoDecoder has (vhm's
// demuxer allow-list, the file protocol only, no nested opens, the pixel limit), but not
// through InputSource's byte and time budgets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace vhm {

constexpr int kTmkFrameSide = 64;
constexpr int kTmkFramesPerSecond = 15;

struct TmkFrameStats {
  int64_t decoded = 0;  // frames out of the decoder
  int64_t emitted = 0;  // 15 fps frames given to the callback (duplicates included)
};

// Calls `on_frame` with each 64x64 RGB24 frame (row-major, 192 bytes a row) of the
// video at `path`, in output order. Errors name the file.
Result<TmkFrameStats> decode_tmk_frames(const std::string& path,
                                        const std::function<void(const uint8_t* rgb64x64)>& on_frame);

}  // namespace vhm
