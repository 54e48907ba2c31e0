// One input of a batch, image or video, to its hashes: the unit of work of `vhm hash`
// (and of `vhm match`, which hashes before it looks up).
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "decode/image_decoder.h"
#include "hash/pdq.h"
#include "hash/video_hasher.h"
#include "pipeline/inputs.h"

namespace vhm {

struct ImageHash {
  PdqHash pdq;
  PdqDct dct;                 // for dihedral variants
  int width = 0, height = 0;  // as decoded
  int hashed_width = 0, hashed_height = 0;
  bool resized = false;  // the reference photo tool's 512x512 pre-resize applied
  std::string decoder, conversion;
  bool has_cropped = false;  // bars found (VideoHashConfig::crop_bars): the picture inside them
  PdqHash cropped;
  double elapsed_seconds = 0;
};

struct InputHashConfig {
  VideoHashConfig video;
  bool photo_resize = true;  // images: the reference photo tool's pre-resize (see docs/PDQ.md)
};

struct InputHash {
  Input input;
  Status status;                   // not OK: the input failed (status names it)
  std::optional<ImageHash> image;  // set for an image that hashed
  std::optional<VideoHash> video;  // set for a video that hashed
  int64_t frames_hashed() const { return image ? 1 : video ? static_cast<int64_t>(video->frames.size()) : 0; }
};

// Hashes the input's file or URL, or, when Input::bytes is set, those bytes in memory
// (nothing is written to disk). The result's input does not keep the bytes view.
InputHash hash_input(const Input& input, const InputHashConfig& config);

}  // namespace vhm
