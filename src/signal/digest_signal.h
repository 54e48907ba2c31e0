// Whole-file digests of a video (python-threatexchange's video_md5, and SHA-256): a
// fixed number of bytes, written as lowercase hex, matching only when equal. The bank
// finds them by value in its store's index (IndexFamily::kExactDigest).
#pragma once

#include "signal/signal_type.h"

namespace vhm {

class DigestSignal final : public SignalType {
 public:
  static DigestSignal video_md5() { return DigestSignal(SignalId::kVideoMd5, "video_md5", "video MD5", 16); }
  static DigestSignal video_sha256() {
    return DigestSignal(SignalId::kVideoSha256, "video_sha256", "video SHA-256", 32);
  }

  SignalId id() const override { return id_; }
  std::string_view name() const override { return name_; }
  std::string_view display_name() const override { return display_; }

  size_t value_bytes() const override { return bytes_; }
  // Lowercase hex; parse takes either case.
  std::string format_value(std::span<const uint8_t> value) const override;
  Result<std::vector<uint8_t>> parse_value(std::string_view text) const override;

  // A match is equality: the distance is 0 for equal values and 1 otherwise, and the
  // threshold (0) says equal.
  double default_threshold() const override { return 0; }
  bool closer_is_lower() const override { return true; }
  Result<SignalComparison> compare(std::span<const uint8_t> a, std::span<const uint8_t> b,
                                   double threshold) const override;

  IndexFamily index_family() const override { return IndexFamily::kExactDigest; }
  Result<std::unique_ptr<HashIndex>> make_hamming_index(const std::string& spec) const override;

 private:
  DigestSignal(SignalId id, std::string_view name, std::string_view display, size_t bytes)
      : id_(id), name_(name), display_(display), bytes_(bytes) {}
  SignalId id_;
  std::string_view name_;
  std::string_view display_;
  size_t bytes_;
};

}  // namespace vhm
