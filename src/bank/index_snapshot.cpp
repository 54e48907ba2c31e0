#include "bank/index_snapshot.h"

#include <algorithm>
#include <tuple>

#include "bank/bank_index_ids.h"

namespace vhm {

std::string IndexSnapshot::origin_text() const {
  switch (origin) {
    case IndexOrigin::kCache:
      return "cache";
    case IndexOrigin::kMerged:
      return "merged";
    case IndexOrigin::kRebuilt:
      break;
  }
  return "rebuilt (" + rebuilt_because + ")";
}

int64_t IndexSnapshot::delta_codes() const {
  int64_t n = 0;
  for (const auto& d : deltas) n += static_cast<int64_t>(d.ids->size());
  return n;
}

int64_t IndexSnapshot::delta_inside_bars() const {
  int64_t n = 0;
  for (const auto& d : deltas) n += d.inside_bars;
  return n;
}

const ContentSpan* IndexSnapshot::find(int64_t frame_id) const {
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
    const SpanChunk& c = **it;
    if (c.empty() || frame_id < c.front().first_frame_id) continue;
    auto pos = std::upper_bound(c.begin(), c.end(), frame_id,
                                [](int64_t id, const ContentSpan& s) { return id < s.first_frame_id; });
    if (pos == c.begin()) continue;
    --pos;
    if (frame_id - pos->first_frame_id < pos->frame_count) return &*pos;  // no overflow: frame_count is untrusted
  }
  return nullptr;
}

Result<std::vector<BankHit>> IndexSnapshot::search(std::span<const Hash256> queries, int max_distance,
                                                   const LookupOptions& options, int main_threads,
                                                   const std::string& subject) const {
  std::vector<BankHit> out;
  std::vector<RangeHit> raw;
  SearchOptions main_options;
  main_options.threads = main_threads;
  if (main && main->size() > 0)
    VHM_RETURN_IF_ERROR(main->range_search(queries, max_distance, raw, main_options).with_subject(subject));
  const size_t from_main = raw.size();
  SearchOptions delta_options;
  delta_options.threads = 1;
  for (const auto& d : deltas)
    VHM_RETURN_IF_ERROR(d.index->range_search(queries, max_distance, raw, delta_options).with_subject(subject));
  out.reserve(raw.size());
  bool inside_bars_hit = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const RangeHit& h = raw[i];
    const int64_t frame_id = frame_id_of(h.id);
    const FrameVariant variant = bank_variant_of(h.id);
    if (variant == FrameVariant::kInsideBars && !options.inside_bars) continue;
    if (i >= from_main && frame_id <= main_max_frame_id) continue;  // also in main
    const ContentSpan* span = find(frame_id);
    if (!span)  // a damaged bank (contents' frame ranges that leave frames out), not a vhm bug
      return Status(StatusCode::kCorrupt,
                    "damaged bank: frame " + std::to_string(frame_id) +
                        " lies in no content's frame range (run 'vhm bank verify')",
                    subject);
    if (removed->count(span->content_id)) continue;
    const auto ordinal = static_cast<int32_t>(frame_id - span->first_frame_id);
    out.push_back({h.query, h.distance, span->content_id, frame_id, ordinal, variant});
    inside_bars_hit = inside_bars_hit || variant == FrameVariant::kInsideBars;
  }
  // A frame hit through both of its codes by one query sorts as two neighbours, the
  // nearer first (as stored first on a tie); the second is dropped, so the matcher
  // counts the frame once, as it would a frame without bars.
  std::sort(out.begin(), out.end(), [](const BankHit& a, const BankHit& b) {
    return std::tie(a.query, a.content_id, a.frame_id, a.distance, a.bank_variant) <
           std::tie(b.query, b.content_id, b.frame_id, b.distance, b.bank_variant);
  });
  const auto same_frame = [](const BankHit& a, const BankHit& b) {
    return a.query == b.query && a.frame_id == b.frame_id;
  };
  if (inside_bars_hit) out.erase(std::unique(out.begin(), out.end(), same_frame), out.end());
  return out;
}

}  // namespace vhm
