#include "bank/cache_expectation.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "bank/bank_index_ids.h"

namespace vhm {
namespace {

// Frames of the cache spot-checked at load, and inside-bars codes besides them.
constexpr int kCacheProbes = 16;
constexpr int kCacheInsideBarsProbes = 4;

}  // namespace

Result<ExpectedCache> expected_cache(const SqliteDb& db, int64_t generation, int64_t max_frame_id) {
  // The contents' frame counts are the database's word, not the rows: each live id is
  // one row, so more ids than rows (a damaged count) must stop the count, not run it
  // to 2^63.
  auto rows = db.query_int("SELECT count(*) FROM frames WHERE id <= " + std::to_string(max_frame_id));
  if (!rows) return rows.status();
  auto s = db.prepare(
      // A content without frames (whole-content signals only, format 4) holds no index id.
      "SELECT first_frame_id, frame_count FROM contents WHERE first_frame_id <= ?1 AND added_generation <= ?2 "
      "AND (removed_generation IS NULL OR removed_generation > ?2) AND frame_count != 0 ORDER BY id");
  if (!s) return s.status();
  s->bind(1, max_frame_id).bind(2, generation);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  ExpectedCache e;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    const int64_t first = s->column_int(0), n = s->column_int(1);
    if (n < 1 || n > *rows - e.ids.count || first < 1 || first > max_frame_id - n + 1)
      return Status(StatusCode::kCorrupt,
                    "a content's frame range (first " + std::to_string(first) + ", " + std::to_string(n) +
                        " frames) does not fit the frame rows (damaged bank: run 'vhm bank verify')",
                    db.subject());
    ranges.emplace_back(first, n);
    for (int64_t i = 0; i < n; ++i) e.ids.add(first + i);
  }
  std::sort(ranges.begin(), ranges.end());
  const int64_t frames = e.ids.count;
  if (frames > 0) {
    const int64_t want = std::min<int64_t>(kCacheProbes, frames);
    size_t r = 0;
    int64_t before = 0;  // ids in ranges[0..r)
    for (int64_t k = 0; k < want; ++k) {
      const int64_t target = k * frames / want;  // the target-th id overall
      while (target >= before + ranges[r].second) before += ranges[r++].second;
      e.probes.push_back(ranges[r].first + (target - before));
    }
  }
  // Only frames that have an inside-bars hash are read (the partial index
  // frames_inside_bars), so a bank without bars pays nothing for this.
  auto b = db.prepare("SELECT id FROM frames WHERE inside_bars_hash IS NOT NULL AND id <= ? ORDER BY id");
  if (!b) return b.status();
  b->bind(1, max_frame_id);
  std::vector<int64_t> barred;
  while (true) {
    auto row = b->step();
    if (!row) return row.status();
    if (!*row) break;
    const int64_t id = b->column_int(0);
    auto it = std::upper_bound(ranges.begin(), ranges.end(), id,
                               [](int64_t v, const std::pair<int64_t, int64_t>& r) { return v < r.first; });
    if (it == ranges.begin() || id >= std::prev(it)->first + std::prev(it)->second) continue;  // not live then
    barred.push_back(id);
    e.ids.add(inside_bars_index_id(id));
  }
  e.inside_bars = static_cast<int64_t>(barred.size());
  const int64_t want = std::min<int64_t>(kCacheInsideBarsProbes, e.inside_bars);
  for (int64_t k = 0; k < want; ++k) e.probes.push_back(inside_bars_index_id(barred[k * e.inside_bars / want]));
  return e;
}

}  // namespace vhm
