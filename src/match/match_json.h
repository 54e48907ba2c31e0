// The JSON objects `vhm match` prints, one per input or per raw hash, written in one
// place so that the batch CLI (`vhm match --format jsonl`, `--hashes`) and the daemon
// (`vhm serve`: POST /v1/match, /v1/lookup) can never drift apart.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash256.h"
#include "core/status.h"
#include "match/hash_list.h"
#include "match/matcher.h"

namespace vhm {

// One input's result: path, type, match, frames, codes_searched, hash_s, lookup_s,
// md5 and sha256 (when known), signals_searched ("pdq", then the whole-content signals
// the bank holds that the input was looked up by), verdicts and, with `with_hashes`,
// the input's frame hashes (frame, pts, quality, pdq). A verdict: content_id,
// external_id, label, content_kind ("video", "image"), signal ("pdq", "video_md5",
// "video_sha256", "tmk"), match, then its signal's own: pdq has both percentages, best
// distance, the counts behind them and the matched time ranges in the input and in the
// content; tmk level1, level2, period, offset_frames and offset_s (where the input
// sits in the content, docs/TMK.md); a digest nothing more. A failed input is
// {path, error, code, failed}.
nlohmann::json match_json(const InputMatch& m, bool with_hashes);

// One raw hash's hits, nearest first: {line, pdq, match, hits: [{content_id,
// external_id, label, content_kind, signal, distance, frame, pts}]}.
nlohmann::json hash_hits_json(int line, const Hash256& hash, const std::vector<HashHit>& hits);
// One listed whole-content value's hits, by content id: {line, signal, value (a
// digest's hex; a TMK's is left out), match, hits: [{content_id, external_id, label,
// content_kind, signal, and a TMK's level1, level2, period, offset_frames, offset_s}]}.
nlohmann::json signal_hits_json(const ListedSignal& listed, const std::vector<HashHit>& hits);
// A list's results in line order: hash_hits_json of each PDQ hash, signal_hits_json of
// each other value (`hits` from Matcher::match_hash_list of `list`).
std::vector<nlohmann::json> hash_list_json(const HashList& list, const HashListHits& hits);

// The readers of those two shapes (the tests hold every writer to a round trip, and a
// client in C++ reads what the daemon says): a verdict as written, its percentages to
// the hundredth and its times to the millisecond as json_percent/json_seconds round
// them. kCorrupt names the first field missing or of the wrong type, or a content_kind
// or signal this vhm does not know.
Result<std::vector<VerdictContent>> verdicts_from_json(const nlohmann::json& input_result);
Result<std::vector<HashHit>> hash_hits_from_json(const nlohmann::json& hash_result);

// A line of a hash list that is not a hash: {line, error}.
nlohmann::json hash_error_json(int line, const std::string& error);

}  // namespace vhm
