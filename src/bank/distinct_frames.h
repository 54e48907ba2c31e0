// Which of a content's frames a store keeps: the first of each distinct hash, in order
// (the reference vPDQ matcher dedupes before it computes match percentages). Only the
// hash as hashed decides; inside-bars hashes never make two frames duplicates. Every
// store applies the same rule, so it lives here rather than in one of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "core/hash256.h"
#include "hash/video_hasher.h"

namespace vhm {

struct Hash256Hasher {
  size_t operator()(const Hash256& h) const {
    uint64_t x = h.words[0] * 0x9E3779B97F4A7C15ULL;
    x ^= h.words[1] + 0x632BE59BD9B4E019ULL + (x << 6) + (x >> 2);
    x ^= h.words[2] + 0x85157AF5ULL + (x << 6) + (x >> 2);
    x ^= h.words[3] + (x << 6) + (x >> 2);
    return static_cast<size_t>(x);
  }
};

// Reusable across contents: keeps its buffers between calls.
class DistinctFrames {
 public:
  // The frames to store, pointing into `frames` (valid while it is).
  const std::vector<const FrameHash*>& of(std::span<const FrameHash> frames) {
    seen_.clear();
    kept_.clear();
    for (const FrameHash& f : frames)
      if (seen_.insert(f.hash).second) kept_.push_back(&f);
    return kept_;
  }

 private:
  std::unordered_set<Hash256, Hash256Hasher> seen_;
  std::vector<const FrameHash*> kept_;
};

}  // namespace vhm
