#include "signal/digest_signal.h"

#include <algorithm>

namespace vhm {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string DigestSignal::format_value(std::span<const uint8_t> value) const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size() * 2);
  for (uint8_t b : value) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<std::vector<uint8_t>> DigestSignal::parse_value(std::string_view text) const {
  const auto bad = [&] {
    return Status(StatusCode::kInvalidArgument, std::string("a ") + std::string(display_) + " is " +
                                                    std::to_string(bytes_ * 2) + " hex digits (got '" +
                                                    std::string(text.substr(0, 80)) + "')");
  };
  if (text.size() != bytes_ * 2) return bad();
  std::vector<uint8_t> out(bytes_);
  for (size_t i = 0; i < bytes_; ++i) {
    const int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return bad();
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

Result<SignalComparison> DigestSignal::compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                               double threshold) const {
  if (a.size() != bytes_ || b.size() != bytes_)
    return Status(StatusCode::kInvalidArgument,
                  std::string("a ") + std::string(display_) + " value is " + std::to_string(bytes_) + " bytes");
  const double distance = std::equal(a.begin(), a.end(), b.begin()) ? 0 : 1;
  return SignalComparison{distance <= threshold, distance};
}

Result<std::unique_ptr<HashIndex>> DigestSignal::make_hamming_index(const std::string&) const {
  return Status(StatusCode::kUnsupported, std::string(name_) + " is looked up by value, not in a Hamming index");
}

}  // namespace vhm
