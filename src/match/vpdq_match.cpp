#include "match/vpdq_match.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace vhm {
namespace {

struct HashKey {
  size_t operator()(const Hash256& h) const { return h.words[0] ^ (h.words[1] * 0x9e3779b97f4a7c15ull); }
};

// Positions of frames that count: first occurrence of each exact hash, quality >= q
// (dedupe, then quality filter: python-threatexchange's order).
template <typename Frame>
std::vector<uint32_t> countable(std::span<const Frame> frames, int quality) {
  std::unordered_set<Hash256, HashKey> seen;
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < frames.size(); ++i) {
    if (!seen.insert(frames[i].hash).second) continue;
    if (frames[i].quality >= quality) out.push_back(i);
  }
  return out;
}

// The gap that still joins two matched frames into one time range: a little more than
// the spacing of the frames considered (so sampled hashing joins too), at least 1 s.
double range_gap(const std::vector<double>& times) {
  double median_step = 0;
  if (times.size() > 1) {
    std::vector<double> steps;
    for (size_t i = 1; i < times.size(); ++i) steps.push_back(times[i] - times[i - 1]);
    std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
    median_step = steps[steps.size() / 2];
  }
  return std::max(1.0, 2.5 * median_step);
}

}  // namespace

std::vector<uint32_t> countable_frames(std::span<const QueryFrame> frames, int quality) {
  return countable(frames, quality);
}

std::vector<TimeRange> merge_times(std::vector<double> seconds, double max_gap) {
  std::sort(seconds.begin(), seconds.end());
  std::vector<TimeRange> out;
  for (double t : seconds) {
    if (!out.empty() && t - out.back().end <= max_gap) out.back().end = t;
    else out.push_back({t, t});
  }
  return out;
}

std::vector<ContentVerdict> compute_verdicts(std::span<const QueryFrame> frames, std::span<const QueryCode> codes,
                                             std::span<const MatchHit> hits,
                                             const std::function<const MatchContent&(int64_t)>& content_info,
                                             const MatchThresholds& t) {
  const std::vector<uint32_t> query_countable = countable(frames, t.quality);
  std::vector<char> query_counts(frames.size(), 0);
  for (uint32_t f : query_countable) query_counts[f] = 1;
  std::vector<double> query_times;
  for (uint32_t f : query_countable) query_times.push_back(frames[f].seconds);
  const double query_gap = range_gap(query_times);

  // Hits grouped by content.
  std::unordered_map<int64_t, std::vector<const MatchHit*>> by_content;
  for (const MatchHit& h : hits)
    if (h.distance <= t.distance) by_content[h.content].push_back(&h);

  std::vector<ContentVerdict> verdicts;
  for (auto& [id, content_hits] : by_content) {
    const MatchContent& info = content_info(id);
    const std::span<const ContentFrame> cframes(info.frames);
    const std::vector<uint32_t> content_countable = countable(cframes, t.quality);
    std::vector<char> content_counts(cframes.size(), 0);
    for (uint32_t f : content_countable) content_counts[f] = 1;

    std::vector<char> query_hit(frames.size(), 0), content_hit(cframes.size(), 0);
    ContentVerdict v;
    v.content = id;
    v.single_image = info.single_image;
    v.best_distance = 256;
    for (const MatchHit* h : content_hits) {
      const uint32_t qf = codes[h->code].frame;
      if (!query_counts[qf] || h->content_frame >= cframes.size() || !content_counts[h->content_frame]) continue;
      query_hit[qf] = 1;
      content_hit[h->content_frame] = 1;
      v.best_distance = std::min(v.best_distance, static_cast<int>(h->distance));
    }
    std::vector<double> qt, ct;
    for (uint32_t f : query_countable)
      if (query_hit[f]) qt.push_back(frames[f].seconds);
    std::vector<double> content_times;
    for (uint32_t f : content_countable) {
      content_times.push_back(cframes[f].seconds);
      if (content_hit[f]) ct.push_back(cframes[f].seconds);
    }
    if (qt.empty()) continue;  // hits only on frames that do not count
    v.query_frames_considered = static_cast<int>(query_countable.size());
    v.query_frames_matched = static_cast<int>(qt.size());
    v.content_frames_considered = static_cast<int>(content_countable.size());
    v.content_frames_matched = static_cast<int>(ct.size());
    v.query_match_percent = 100.0 * v.query_frames_matched / v.query_frames_considered;
    v.bank_match_percent =
        v.content_frames_considered ? 100.0 * v.content_frames_matched / v.content_frames_considered : 0;
    v.query_ranges = merge_times(qt, query_gap);
    v.content_ranges = merge_times(ct, range_gap(content_times));
    v.match = info.single_image
                  ? true
                  : v.query_match_percent >= t.query_threshold && v.bank_match_percent >= t.bank_threshold;
    verdicts.push_back(std::move(v));
  }
  std::sort(verdicts.begin(), verdicts.end(), [](const ContentVerdict& a, const ContentVerdict& b) {
    if (a.match != b.match) return a.match;
    if (a.query_match_percent != b.query_match_percent) return a.query_match_percent > b.query_match_percent;
    if (a.bank_match_percent != b.bank_match_percent) return a.bank_match_percent > b.bank_match_percent;
    return a.content < b.content;
  });
  return verdicts;
}

std::pair<double, double> vpdq_match_brute(std::span<const QueryFrame> query, std::span<const ContentFrame> target,
                                           const MatchThresholds& t) {
  const auto q = countable(query, t.quality);
  const auto c = countable(target, t.quality);
  if (q.empty() || c.empty()) return {0, 0};
  auto in_other = [&](auto& a_frames, const std::vector<uint32_t>& a, auto& b_frames, const std::vector<uint32_t>& b) {
    int n = 0;
    for (uint32_t i : a)
      for (uint32_t j : b)
        if (a_frames[i].hash.hamming(b_frames[j].hash) <= t.distance) {
          ++n;
          break;
        }
    return n;
  };
  return {100.0 * in_other(query, q, target, c) / q.size(), 100.0 * in_other(target, c, query, q) / c.size()};
}

}  // namespace vhm
