// The TMK+PDQF signal: a video's whole .tmk file (core/tmk_features.h) as its value, so
// that what a bank stores exports back byte for byte. Text form: ThreatExchange's
// "TMK1FVECPDQF|" + base64 of the file after those 12 bytes; plain base64 of the whole
// file (StopNCII's form) is read too. Two values match as Meta's tmk-two-level-score
// says: level-1 (cosine of the pure averages) and level-2 (the kernel's best offset)
// both at least the threshold (0.7 each, the reference's defaults).
#pragma once

#include "core/tmk_features.h"
#include "signal/signal_type.h"

namespace vhm {

class TmkPdqfSignal final : public SignalType {
 public:
  SignalId id() const override { return SignalId::kTmk; }
  std::string_view name() const override { return "tmk"; }
  std::string_view display_name() const override { return "TMK+PDQF"; }

  size_t value_bytes() const override { return 0; }  // the size follows the file's header
  std::string format_value(std::span<const uint8_t> value) const override;
  Result<std::vector<uint8_t>> parse_value(std::string_view text) const override;

  static constexpr double kDefaultLevel1 = 0.7;
  static constexpr double kDefaultLevel2 = 0.7;
  double default_threshold() const override { return kDefaultLevel2; }
  bool closer_is_lower() const override { return false; }
  // Both levels against `threshold`; distance is the level-2 score (0 when level-1 is
  // below the threshold: the reference does not compute level-2 then). kInvalidArgument
  // for a value that is no .tmk file, or two that cannot be compared.
  Result<SignalComparison> compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                   double threshold) const override;

  IndexFamily index_family() const override { return IndexFamily::kTmkTwoLevel; }
  Result<std::unique_ptr<HashIndex>> make_hamming_index(const std::string& spec) const override;

  // The largest value accepted (one reference file is 263,344 bytes).
  static constexpr size_t kMaxValueBytes = 64u << 20;
};

}  // namespace vhm
