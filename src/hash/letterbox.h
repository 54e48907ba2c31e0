// Letterbox and pillarbox bars: the black bands a re-upload adds (or removes) to fit a
// frame to another aspect ratio. They shift every PDQ bit (a pillarboxed copy of a
// video is 0% similar frame by frame), so the robust hashing path finds them and
// hashes the picture inside them as well.
//
// A row (column) at an edge is part of a bar when at most 2% of its pixels are
// brighter than `threshold` (24 of 255, cropdetect's limit; cropdetect compares the
// line's mean, which calls a dark scene with a few bright cells a bar). The scan starts at each
// edge and stops at the first row or column with content, so frames without bars cost
// four lines. A crop is reported only when it is worth it and safe: each bar at least
// `min_bar_fraction` of the side, and at least `min_keep_fraction` of each side left
// (an all-dark frame is not a frame made of bars).
#pragma once

#include "hash/pdq.h"

namespace vhm {

struct CropRect {
  int x = 0, y = 0, width = 0, height = 0;
  bool empty() const { return width <= 0 || height <= 0; }
  friend bool operator==(const CropRect&, const CropRect&) = default;
};

struct BarDetectOptions {
  int threshold = 24;                 // luminance (0..255) at or below which a pixel is black
  double max_bright_fraction = 0.02;  // a bar line may have this share of brighter pixels
  double min_bar_fraction = 0.02;     // a bar narrower than this share of its side is ignored
  // Never keep less than this share of a side. A 9:16 phone clip pillarboxed on a 16:9
  // player keeps 32% of the width, the commonest bars of all, so the floor sits below it
  // (at 0.5 such uploads got no inside-bars hash: vhm bench accuracy, fit16x9).
  double min_keep_fraction = 0.3;
};

// The content rectangle inside the bars, or an empty rect when there is nothing to crop.
CropRect detect_bars(const ImageView& image, const BarDetectOptions& options = {});

// A view of the pixels inside `rect` (no copy).
ImageView crop_view(const ImageView& image, const CropRect& rect);

}  // namespace vhm
