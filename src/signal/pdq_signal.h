// The PDQ signal: one 256-bit PDQ hash (of an image, or of each sampled frame of a
// video: vPDQ is PDQ per frame), written as 64 hex digits, held in the bank's
// HashIndex, matching when the Hamming distance is at most the threshold (31).
#pragma once

#include <optional>
#include <vector>

#include "signal/signal_type.h"

namespace vhm {

class PdqSignal final : public SignalType {
 public:
  SignalId id() const override { return SignalId::kPdq; }
  std::string_view name() const override { return "pdq"; }
  std::string_view display_name() const override { return "PDQ"; }

  size_t value_bytes() const override { return sizeof(Hash256); }
  std::string format_value(std::span<const uint8_t> value) const override;
  Result<std::vector<uint8_t>> parse_value(std::string_view text) const override;

  // PDQ's match distance (inclusive: python-threatexchange's "<= 31").
  static constexpr int kDefaultDistance = 31;
  double default_threshold() const override { return kDefaultDistance; }
  bool closer_is_lower() const override { return true; }
  Result<SignalComparison> compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                   double threshold) const override;

  IndexFamily index_family() const override { return IndexFamily::kHamming256; }
  Result<std::unique_ptr<HashIndex>> make_hamming_index(const std::string& spec) const override;

  // A value as a Hash256, and back: the form the index and FrameHash use.
  static std::vector<uint8_t> value_of(const Hash256& h);
  static std::optional<Hash256> hash_of(std::span<const uint8_t> value);
};

}  // namespace vhm
