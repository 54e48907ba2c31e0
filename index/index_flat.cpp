#include "index/index_flat.h"

#include <algorithm>

#include "index/search_util.h"

namespace vhm {
namespace index_detail {

constexpr size_t kBlock = 4096;  // codes per cache block (128 KiB)
constexpr size_t kChunk = 32;    // queries per chunk

void scan_knn(const Hash256* codes, size_t n, const Hash256& query, int k, const uint64_t* dead,
              std::vector<hamming::ScanHit>& best) {
  best.clear();
  if (k <= 0) return;
  const auto& kern = hamming::kernels();
  auto worse = [](const hamming::ScanHit& a, const hamming::ScanHit& b) { return a.distance < b.distance; };
  uint16_t dist[kBlock];
  for (size_t b = 0; b < n; b += kBlock) {
    const size_t m = std::min(kBlock, n - b);
    kern.distances(codes + b, m, query, dist);
    for (size_t i = 0; i < m; ++i) {
      const uint32_t row = static_cast<uint32_t>(b + i);
      if (dead && (dead[row >> 6] >> (row & 63) & 1)) continue;
      if (best.size() < static_cast<size_t>(k)) {
        best.push_back({row, dist[i]});
        std::push_heap(best.begin(), best.end(), worse);
      } else if (dist[i] < best.front().distance) {
        std::pop_heap(best.begin(), best.end(), worse);
        best.back() = {row, dist[i]};
        std::push_heap(best.begin(), best.end(), worse);
      }
    }
  }
}

void scan_range_chunk(const Hash256* codes, const HashId* ids, size_t n, std::span<const Hash256> queries, size_t first,
                      size_t last, int max_distance, std::vector<RangeHit>& out) {
  const auto& kern = hamming::kernels();
  std::vector<std::vector<hamming::ScanHit>> per_query(last - first);
  for (size_t b = 0; b < n; b += kBlock) {
    const size_t m = std::min(kBlock, n - b);
    for (size_t q = first; q < last; ++q)
      kern.range_scan(codes + b, m, queries[q], max_distance, static_cast<uint32_t>(b), per_query[q - first]);
  }
  for (size_t q = first; q < last; ++q)
    for (const auto& h : per_query[q - first]) out.push_back({static_cast<uint32_t>(q), h.distance, ids[h.row]});
}

}  // namespace index_detail

using namespace index_detail;

size_t IndexFlat::memory_bytes() const {
  return codes_.capacity() * sizeof(Hash256) + ids_.capacity() * sizeof(HashId);
}

Status IndexFlat::add(std::span<const Hash256> codes, std::span<const HashId> ids) {
  VHM_RETURN_IF_ERROR(check_add(codes, ids, codes_.size()));
  codes_.insert(codes_.end(), codes.begin(), codes.end());
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  return Status::ok();
}

Status IndexFlat::remove(std::span<const HashId> ids) {
  const auto gone = sorted_ids(ids);
  size_t w = 0;
  for (size_t r = 0; r < codes_.size(); ++r) {
    if (contains(gone, ids_[r])) continue;
    codes_[w] = codes_[r];
    ids_[w] = ids_[r];
    ++w;
  }
  codes_.resize(w);
  ids_.resize(w);
  return Status::ok();
}

Status IndexFlat::range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                               const SearchOptions& options) const {
  if (max_distance < 0 || codes_.empty()) return Status::ok();
  run_query_chunks(queries.size(), kChunk, resolve_threads(options), hits,
                   [&](size_t first, size_t last, std::vector<RangeHit>& out) {
                     scan_range_chunk(codes_.data(), ids_.data(), codes_.size(), queries, first, last, max_distance,
                                      out);
                   });
  return Status::ok();
}

Status IndexFlat::knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                      const SearchOptions& options) const {
  VHM_RETURN_IF_ERROR(check_k(k));
  neighbors.assign(queries.size() * static_cast<size_t>(k), Neighbor{});
  run_query_slices(queries.size(), 4, resolve_threads(options), [&](size_t first, size_t last) {
    std::vector<hamming::ScanHit> best;
    std::vector<Neighbor> found;
    for (size_t q = first; q < last; ++q) {
      scan_knn(codes_.data(), codes_.size(), queries[q], k, nullptr, best);
      found.clear();
      for (const auto& b : best) found.push_back({ids_[b.row], b.distance});
      finish_knn_slice(found, k, neighbors.data() + q * static_cast<size_t>(k));
    }
  });
  return Status::ok();
}

Status IndexFlat::save(const std::string& path) const {
  return index_file::write_file(path, spec(), codes_.size(), [&](index_file::Writer& w) {
    VHM_RETURN_IF_ERROR(w.write_vector(codes_));
    return w.write_vector(ids_);
  });
}

Result<std::unique_ptr<IndexFlat>> IndexFlat::load(index_file::Reader& r) {
  auto index = std::make_unique<IndexFlat>();
  VHM_RETURN_IF_ERROR(r.read_vector(index->codes_, r.header().count));
  VHM_RETURN_IF_ERROR(r.read_vector(index->ids_, r.header().count));
  if (index->codes_.size() != r.header().count || index->ids_.size() != r.header().count)
    return r.corrupt("code and id counts disagree with the header");
  VHM_RETURN_IF_ERROR(r.finish());
  return index;
}

}  // namespace vhm
