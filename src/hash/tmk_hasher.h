// TmkHasher: TMK+PDQF of a video, as Meta's tmk-hash-video computes it. Each 64x64 RGB24
// frame at 15 fps (decode/tmk_frames.h) gives a PDQF feature: the 16x16 PDQ DCT of its
// float luminance, without PDQ's box-filter blur (the frame is already 64x64). The
// features are then summed per period and Fourier coefficient, in the reference's
// float/double order (docs/TMK.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tmk_features.h"
#include "decode/media_policy.h"

namespace vhm {

class TmkAccumulator {
 public:
  TmkAccumulator();
  // Adds the next 15 fps frame (64x64 RGB24, row-major, no padding).
  void add_rgb64x64(const uint8_t* rgb);
  // Adds a frame's 256-float feature directly (for tests and other frame sources).
  void add_feature(const std::vector<float>& feature);
  // Averages, normalises and weights: the hash. The accumulator is spent afterwards.
  TmkFeatures finish();

 private:
  TmkFeatures features_;
  std::vector<float> luma_;
};

// The TMK+PDQF hash of the video at `url` (TMK only; hash_video with
// VideoHashConfig::compute_tmk gives it beside vPDQ from one decode). The input is opened
// as VideoDecoder opens it, under `media`'s access rules and budgets.
Result<TmkFeatures> tmk_hash_video(const std::string& url, const MediaPolicy& media = {});

}  // namespace vhm
