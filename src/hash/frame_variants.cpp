#include "hash/frame_variants.h"

#include "hash/letterbox.h"

namespace vhm {

Status BatchVariants::hash_batch(PdqHasher& hasher, std::span<const ImageView> frames,
                                 std::span<const PixelMemory> memory) {
  inside_views_.clear();
  inside_of_frame_.assign(frames.size(), -1);
  inside_hashes_.clear();
  if (!options_.crop_bars) return Status::ok();
  for (size_t i = 0; i < frames.size(); ++i) {
    if (memory[i] != PixelMemory::kHost) continue;
    const CropRect r = detect_bars(frames[i]);
    if (r.empty()) continue;
    inside_of_frame_[i] = static_cast<int>(inside_views_.size());
    inside_views_.push_back(crop_view(frames[i], r));
  }
  inside_hashes_.resize(inside_views_.size());
  if (inside_views_.empty()) return Status::ok();
  return hasher.hash(inside_views_, inside_hashes_);
}

void BatchVariants::add_to(size_t i, const PdqDct* dct, FrameHash& frame) const {
  if (i < inside_of_frame_.size() && inside_of_frame_[i] >= 0) {
    const PdqHash& inside = inside_hashes_[inside_of_frame_[i]];
    frame.has_cropped = true;
    frame.cropped = inside.hash;
    frame.cropped_quality = inside.quality;
  }
  if (dct) {
    const PdqDihedralHashes d = pdq_dihedral_from_dct(*dct);
    frame.dihedral.assign(d.hashes.begin() + 1, d.hashes.end());
  }
}

}  // namespace vhm
