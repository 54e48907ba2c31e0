// Order-independent checksums the bank keeps of what an index holds: of frame rows
// (FramesChecksum, recorded by the store at every commit, see frames_checksum.h) and of
// index ids (IdChecksum, recorded in the cache's metadata). Plain values: no store type.
#pragma once

#include <cstdint>
#include <span>

namespace vhm {

// splitmix64's finaliser.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The sum (mod 2^64) of a 64-bit mix of each frame row (id, hash, inside-bars hash).
struct FramesChecksum {
  uint64_t sum = 0;

  // One frames row: its id, its hash bytes and its inside-bars hash bytes (empty: NULL).
  void add_row(int64_t id, std::span<const uint8_t> hash, std::span<const uint8_t> inside_bars);
  void add(const FramesChecksum& o) { sum += o.sum; }
  FramesChecksum minus(const FramesChecksum& o) const { return {sum - o.sum}; }
  friend bool operator==(const FramesChecksum&, const FramesChecksum&) = default;
};

// Order-independent checksum of a set of index ids.
struct IdChecksum {
  int64_t count = 0;
  uint64_t sum = 0;
  void add(int64_t id) {
    ++count;
    sum += mix64(static_cast<uint64_t>(id));
  }
};

}  // namespace vhm
