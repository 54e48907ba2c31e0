// Pruning: a frame whose hash is within `distance` bits of the last frame kept adds
// nothing a match could use (a still scene, a slide), so it is dropped. Compared with
// the last frame kept, not the last one seen: a slow fade is kept every `distance` bits
// instead of vanishing whole, one small step at a time.
#pragma once

#include <optional>

#include "core/hash256.h"
#include "core/status.h"

namespace vhm {

class FramePruning {
 public:
  // -1 keeps every frame; 0 drops exact consecutive repeats only.
  explicit FramePruning(int distance) : distance_(distance) {}

  // kInvalidArgument unless `distance` is -1 (off) or 0..256.
  static Status check_distance(int distance) {
    if (distance < -1 || distance > Hash256::kBits)
      return {StatusCode::kInvalidArgument, "the prune distance must be -1 (off) or 0..256"};
    return Status::ok();
  }

  // Whether the frame hashed `hash` (the next in order) is kept; a kept frame is the
  // one the following frames are compared with.
  bool keep(const Hash256& hash) {
    if (distance_ >= 0 && last_kept_ && last_kept_->hamming(hash) <= distance_) return false;
    last_kept_ = hash;
    return true;
  }

 private:
  int distance_;
  std::optional<Hash256> last_kept_;
};

}  // namespace vhm
