// Matcher: an input (video, image, or raw hashes) against a bank, end to end:
// hash -> codes (each frame, plus its variants) -> one batched bank lookup -> vPDQ
// verdicts per content; and, for a video, its whole-content signals (the file's MD5 and
// SHA-256, its TMK+PDQF) against the bank's, each computed only when some live content
// of the bank holds that signal, all from the same read and decode. The batch CLI
// (`vhm match`) and the daemon share it.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "hash/input_hasher.h"
#include "match/hash_list.h"
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
  // TMK thresholds and its level-1 short list (Bank::lookup_signals).
  SignalLookupOptions signal_lookup;
  // Compute a video query's TMK+PDQF when the bank holds TMKs. It needs every frame
  // decoded, which under key-frame sampling is most of a query's time (the corpus: 8.0
  // s against 0.83 s, docs/BENCHMARKS.md); false saves that, and contents known by TMK
  // alone can then not match.
  bool tmk = true;
};

// What a verdict says about its content, from the bank, and which signal's index
// found the hits behind it. A PDQ verdict is `verdict` (vPDQ's percentages, or a
// single image's hit); a whole-content signal's (video_md5, video_sha256, tmk) is a
// match by definition: `verdict` holds its content and match = true, and
// `whole_content` the lookup's hit (TMK: both levels, period and offset).
struct VerdictContent {
  ContentVerdict verdict;
  std::string external_id, label;
  ContentKind kind = ContentKind::kVideo;
  SignalId signal = SignalId::kPdq;
  std::optional<SignalHit> whole_content;
};

// Which step of matching an input failed: the front doors answer for the input (a
// client error, not worth a retry) or for the bank (a server error, worth a retry) by
// this, never by guessing from what else the result holds.
enum class MatchFailure : uint8_t {
  kNone,     // hashed and looked up
  kHashing,  // the input could not be hashed: unreadable, not media, over a limit
  kLookup,   // hashed, but the bank's lookup or a read of a hit content failed
};
const char* match_failure_name(MatchFailure failure);  // "none", "hashing", "lookup"

struct InputMatch {
  InputHash hashed;  // the input and its hashes (hashed.status: the hashing's own outcome)
  MatchFailure failure = MatchFailure::kNone;
  Status status;                   // OK, or why the step `failure` names failed (its subject the input)
  std::vector<QueryFrame> frames;  // the query's frames
  // Every (content, signal) hit, matches first: whole-content signals (digests, then
  // TMK), then vPDQ's, each in its order; then vPDQ's non-matching contents.
  std::vector<VerdictContent> verdicts;
  std::vector<SignalId> signals_searched;  // PDQ, then the whole-content signals queried
  size_t codes_searched = 0;
  double lookup_seconds = 0;
  bool ok() const { return failure == MatchFailure::kNone; }
  bool matched() const {
    return std::any_of(verdicts.begin(), verdicts.end(), [](const VerdictContent& v) { return v.verdict.match; });
  }
};

// One raw hash's hits, best first (the raw lookup exchanges rely on). A PDQ hit names
// the content's frame; a whole-content signal's hit (a listed video_md5, video_sha256
// or tmk value) carries the lookup's hit instead (TMK: both levels and the alignment).
struct HashHit {
  int64_t content = 0;
  std::string external_id, label;
  ContentKind kind = ContentKind::kVideo;
  SignalId signal = SignalId::kPdq;  // whose index the hit came from
  int distance = 0;
  int frame = 0;       // the content's frame number
  double seconds = 0;  // and its timestamp
  std::optional<SignalHit> whole_content;
};

// The hits of a hash list's entries (match/hash_list.h), each vector in its list's order.
struct HashListHits {
  std::vector<std::vector<HashHit>> pdq;      // of HashList::hashes
  std::vector<std::vector<HashHit>> signals;  // of HashList::signals
};

class Matcher {
 public:
  Matcher(Bank& bank, MatchConfig config) : bank_(bank), config_(std::move(config)) {}

  InputMatch match_input(const Input& input) const;
  // Hits of each hash within the distance (per hash, nearest first).
  Result<std::vector<std::vector<HashHit>>> match_hashes(std::span<const Hash256> hashes) const;
  // Hits of each whole-content signal value (per value, by content id), at the config's
  // signal_lookup thresholds.
  Result<std::vector<std::vector<HashHit>>> match_signal_values(std::span<const SignalQuery> values) const;
  // Both of the above for a list's entries: list.hashes' hits, then list.signals'.
  Result<HashListHits> match_hash_list(const HashList& list) const;

  const MatchConfig& config() const { return config_; }

 private:
  void match_input_unguarded(const Input& input, InputMatch& m) const;
  // Looks up the hashed video's whole-content signals of `held` and appends their verdicts.
  Status match_whole_content(const VideoHash& video, std::span<const SignalId> held, InputMatch& m) const;
  Bank& bank_;
  MatchConfig config_;
};

}  // namespace vhm
