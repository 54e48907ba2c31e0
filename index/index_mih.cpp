#include "index/index_mih.h"

#include <xmmintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

#include "index/hamming_scan.h"
#include "index/index_flat.h"
#include "index/search_util.h"

namespace vhm {
namespace {

using namespace index_detail;
using hamming::ScanHit;

constexpr int kMaxBits = 28;  // offsets of a table: 2^B + 1 entries
constexpr size_t kChunk = 8;  // queries per parallel chunk

// Relative costs (ns) of one probe (offsets + bucket: two cache misses at worst), one
// candidate (visited bit, code fetch, popcount) and one code of an exhaustive scan.
constexpr double kProbeNs = 12, kCandidateNs = 10, kScanNs = 0.6;

double binomial(int n, int k) {
  if (k < 0 || k > n) return 0;
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}
// Keys within r flips of a B-bit key.
double ball(int bits, int r) {
  double s = 0;
  for (int j = 0; j <= std::min(r, bits); ++j) s += binomial(bits, j);
  return s;
}

// Per-table radii for distance D: a+1 tables at r, the others at r-1 (-1: skipped).
struct Radii {
  int r = 0, wide = 0;  // tables [0, wide) at r, [wide, T) at r-1
};
Radii radii(const MihLayout& l, int max_distance) {
  Radii x;
  x.r = max_distance / l.tables;
  x.wide = max_distance % l.tables + 1;
  return x;
}

// Every B-bit mask of weight <= r, by weight (Gosper's hack per weight): the masks of
// weight <= r-1 are a prefix.
std::vector<uint32_t> masks_upto(int bits, int r) {
  std::vector<uint32_t> out;
  const uint64_t limit = uint64_t{1} << bits;
  for (int w = 0; w <= std::min(r, bits); ++w) {
    if (w == 0) {
      out.push_back(0);
      continue;
    }
    for (uint64_t x = (uint64_t{1} << w) - 1; x < limit;) {
      out.push_back(static_cast<uint32_t>(x));
      const uint64_t c = x & (~x + 1), y = x + c;
      x = (((y ^ x) >> 2) / c) | y;
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------- layout

double MihLayout::probes(int radius) const {
  const Radii x = radii(*this, radius);
  return x.wide * ball(bits, x.r) + (tables - x.wide) * ball(bits, x.r - 1);
}

double MihLayout::candidates(size_t n, int radius) const {
  return static_cast<double>(n) * probes(radius) / std::ldexp(1.0, bits);
}

MihLayout MihLayout::tuned(size_t n, int radius) {
  MihLayout best{16, 16};
  double best_cost = 1e300;
  for (int t = 1; t <= 64; ++t) {
    for (int b = 4; b <= std::min(kMaxBits, 256 / t); ++b) {
      // Offsets of at most ~4 entries per code (memory), but allow 2^12 on tiny banks.
      if (std::ldexp(1.0, b) > std::max<double>(4.0 * static_cast<double>(n), 4096)) continue;
      const MihLayout l{t, b};
      const double cost = l.probes(radius) * kProbeNs + l.candidates(n, radius) * kCandidateNs +
                          t * 1.0;  // ties: fewer tables (memory)
      if (cost < best_cost) best_cost = cost, best = l;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------- index

struct IndexMih::Scratch {
  std::vector<uint64_t> visited;  // bitmap over indexed rows
  std::vector<uint32_t> candidates;
  std::vector<std::pair<uint32_t, uint32_t>> buckets;
  std::vector<uint32_t> keys;
  std::vector<ScanHit> found;
  void prepare(size_t rows) {
    const size_t words = (rows + 63) / 64;
    if (visited.size() < words) visited.assign(words, 0);
  }
};

IndexMih::IndexMih(MihLayout layout) : auto_layout_(layout.tables == 0), layout_(layout) {}

std::string IndexMih::spec() const {
  if (auto_layout_) return "mih";
  return "mih:" + std::to_string(layout_.tables) + "x" + std::to_string(layout_.bits);
}

std::string IndexMih::description() const {
  std::string s = spec();
  if (layout_.tables) {
    const Radii x = radii(layout_, 31);
    char buf[200];
    std::snprintf(buf, sizeof buf, " [%dx%d bits; at D=31: %d tables r=%d, %d r=%d; %.0f probes, ~%.0f candidates]",
                  layout_.tables, layout_.bits, x.wide, x.r, layout_.tables - x.wide, x.r - 1, layout_.probes(31),
                  layout_.candidates(indexed_, 31));
    s += buf;
  }
  return s;
}

size_t IndexMih::memory_bytes() const {
  size_t b = codes_.capacity() * sizeof(Hash256) + ids_.capacity() * sizeof(HashId) + dead_.capacity() * 8;
  for (const auto& t : tables_) b += (t.offsets.capacity() + t.rows.capacity()) * sizeof(uint32_t);
  return b;
}

uint32_t IndexMih::key(const Hash256& code, int table) const {
  const int start = table * layout_.bits;
  const int w = start >> 6, s = start & 63;
  uint64_t v = code.words[w] >> s;
  if (s + layout_.bits > 64) v |= code.words[w + 1] << (64 - s);
  return static_cast<uint32_t>(v & ((uint64_t{1} << layout_.bits) - 1));
}

void IndexMih::compact() {
  if (!dead_count_) return;
  size_t w = 0;
  for (size_t r = 0; r < codes_.size(); ++r) {
    if (dead_[r >> 6] >> (r & 63) & 1) continue;
    codes_[w] = codes_[r];
    ids_[w] = ids_[r];
    ++w;
  }
  codes_.resize(w);
  ids_.resize(w);
  dead_.assign((w + 63) / 64, 0);
  dead_count_ = 0;
  indexed_ = 0;
}

void IndexMih::rebuild() {
  compact();
  if (auto_layout_) layout_ = MihLayout::tuned(codes_.size());
  const size_t n = codes_.size();
  const int t_count = layout_.tables;
  const size_t nkeys = size_t{1} << layout_.bits;
  tables_.assign(t_count, {});
  // Tables in parallel: each pass reads the codes twice (count, then place).
#pragma omp parallel for schedule(dynamic, 1)
  for (int t = 0; t < t_count; ++t) {
    Table& tab = tables_[t];
    tab.offsets.assign(nkeys + 1, 0);
    for (size_t r = 0; r < n; ++r) ++tab.offsets[key(codes_[r], t) + 1];
    for (size_t k = 0; k < nkeys; ++k) tab.offsets[k + 1] += tab.offsets[k];
    std::vector<uint32_t> cursor(tab.offsets.begin(), tab.offsets.end() - 1);
    tab.rows.resize(n);
    for (size_t r = 0; r < n; ++r) tab.rows[cursor[key(codes_[r], t)]++] = static_cast<uint32_t>(r);
  }
  indexed_ = n;
}

Status IndexMih::add(std::span<const Hash256> codes, std::span<const HashId> ids) {
  VHM_RETURN_IF_ERROR(check_add(codes, ids, codes_.size()));
  if (codes.empty()) return Status::ok();
  codes_.insert(codes_.end(), codes.begin(), codes.end());
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  dead_.resize((codes_.size() + 63) / 64, 0);
  const size_t tail = codes_.size() - indexed_;
  if (tail > std::min<size_t>(65536, std::max<size_t>(256, indexed_ / 16))) rebuild();
  return Status::ok();
}

Status IndexMih::remove(std::span<const HashId> ids) {
  const auto gone = sorted_ids(ids);
  if (gone.empty()) return Status::ok();
  for (size_t r = 0; r < codes_.size(); ++r) {
    if ((dead_[r >> 6] >> (r & 63) & 1) || !contains(gone, ids_[r])) continue;
    dead_[r >> 6] |= uint64_t{1} << (r & 63);
    ++dead_count_;
  }
  if (dead_count_ * 4 > codes_.size()) rebuild();
  return Status::ok();
}

bool IndexMih::mih_pays(int max_distance) const {
  if (!scan_fallback_) return true;
  if (indexed_ == 0 || max_distance >= 256) return false;
  const double mih =
      layout_.probes(max_distance) * kProbeNs + layout_.candidates(indexed_, max_distance) * kCandidateNs;
  return mih < static_cast<double>(indexed_) * kScanNs;
}

Status IndexMih::range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                              const SearchOptions& options) const {
  if (max_distance < 0 || codes_.empty() || queries.empty()) return Status::ok();
  const auto& kern = hamming::kernels();
  const bool use_tables = indexed_ > 0 && mih_pays(max_distance);
  const size_t scan_from = use_tables ? indexed_ : 0;  // rows scanned exhaustively
  const Radii rad = use_tables ? radii(layout_, max_distance) : Radii{};
  std::vector<uint32_t> masks;
  size_t narrow_masks = 0;  // masks of weight <= r - 1
  if (use_tables) {
    masks = masks_upto(layout_.bits, rad.r);
    narrow_masks = rad.r >= 1 ? static_cast<size_t>(ball(layout_.bits, rad.r - 1)) : 0;
  }
  run_query_chunks(
      queries.size(), kChunk, resolve_threads(options), hits,
      [&](size_t first, size_t last, std::vector<RangeHit>& out) {
        thread_local Scratch s;
        s.prepare(indexed_);
        for (size_t qi = first; qi < last; ++qi) {
          const Hash256& q = queries[qi];
          s.found.clear();
          if (use_tables) {
            s.candidates.clear();
            for (int t = 0; t < layout_.tables; ++t) {
              const size_t nm = t < rad.wide ? masks.size() : narrow_masks;
              if (nm == 0) continue;
              const Table& tab = tables_[t];
              const uint32_t* off = tab.offsets.data();
              const uint32_t base = key(q, t);
              // Probe: offsets prefetched a few keys ahead, non-empty buckets listed.
              s.buckets.clear();
              constexpr size_t kAhead = 16;
              for (size_t i = 0; i < std::min(nm, kAhead); ++i)
                _mm_prefetch(reinterpret_cast<const char*>(off + (base ^ masks[i])), _MM_HINT_T0);
              for (size_t i = 0; i < nm; ++i) {
                if (i + kAhead < nm)
                  _mm_prefetch(reinterpret_cast<const char*>(off + (base ^ masks[i + kAhead])), _MM_HINT_T0);
                const uint32_t k = base ^ masks[i];
                const uint32_t b = off[k], e = off[k + 1];
                if (b != e) {
                  s.buckets.emplace_back(b, e);
                  _mm_prefetch(reinterpret_cast<const char*>(tab.rows.data() + b), _MM_HINT_T0);
                }
              }
              // Collect the rows not yet seen for this query.
              for (const auto& [b, e] : s.buckets) {
                for (uint32_t j = b; j < e; ++j) {
                  const uint32_t row = tab.rows[j];
                  uint64_t& word = s.visited[row >> 6];
                  const uint64_t bit = uint64_t{1} << (row & 63);
                  if (word & bit) continue;
                  word |= bit;
                  s.candidates.push_back(row);
                }
              }
            }
            kern.verify_rows(codes_.data(), s.candidates.data(), s.candidates.size(), q, max_distance, s.found);
            for (const uint32_t row : s.candidates) s.visited[row >> 6] = 0;
          }
          if (scan_from < codes_.size())
            kern.range_scan(codes_.data() + scan_from, codes_.size() - scan_from, q, max_distance,
                            static_cast<uint32_t>(scan_from), s.found);
          for (const ScanHit& h : s.found)
            if (!is_dead(h.row)) out.push_back({static_cast<uint32_t>(qi), h.distance, ids_[h.row]});
        }
      });
  return Status::ok();
}

void IndexMih::knn_one(const Hash256& q, int k, Scratch& s, Neighbor* out) const {
  const auto& kern = hamming::kernels();
  std::vector<Neighbor> best;
  auto finish_from = [&](const std::vector<ScanHit>& hits, int bound) {
    best.clear();
    for (const ScanHit& h : hits)
      if (h.distance <= bound && !is_dead(h.row)) best.push_back({ids_[h.row], h.distance});
    finish_knn_slice(best, k, out);
  };
  // Every verified candidate, at any distance, plus the whole tail.
  s.found.clear();
  if (indexed_ < codes_.size())
    kern.range_scan(codes_.data() + indexed_, codes_.size() - indexed_, q, 256, static_cast<uint32_t>(indexed_),
                    s.found);
  s.candidates.clear();
  const size_t alive = size();
  double spent = 0;
  for (int r = 0; indexed_ > 0; ++r) {
    if (r > layout_.bits) break;  // every key probed: all indexed rows are candidates
    // Round r: the keys at exactly r flips in every table (earlier rounds did the rest).
    const double round = layout_.tables * binomial(layout_.bits, r);
    spent += round * kProbeNs + static_cast<double>(indexed_) * round / std::ldexp(1.0, layout_.bits) * kCandidateNs;
    if (scan_fallback_ && spent > static_cast<double>(indexed_) * kScanNs * 2) {
      for (const uint32_t row : s.candidates) s.visited[row >> 6] = 0;
      std::vector<ScanHit> all;
      scan_knn(codes_.data(), codes_.size(), q, static_cast<int>(std::min<size_t>(k, alive)),
               dead_count_ ? dead_.data() : nullptr, all);
      finish_from(all, 256);
      return;
    }
    const std::vector<uint32_t> masks = masks_upto(layout_.bits, r);
    const size_t from = r == 0 ? 0 : static_cast<size_t>(ball(layout_.bits, r - 1));
    const size_t before = s.candidates.size();
    for (int t = 0; t < layout_.tables; ++t) {
      const Table& tab = tables_[t];
      const uint32_t base = key(q, t);
      for (size_t i = from; i < masks.size(); ++i) {
        const uint32_t kk = base ^ masks[i];
        for (uint32_t j = tab.offsets[kk]; j < tab.offsets[kk + 1]; ++j) {
          const uint32_t row = tab.rows[j];
          uint64_t& word = s.visited[row >> 6];
          const uint64_t bit = uint64_t{1} << (row & 63);
          if (word & bit) continue;
          word |= bit;
          s.candidates.push_back(row);
        }
      }
    }
    kern.verify_rows(codes_.data(), s.candidates.data() + before, s.candidates.size() - before, q, 256, s.found);
    // Every code within T*(r+1) - 1 has been seen (pigeonhole).
    const int bound = layout_.tables * (r + 1) - 1;
    size_t within = 0;
    for (const ScanHit& h : s.found) within += h.distance <= bound && !is_dead(h.row);
    if (within >= static_cast<size_t>(k) || within >= alive) break;
  }
  for (const uint32_t row : s.candidates) s.visited[row >> 6] = 0;
  // Either k codes within the last bound (so they are the k nearest), or every row seen.
  finish_from(s.found, 256);
}

Status IndexMih::knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                     const SearchOptions& options) const {
  VHM_RETURN_IF_ERROR(check_k(k));
  neighbors.assign(queries.size() * static_cast<size_t>(k), Neighbor{});
  if (k == 0) return Status::ok();
  run_query_slices(queries.size(), 4, resolve_threads(options), [&](size_t first, size_t last) {
    thread_local Scratch s;
    s.prepare(indexed_);
    for (size_t q = first; q < last; ++q) knn_one(queries[q], k, s, neighbors.data() + q * static_cast<size_t>(k));
  });
  return Status::ok();
}

// ---------------------------------------------------------------------------- files

Status IndexMih::save(const std::string& path) const {
  return index_file::write_file(path, spec(), size(), [&](index_file::Writer& w) {
    VHM_RETURN_IF_ERROR(w.write_u64(static_cast<uint64_t>(layout_.tables)));
    VHM_RETURN_IF_ERROR(w.write_u64(static_cast<uint64_t>(layout_.bits)));
    VHM_RETURN_IF_ERROR(w.write_u64(indexed_));
    VHM_RETURN_IF_ERROR(w.write_u64(dead_count_));
    VHM_RETURN_IF_ERROR(w.write_vector(codes_));
    VHM_RETURN_IF_ERROR(w.write_vector(ids_));
    VHM_RETURN_IF_ERROR(w.write_vector(dead_));
    VHM_RETURN_IF_ERROR(w.write_u64(tables_.size()));
    for (const Table& t : tables_) {
      VHM_RETURN_IF_ERROR(w.write_vector(t.offsets));
      VHM_RETURN_IF_ERROR(w.write_vector(t.rows));
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<IndexMih>> IndexMih::load(index_file::Reader& r, MihLayout spec_layout) {
  auto index = std::make_unique<IndexMih>(spec_layout);
  uint64_t tables = 0, bits = 0, indexed = 0, dead = 0;
  VHM_RETURN_IF_ERROR(r.read_u64(tables));
  VHM_RETURN_IF_ERROR(r.read_u64(bits));
  VHM_RETURN_IF_ERROR(r.read_u64(indexed));
  VHM_RETURN_IF_ERROR(r.read_u64(dead));
  const bool no_tables = tables == 0 && indexed == 0;
  if (!no_tables && (tables < 1 || bits < 1 || bits > kMaxBits || tables * bits > 256))
    return r.corrupt("impossible MIH layout");
  if (spec_layout.tables &&
      (spec_layout.tables != static_cast<int>(tables) || spec_layout.bits != static_cast<int>(bits)))
    return r.corrupt("MIH layout disagrees with the spec");
  index->layout_ = {static_cast<int>(tables), static_cast<int>(bits)};
  VHM_RETURN_IF_ERROR(r.read_vector(index->codes_));
  VHM_RETURN_IF_ERROR(r.read_vector(index->ids_));
  VHM_RETURN_IF_ERROR(r.read_vector(index->dead_));
  const size_t n = index->codes_.size();
  if (index->ids_.size() != n || index->dead_.size() != (n + 63) / 64 || indexed > n || dead > n ||
      n - dead != r.header().count)
    return r.corrupt("MIH sizes disagree");
  size_t counted = 0;
  for (const uint64_t w : index->dead_) counted += std::popcount(w);
  if (counted != dead) return r.corrupt("MIH dead-row count disagrees");
  index->dead_count_ = dead;
  index->indexed_ = indexed;
  uint64_t ntables = 0;
  VHM_RETURN_IF_ERROR(r.read_u64(ntables));
  if (!(ntables == tables || (ntables == 0 && indexed == 0))) return r.corrupt("MIH table count disagrees");
  index->tables_.resize(ntables);
  for (Table& t : index->tables_) {
    VHM_RETURN_IF_ERROR(r.read_vector(t.offsets));
    VHM_RETURN_IF_ERROR(r.read_vector(t.rows));
    // Bounds every search relies on.
    if (t.offsets.size() != (size_t{1} << bits) + 1 || t.rows.size() != indexed || t.offsets.front() != 0 ||
        t.offsets.back() != indexed)
      return r.corrupt("MIH table sizes disagree");
    for (size_t k = 0; k + 1 < t.offsets.size(); ++k)
      if (t.offsets[k] > t.offsets[k + 1]) return r.corrupt("MIH offsets not sorted");
    for (const uint32_t row : t.rows)
      if (row >= indexed) return r.corrupt("MIH row out of range");
  }
  VHM_RETURN_IF_ERROR(r.finish());
  return index;
}

}  // namespace vhm
