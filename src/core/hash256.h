// Hash256: a 256-bit PDQ hash.
//
// Bit k (0..255) is bit k%64 of words[k/64], so the 32 bytes in memory (little-endian)
// are the code FAISS's binary indexes take, byte b holding bits 8b..8b+7.
// Hex follows Meta's reference exactly: the 16-bit words w[15] down to w[0], each
// as 4 lowercase hex digits, which is the 256-bit number printed big-endian.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vhm {

struct Hash256 {
  std::array<uint64_t, 4> words{};

  static constexpr int kBits = 256;
  static constexpr int kHexLength = 64;

  void set_bit(int k) { words[k >> 6] |= uint64_t{1} << (k & 63); }
  bool bit(int k) const { return (words[k >> 6] >> (k & 63)) & 1; }
  void clear() { words = {}; }
  bool is_zero() const { return (words[0] | words[1] | words[2] | words[3]) == 0; }

  int popcount() const {
    return std::popcount(words[0]) + std::popcount(words[1]) + std::popcount(words[2]) + std::popcount(words[3]);
  }
  int hamming(const Hash256& o) const {
    return std::popcount(words[0] ^ o.words[0]) + std::popcount(words[1] ^ o.words[1]) +
           std::popcount(words[2] ^ o.words[2]) + std::popcount(words[3] ^ o.words[3]);
  }

  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(words.data()); }

  std::string to_hex() const;
  // Accepts exactly 64 hex digits (either case); nothing else.
  static std::optional<Hash256> from_hex(std::string_view hex);

  friend bool operator==(const Hash256&, const Hash256&) = default;
  friend auto operator<=>(const Hash256&, const Hash256&) = default;
};

static_assert(sizeof(Hash256) == 32, "Hash256 must be exactly the 32-byte code");

}  // namespace vhm
