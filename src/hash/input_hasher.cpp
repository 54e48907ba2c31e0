#include "hash/input_hasher.h"

#include <chrono>
#include <exception>
#include <new>

#include "hash/letterbox.h"
#include "hash/pdq_hasher.h"

namespace vhm {
namespace {

// An image from its file, or from bytes in memory (Input::bytes), never written to disk.
Result<ImageHash> hash_image(const Input& input, const InputHashConfig& config) {
  const auto started = std::chrono::steady_clock::now();
  const MediaPolicy& media = config.video.media;
  auto image =
      input.bytes.empty() ? decode_image_file(input.url, media) : decode_image(input.bytes, input.url, media.limits);
  if (!image) return image.status();
  ImageHash out;
  out.width = image->width;
  out.height = image->height;
  out.resized = config.photo_resize && resize_like_reference_photo_tool(*image);
  out.hashed_width = image->width;
  out.hashed_height = image->height;
  out.decoder = image->decoder;
  out.conversion = image->conversion;
  // Images are small and many: the CPU path on one thread (a batch runs files in parallel).
  auto hasher = make_pdq_hasher({config.video.device == Device::kReference ? Device::kReference : Device::kCpu, 1});
  if (!hasher) return hasher.status();
  const ImageView view = image->view();
  VHM_RETURN_IF_ERROR((*hasher)->hash({&view, 1}, {&out.pdq, 1}, {&out.dct, 1}));
  if (config.video.crop_bars) {
    if (const CropRect r = detect_bars(view); !r.empty()) {
      const ImageView inner = crop_view(view, r);
      VHM_RETURN_IF_ERROR((*hasher)->hash({&inner, 1}, {&out.cropped, 1}));
      out.has_cropped = true;
    }
  }
  out.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace

namespace {
InputHash hash_input_unguarded(const Input& input, const InputHashConfig& config);
}  // namespace

// One input fails alone, whatever happens inside it: an allocation that fails (an
// input the limits let through but this machine cannot hold) or an exception from a
// library is that input's error, and the batch goes on.
InputHash hash_input(const Input& input, const InputHashConfig& config) {
  try {
    return hash_input_unguarded(input, config);
  } catch (const std::bad_alloc&) {
    InputHash failed;
    failed.input = input;
    failed.input.bytes = {};
    failed.status = Status(StatusCode::kLimitExceeded, "out of memory while hashing (lower --max-pixels?)", input.url);
    return failed;
  } catch (const std::exception& e) {
    InputHash failed;
    failed.input = input;
    failed.input.bytes = {};
    failed.status = Status(StatusCode::kInternal, std::string("unexpected exception: ") + e.what(), input.url);
    return failed;
  }
}

namespace {

InputHash hash_input_unguarded(const Input& input, const InputHashConfig& config) {
  InputHash result;
  result.input = input;
  if (input.kind == InputKind::kImage) {
    auto image = hash_image(input, config);
    if (image) result.image = std::move(image).value();
    else result.status = image.status().with_subject(input.url);
  } else {
    auto video = input.bytes.empty() ? hash_video(input.url, config.video)
                                     : hash_video_memory(input.bytes, input.url, config.video);
    if (video) result.video = std::move(video).value();
    else result.status = video.status().with_subject(input.url);
  }
  result.input.bytes = {};  // the caller's buffer may go before the result does
  return result;
}

}  // namespace

}  // namespace vhm
