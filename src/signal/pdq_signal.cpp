#include "signal/pdq_signal.h"

#include <cstring>

namespace vhm {

std::vector<uint8_t> PdqSignal::value_of(const Hash256& h) { return {h.bytes(), h.bytes() + sizeof(Hash256)}; }

std::optional<Hash256> PdqSignal::hash_of(std::span<const uint8_t> value) {
  if (value.size() != sizeof(Hash256)) return std::nullopt;
  Hash256 h;
  std::memcpy(h.words.data(), value.data(), sizeof(Hash256));
  return h;
}

std::string PdqSignal::format_value(std::span<const uint8_t> value) const {
  const auto h = hash_of(value);
  return h ? h->to_hex() : std::string();
}

Result<std::vector<uint8_t>> PdqSignal::parse_value(std::string_view text) const {
  const auto h = Hash256::from_hex(text);
  if (!h)
    return Status(StatusCode::kInvalidArgument,
                  "a PDQ hash is 64 hex digits (got " + std::to_string(text.size()) + " characters)");
  return value_of(*h);
}

Result<SignalComparison> PdqSignal::compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                            double threshold) const {
  const auto ha = hash_of(a), hb = hash_of(b);
  if (!ha || !hb) return Status(StatusCode::kInvalidArgument, "a PDQ value is 32 bytes");
  const int d = ha->hamming(*hb);
  return SignalComparison{d <= threshold, static_cast<double>(d)};
}

Result<std::unique_ptr<HashIndex>> PdqSignal::make_hamming_index(const std::string& spec) const {
  return make_hash_index(spec);
}

}  // namespace vhm
