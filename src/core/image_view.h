// ImageView: pixels the caller owns, as every layer passes them (the decoders fill
// them, PDQ and the CUDA kernels read them). A value type: nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vhm {

enum class PixelFormat {
  kRgb24,  // packed R,G,B bytes
  kGray8,  // one byte per pixel, used as luminance directly (as the reference does)
};

// Pixels the caller owns. `stride` is bytes between row starts (>= width * channels).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  ptrdiff_t stride = 0;
  PixelFormat format = PixelFormat::kRgb24;
};

}  // namespace vhm
