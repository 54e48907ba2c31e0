// Variants: the hashes of a frame, beside its own, that let a match survive an edit
// (VideoHashConfig::crop_bars, ::dihedral). Not part of the reference's vPDQ lines.
//   - inside bars: a frame with letterbox/pillarbox bars (hash/letterbox.h) is hashed
//     again without them, since bars shift every bit. Only frames on the host: those
//     decoded on the GPU keep their pixels on the device, where bars are not looked for;
//   - dihedral: the 7 rotations and flips, derived from the frame's DCT (no re-hash).
// This is the one place that writes FrameHash's variant fields.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/pdq_hash.h"
#include "core/status.h"
#include "core/video_hash.h"
#include "hash/pdq.h"
#include "hash/pdq_hasher.h"

namespace vhm {

struct FrameVariantOptions {
  bool crop_bars = false;
  bool dihedral = false;
};

// The variants of one batch of frames: hash_batch() once the batch is decoded, then
// add_to() for each of its frames. One per batch in flight (it holds that batch's
// inside-bars hashes).
class BatchVariants {
 public:
  explicit BatchVariants(FrameVariantOptions options) : options_(options) {}

  // Whether the batch's main hashing must return each frame's DCT (for add_to).
  bool wants_dcts() const { return options_.dihedral; }

  // Finds the bars of the batch's host frames and hashes the pictures inside them with
  // `hasher` (the one the main hashes came from: same bits on any device).
  Status hash_batch(PdqHasher& hasher, std::span<const ImageView> frames, std::span<const PixelMemory> memory);

  // Adds the variants of frame `i` of the batch to `frame`; `dct` is its DCT (null
  // unless wants_dcts()).
  void add_to(size_t i, const PdqDct* dct, FrameHash& frame) const;

 private:
  FrameVariantOptions options_;
  std::vector<ImageView> inside_views_;  // the pictures inside bars, and
  std::vector<int> inside_of_frame_;     // for each frame of the batch, its entry (-1: none)
  std::vector<PdqHash> inside_hashes_;
};

}  // namespace vhm
