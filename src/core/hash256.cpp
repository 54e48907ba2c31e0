#include "core/hash256.h"

namespace vhm {

std::string Hash256::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(kHexLength, '0');
  // Most significant nibble first: words[3] bit 63 down to words[0] bit 0.
  for (int nibble = 0; nibble < kHexLength; ++nibble) {
    const int lowest_bit = (kHexLength - 1 - nibble) * 4;
    out[nibble] = kDigits[(words[lowest_bit >> 6] >> (lowest_bit & 63)) & 0xf];
  }
  return out;
}

std::optional<Hash256> Hash256::from_hex(std::string_view hex) {
  if (hex.size() != kHexLength) return std::nullopt;
  Hash256 h;
  for (int nibble = 0; nibble < kHexLength; ++nibble) {
    const char c = hex[nibble];
    uint64_t v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    const int lowest_bit = (kHexLength - 1 - nibble) * 4;
    h.words[lowest_bit >> 6] |= v << (lowest_bit & 63);
  }
  return h;
}

}  // namespace vhm
