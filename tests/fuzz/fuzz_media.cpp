// Media bytes through vhm's memory decoders, as an upload reaches them (POST
// /v1/match, a Redis `media` job): decode_image() (libjpeg, libpng, FFmpeg's image
// decoders; then the reference photo tool's pre-resize) and VideoDecoder::open_memory
// with up to 8 frames of next() (FFmpeg's demuxers and decoders, then swscale or the
// fast luma path).
//
// The input's last byte also picks decoder options (it is part of the media too, and
// mutations flip it): bit 0 fast pixels (PixelPath::kFast), bit 1 key frames only.
//
// Oracles: a decoded image has pixels for its whole size; a decoded frame has the size
// the decoder reported and a pixel view to read.
//
// seeds: media
#include <algorithm>
#include <memory>
#include <span>
#include <string>

#include "decode/image_decoder.h"
#include "decode/video_decoder.h"
#include "fuzz/target_support.h"

namespace {

constexpr int kMaxFrames = 8;

void check_image(const vhm::DecodedImage& img) {
  const size_t channels = img.format == vhm::PixelFormat::kRgb24 ? 3 : 1;
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * channels)
    vhm::fuzz::fail("an image of " + std::to_string(img.width) + "x" + std::to_string(img.height) + " holds " +
                    std::to_string(img.pixels.size()) + " bytes");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vhm::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vhm;
  const std::span<const uint8_t> bytes(data, size);
  if (auto img = decode_image(bytes, "upload")) {
    check_image(*img);
    resize_like_reference_photo_tool(*img);
    check_image(*img);
  }

  VideoDecoderOptions options;
  options.threads = 1;  // deterministic, and one core per fuzzer
  const uint8_t knobs = size ? data[size - 1] : 0;
  if (knobs & 1) options.pixels = PixelPath::kFast;
  options.keyframes_only = (knobs & 2) != 0;
  auto decoder = VideoDecoder::open_memory(bytes, "upload", options);
  if (!decoder) return 0;
  DecodedFrame frame;
  for (int i = 0; i < kMaxFrames; ++i) {
    auto more = (*decoder)->next(frame);
    if (!more || !*more) break;
    const ImageView view = frame.view();
    if (!view.data || view.width != frame.width || view.height != frame.height || view.width <= 0 || view.height <= 0)
      fuzz::fail("a frame of " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + " with a view of " +
                 std::to_string(view.width) + "x" + std::to_string(view.height));
    // Touch the first and last pixel rows: a view that promises more than the
    // frame holds is an ASan report here, not later in a hasher.
    const int bpp = view.format == PixelFormat::kRgb24 ? 3 : 1;
    volatile uint8_t sink = view.data[0];
    sink =
        view.data[static_cast<ptrdiff_t>(view.height - 1) * view.stride + static_cast<ptrdiff_t>(view.width) * bpp - 1];
    (void)sink;
  }
  return 0;
}
