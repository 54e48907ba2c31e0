// Still images to pixels, decoded the way the reference PDQ photo hasher decodes them.
//
// JPEG goes through libjpeg and PNG through libpng with the settings CImg uses in the
// reference tool, so the same file gives the same pixels and hence the same hash.
// Every other format FFmpeg decodes (WebP, TIFF, BMP, GIF, ...) goes through
// libavcodec. Conversions for what the reference cannot read are documented in
// docs/PDQ.md: alpha is dropped, CMYK becomes RGB, 16-bit samples keep their top byte.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/image_view.h"
#include "core/status.h"
#include "decode/media_policy.h"

namespace vhm {

struct DecodedImage {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgb24;  // kRgb24 or kGray8
  std::vector<uint8_t> pixels;               // tightly packed rows
  std::string decoder;                       // "libjpeg", "libpng" or "ffmpeg:<codec>"
  std::string conversion;                    // what was done beyond decoding, or empty

  ImageView view() const {
    return {pixels.data(), width, height, static_cast<ptrdiff_t>(width) * (format == PixelFormat::kRgb24 ? 3 : 1),
            format};
  }
};

// Decodes encoded image bytes; `name` is only used in error messages. A picture over
// limits.max_pixels or limits.max_side is refused (kLimitExceeded) from its header,
// before any pixel memory is allocated, whichever decoder reads it.
Result<DecodedImage> decode_image(std::span<const uint8_t> bytes, const std::string& name,
                                  const MediaLimits& limits = {});

// Whether encoded bytes start like a still image this decoder reads (JPEG, PNG, GIF,
// WebP, BMP, TIFF signatures): how an upload with no name is told from a video.
bool looks_like_still_image(std::span<const uint8_t> bytes);

// Reads the whole file (or stdin for "-") and decodes it, as `policy` allows.
Result<DecodedImage> decode_image_file(const std::string& path, const MediaPolicy& policy = {});

// The reference photo tool's pre-resize: an image larger than `max_side` on either side
// becomes exactly max_side x max_side by nearest-neighbour sampling (CImg's default),
// ignoring aspect. Returns false when no resize was needed.
bool resize_like_reference_photo_tool(DecodedImage& image, int max_side = 512);

// Reads a whole image file into memory ("-" reads stdin): a regular file (a FIFO, a
// directory or a device is refused unread) of at most policy.limits.max_image_bytes,
// where policy.access allows. Errors name the path.
Result<std::vector<uint8_t>> read_file_bytes(const std::string& path, const MediaPolicy& policy = {});

}  // namespace vhm
