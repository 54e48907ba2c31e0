// Helpers shared by the HashIndex implementations (internal to index/).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "index/hash_index.h"

namespace vhm::index_detail {

inline int resolve_threads(const SearchOptions& options) {
  return options.threads > 0 ? options.threads : std::max(1, omp_get_num_procs());
}

// Runs chunk(first, last, out) over [0, nq) in chunks of `chunk_size` queries on
// `threads` threads; each chunk appends its hits grouped by query, and the chunks are
// joined in query order, so `hits` ends grouped by query in batch order.
template <typename Chunk>
void run_query_chunks(size_t nq, size_t chunk_size, int threads, std::vector<RangeHit>& hits, Chunk&& chunk) {
  const size_t chunks = (nq + chunk_size - 1) / chunk_size;
  if (chunks == 0) return;
  if (chunks == 1 || threads <= 1) {
    for (size_t c = 0; c < chunks; ++c) chunk(c * chunk_size, std::min(nq, (c + 1) * chunk_size), hits);
    return;
  }
  std::vector<std::vector<RangeHit>> parts(chunks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::min <size_t>(threads, chunks))
  for (size_t c = 0; c < chunks; ++c) chunk(c * chunk_size, std::min(nq, (c + 1) * chunk_size), parts[c]);
  size_t total = hits.size();
  for (const auto& p : parts) total += p.size();
  hits.reserve(total);
  for (auto& p : parts) hits.insert(hits.end(), p.begin(), p.end());
}

// The same for k-NN, where each query owns a fixed slice of the output.
template <typename Chunk>
void run_query_slices(size_t nq, size_t chunk_size, int threads, Chunk&& chunk) {
  const size_t chunks = (nq + chunk_size - 1) / chunk_size;
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max <size_t>(1, std::min <size_t>(threads, chunks)))
  for (size_t c = 0; c < chunks; ++c) chunk(c * chunk_size, std::min(nq, (c + 1) * chunk_size));
}

// The ids to remove, sorted and unique, for binary search while scanning the rows.
inline std::vector<HashId> sorted_ids(std::span<const HashId> ids) {
  std::vector<HashId> s(ids.begin(), ids.end());
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}
inline bool contains(const std::vector<HashId>& sorted, HashId id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

inline Status check_add(std::span<const Hash256> codes, std::span<const HashId> ids, size_t size_now,
                        size_t max_size = UINT32_MAX) {
  if (codes.size() != ids.size())
    return {StatusCode::kInvalidArgument,
            "add: " + std::to_string(codes.size()) + " codes but " + std::to_string(ids.size()) + " ids"};
  if (size_now + codes.size() > max_size)
    return {StatusCode::kInvalidArgument, "add: the index would exceed " + std::to_string(max_size) + " codes"};
  return Status::ok();
}

inline Status check_k(int k) {
  if (k < 0) return {StatusCode::kInvalidArgument, "knn: k must be >= 0, got " + std::to_string(k)};
  return Status::ok();
}

// Sorts each query's k results nearest first (ties by id), padding with id -1.
inline void finish_knn_slice(std::vector<Neighbor>& best, int k, Neighbor* out) {
  std::sort(best.begin(), best.end(), [](const Neighbor& a, const Neighbor& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  const size_t n = std::min<size_t>(best.size(), static_cast<size_t>(k));
  for (size_t i = 0; i < n; ++i) out[i] = best[i];
  for (size_t i = n; i < static_cast<size_t>(k); ++i) out[i] = Neighbor{};
}

}  // namespace vhm::index_detail
