#include "hash/letterbox.h"

#include <cstdint>

namespace vhm {
namespace {

// How many of `count` pixels (from p, `step` bytes apart) are brighter than `threshold`,
// by approximate luminance ((77 R + 150 G + 29 B) >> 8, or grey).
int bright_pixels(const uint8_t* p, int count, ptrdiff_t step, bool rgb, int threshold) {
  int bright = 0;
  if (rgb) {
    for (int i = 0; i < count; ++i, p += step) bright += ((77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8) > threshold;
  } else {
    for (int i = 0; i < count; ++i, p += step) bright += *p > threshold;
  }
  return bright;
}

}  // namespace

CropRect detect_bars(const ImageView& im, const BarDetectOptions& o) {
  if (!im.data || im.width < 8 || im.height < 8) return {};
  const bool rgb = im.format == PixelFormat::kRgb24;
  const int bpp = rgb ? 3 : 1;
  // A bar line has (almost) no pixel above the threshold: compression noise and the odd
  // stray pixel are tolerated, dark content is not mistaken for a bar (a dark scene
  // still has some brighter pixels on every line).
  auto black = [&](const uint8_t* p, int count, ptrdiff_t step) {
    return bright_pixels(p, count, step, rgb, o.threshold) <= o.max_bright_fraction * count;
  };
  auto row_black = [&](int y, int x0, int x1) { return black(im.data + y * im.stride + x0 * bpp, x1 - x0, bpp); };
  auto col_black = [&](int x, int y0, int y1) { return black(im.data + y0 * im.stride + x * bpp, y1 - y0, im.stride); };
  int top = 0, bottom = im.height, left = 0, right = im.width;
  while (top < bottom && row_black(top, 0, im.width)) ++top;
  if (top == bottom) return {};  // all dark: no bars, just a dark frame
  while (bottom > top && row_black(bottom - 1, 0, im.width)) --bottom;
  while (left < right && col_black(left, top, bottom)) ++left;
  while (right > left && col_black(right - 1, top, bottom)) --right;

  auto worth = [&](int bar, int side) { return bar >= 2 && bar >= o.min_bar_fraction * side; };
  if (!worth(top, im.height)) top = 0;
  if (!worth(im.height - bottom, im.height)) bottom = im.height;
  if (!worth(left, im.width)) left = 0;
  if (!worth(im.width - right, im.width)) right = im.width;
  const CropRect r{left, top, right - left, bottom - top};
  if (r.width == im.width && r.height == im.height) return {};
  if (r.width < o.min_keep_fraction * im.width || r.height < o.min_keep_fraction * im.height) return {};
  return r;
}

ImageView crop_view(const ImageView& im, const CropRect& r) {
  const int bpp = im.format == PixelFormat::kRgb24 ? 3 : 1;
  return {im.data + r.y * im.stride + r.x * bpp, r.width, r.height, im.stride, im.format};
}

}  // namespace vhm
