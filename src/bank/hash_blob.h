// The 32 stored bytes of a hash: byte b holds bits 8b..8b+7 (FAISS's binary code
// layout, Hash256), NOT the hex string's byte order. Every store writes and reads
// hashes this way (docs/BANK.md, "Schema").
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/hash256.h"

namespace vhm {

inline std::array<uint8_t, 32> hash_to_blob(const Hash256& h) {
  std::array<uint8_t, 32> b{};
  for (int i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(h.words[i >> 3] >> ((i & 7) * 8));
  return b;
}

// False (h unspecified) unless `b` is exactly 32 bytes: a damaged row, never a crash.
inline bool hash_from_blob(std::span<const uint8_t> b, Hash256& h) {
  if (b.size() != 32) return false;
  h.clear();
  for (int i = 0; i < 32; ++i) h.words[i >> 3] |= uint64_t{b[i]} << ((i & 7) * 8);
  return true;
}

}  // namespace vhm
