// What the FAISS-backed VectorIndex implementations share (internal to index/): the
// shape checks of add and search, and a best-first search of an inner-product index
// whose labels are vhm's ids.
#pragma once

#include <faiss/Index.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "index/faiss_util.h"
#include "index/vector_index.h"

namespace vhm::faiss_util {

// kInvalidArgument unless `vectors` holds one vector of `dimension` per id.
inline Status check_added_vectors(std::span<const int64_t> ids, std::span<const float> vectors, int dimension) {
  if (vectors.size() == ids.size() * static_cast<size_t>(dimension)) return Status::ok();
  return {StatusCode::kInvalidArgument, "vector index: " + std::to_string(ids.size()) + " ids but " +
                                            std::to_string(vectors.size()) + " floats (dimension " +
                                            std::to_string(dimension) + ")"};
}

// How many queries `queries` holds; kInvalidArgument when they are not whole vectors.
inline Result<size_t> whole_queries(std::span<const float> queries, int dimension) {
  if (queries.size() % static_cast<size_t>(dimension) != 0)
    return Status(StatusCode::kInvalidArgument,
                  "vector index: queries are not whole vectors of dimension " + std::to_string(dimension));
  return queries.size() / static_cast<size_t>(dimension);
}

// `index`'s best max_k per query (its labels are vhm ids) whose score is at least
// min_score, appended to `hits` in query order, best first.
inline Status search_ranked(const faiss::Index& index, std::span<const float> queries, int dimension, float min_score,
                            int max_k, std::vector<VectorHit>& hits) {
  auto n = whole_queries(queries, dimension);
  if (!n) return n.status();
  const int64_t k = std::min<int64_t>(max_k, index.ntotal);
  if (*n == 0 || k <= 0) return Status::ok();
  std::vector<float> scores(*n * static_cast<size_t>(k));
  std::vector<faiss::Index::idx_t> labels(*n * static_cast<size_t>(k));
  VHM_RETURN_IF_ERROR(guarded("search", [&] {
    index.search(static_cast<faiss::Index::idx_t>(*n), queries.data(), k, scores.data(), labels.data());
  }));
  for (size_t q = 0; q < *n; ++q)
    for (int64_t j = 0; j < k; ++j) {
      const size_t at = q * static_cast<size_t>(k) + static_cast<size_t>(j);
      if (labels[at] < 0 || scores[at] < min_score) break;  // best first: the rest score less
      hits.push_back({static_cast<uint32_t>(q), static_cast<int64_t>(labels[at]), scores[at]});
    }
  return Status::ok();
}

}  // namespace vhm::faiss_util
