// Matcher: an input (video, image, or raw hashes) against a bank, end to end:
// hash -> codes (each frame, plus its variants) -> one batched bank lookup -> vPDQ
// verdicts per content. The batch CLI (`vhm match`) and the daemon share it.
#pragma once

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "hash/input_hasher.h"
#include "match/vpdq_match.h"
#include "signal/signal_type.h"

namespace vhm {

// Robustness comes from searching variants of each query frame as well as the frame:
// set hashing.video.crop_bars to add the picture inside letterbox/pillarbox bars (it
// also searches the bank's frames by the picture inside their own bars, where stored),
// and `dihedral` (which also sets hashing.video.dihedral) for rotations and flips.
struct MatchConfig {
  InputHashConfig hashing;     // how inputs are hashed (sampling, device, threads, variants)
  MatchThresholds thresholds;  // distance, quality, query/bank percentages
  bool dihedral = false;       // also search the 7 rotations/flips of each image / frame
};

// What a verdict says about its content, from the bank, and which signal's index
// found the hits behind it.
struct VerdictContent {
  ContentVerdict verdict;
  std::string external_id, label;
  ContentKind kind = ContentKind::kVideo;
  SignalId signal = SignalId::kPdq;
};

struct InputMatch {
  InputHash hashed;                      // status not OK: hashing or lookup failed
  std::vector<QueryFrame> frames;        // the query's frames
  std::vector<VerdictContent> verdicts;  // every content hit, best first
  size_t codes_searched = 0;
  double lookup_seconds = 0;
  bool matched() const {
    return std::any_of(verdicts.begin(), verdicts.end(), [](const VerdictContent& v) { return v.verdict.match; });
  }
};

// One raw hash's hits, best first (the raw lookup exchanges rely on).
struct HashHit {
  int64_t content = 0;
  std::string external_id, label;
  ContentKind kind = ContentKind::kVideo;
  SignalId signal = SignalId::kPdq;  // whose index the hit came from
  int distance = 0;
  int frame = 0;          // the content's frame number
  double seconds = 0;     // and its timestamp
};

class Matcher {
 public:
  Matcher(Bank& bank, MatchConfig config) : bank_(bank), config_(std::move(config)) {}

  InputMatch match_input(const Input& input) const;
  // Hits of each hash within the distance (per hash, nearest first).
  Result<std::vector<std::vector<HashHit>>> match_hashes(std::span<const Hash256> hashes) const;

  const MatchConfig& config() const { return config_; }

 private:
  InputMatch match_input_unguarded(const Input& input) const;
  Bank& bank_;
  MatchConfig config_;
};

}  // namespace vhm
