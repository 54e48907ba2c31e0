// Pruning: a frame within the distance of the last frame kept is dropped.
#include <gtest/gtest.h>

#include <vector>

#include "hash/frame_pruning.h"

namespace vhm {
namespace {

// `base` with its first `bits` bits flipped.
Hash256 flipped(Hash256 base, int bits) {
  for (int k = 0; k < bits; ++k) base.words[k >> 6] ^= uint64_t{1} << (k & 63);
  return base;
}

std::vector<bool> kept(int distance, const std::vector<Hash256>& hashes) {
  FramePruning pruning(distance);
  std::vector<bool> out;
  for (const Hash256& h : hashes) out.push_back(pruning.keep(h));
  return out;
}

const Hash256 kBase = {{0x0123456789abcdefull, 0xfedcba9876543210ull, 0x55aa55aa55aa55aaull, 0x1ull}};

TEST(FramePruning, OffKeepsEveryFrameRepeatsIncluded) {
  EXPECT_EQ(kept(-1, {kBase, kBase, kBase, flipped(kBase, 1)}), (std::vector<bool>{true, true, true, true}));
}

TEST(FramePruning, ZeroDropsExactRepeatsOnly) {
  EXPECT_EQ(kept(0, {kBase, kBase, flipped(kBase, 1), flipped(kBase, 1), kBase}),
            (std::vector<bool>{true, false, true, false, true}));
}

TEST(FramePruning, ComparesWithTheLastFrameKeptNotTheLastSeen) {
  // A slow drift of one bit a frame: with distance 2, every third frame is kept.
  std::vector<Hash256> drift;
  for (int i = 0; i < 7; ++i) drift.push_back(flipped(kBase, i));
  EXPECT_EQ(kept(2, drift), (std::vector<bool>{true, false, false, true, false, false, true}));
}

TEST(FramePruning, TheDistanceIsInclusive) {
  EXPECT_EQ(kept(3, {kBase, flipped(kBase, 3), flipped(kBase, 4)}), (std::vector<bool>{true, false, true}));
}

TEST(FramePruning, DistancesOutsideMinusOneTo256AreInvalid) {
  for (const int ok : {-1, 0, 31, 256}) EXPECT_TRUE(FramePruning::check_distance(ok).is_ok()) << ok;
  for (const int bad : {-2, 257, -1000})
    EXPECT_EQ(FramePruning::check_distance(bad).code(), StatusCode::kInvalidArgument) << bad;
}

}  // namespace
}  // namespace vhm
