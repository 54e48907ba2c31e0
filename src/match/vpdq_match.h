// vPDQ verdicts: how much of a query video is in a bank content and how much of the
// content is in the query, computed from index hits (never by rescanning the bank).
//
// Definitions (python-threatexchange's, which HMA uses; see docs/MATCHING.md for the
// choice): frames are deduplicated by exact hash, then those with quality below
// `quality` are dropped, on both sides. Two frames match when their Hamming distance
// is AT MOST `distance` (31: inclusive; Meta's C++ matcher uses "< distance").
//   query-match % = matched unique query frames / unique query frames
//   bank-match %  = matched unique content frames / unique content frames
// A video content matches when query-match >= query_threshold AND bank-match >=
// bank_threshold (defaults 80 and 0, as python-threatexchange). A single-image
// content (signal "pdq") matches when any query frame is within `distance`.
//
// A query frame may carry variants (the picture inside letterbox bars, dihedral
// transforms): it matches a content frame when any of its variants does.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/frame_variant.h"
#include "core/hash256.h"

namespace vhm {

struct MatchThresholds {
  int distance = 31;            // inclusive Hamming distance for a frame match
  int quality = 50;             // frames below this quality are ignored (both sides)
  double query_threshold = 80;  // query-match % needed for a video verdict
  double bank_threshold = 0;    // bank-match % needed for a video verdict
};

struct QueryFrame {
  int index = 0;       // frame number in the query
  double seconds = 0;  // its timestamp
  int quality = 0;
  Hash256 hash;
};

// One hash to search for: the frame it belongs to (position in the query's frame
// list) and the variant it is.
struct QueryCode {
  uint32_t frame = 0;
  FrameVariant variant = FrameVariant::kOriginal;
  Hash256 hash;
};

struct ContentFrame {
  int index = 0;
  double seconds = 0;
  int quality = 0;
  Hash256 hash;
};

// What the matcher needs to know of a content that was hit.
struct MatchContent {
  int64_t id = 0;
  bool single_image = false;         // a "pdq" signal: one image hash
  std::vector<ContentFrame> frames;  // all of them, in frame order
};

// A code of the query (position in the code list) within distance of a content frame
// (position in MatchContent::frames).
struct MatchHit {
  uint32_t code = 0;
  int64_t content = 0;
  uint32_t content_frame = 0;
  int32_t distance = 0;
};

struct TimeRange {
  double start = 0, end = 0;
  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

struct ContentVerdict {
  int64_t content = 0;
  bool single_image = false;
  bool match = false;
  double query_match_percent = 0;
  double bank_match_percent = 0;
  int best_distance = 0;
  int query_frames_matched = 0, query_frames_considered = 0;
  int content_frames_matched = 0, content_frames_considered = 0;
  std::vector<TimeRange> query_ranges;    // where in the query the matched frames are
  std::vector<TimeRange> content_ranges;  // where in the content
};

// The frames of a query that count (unique hash, quality >= threshold), as positions.
std::vector<uint32_t> countable_frames(std::span<const QueryFrame> frames, int quality);

// Verdicts for every content that has at least one hit, best first (match, then
// query-match %, then bank-match %). `content_info(id)` supplies the content's frames.
std::vector<ContentVerdict> compute_verdicts(std::span<const QueryFrame> frames, std::span<const QueryCode> codes,
                                             std::span<const MatchHit> hits,
                                             const std::function<const MatchContent&(int64_t)>& content_info,
                                             const MatchThresholds& thresholds);

// Brute force over two frame lists, python-threatexchange's definition exactly (the
// twin the indexed path is tested against): {query-match %, bank-match %}.
std::pair<double, double> vpdq_match_brute(std::span<const QueryFrame> query, std::span<const ContentFrame> target,
                                           const MatchThresholds& thresholds);

// Joins sorted timestamps into ranges, a gap larger than `max_gap` seconds starting a
// new range.
std::vector<TimeRange> merge_times(std::vector<double> seconds, double max_gap);

}  // namespace vhm
