#include "index/index_faiss_flat_ip.h"

#include <algorithm>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>

#include "index/faiss_util.h"

namespace vhm {

IndexFaissFlatIp::IndexFaissFlatIp(int dimension) : dimension_(dimension) {
  auto map = std::make_unique<faiss::IndexIDMap2>(new faiss::IndexFlatIP(dimension));
  map->own_fields = true;
  index_ = std::move(map);
}

IndexFaissFlatIp::~IndexFaissFlatIp() = default;

size_t IndexFaissFlatIp::size() const { return static_cast<size_t>(index_->ntotal); }

size_t IndexFaissFlatIp::memory_bytes() const {
  // The vectors, the id list and IndexIDMap2's reverse map (about 4 words an entry).
  return size() * (static_cast<size_t>(dimension_) * sizeof(float) + sizeof(int64_t) * 5);
}

Status IndexFaissFlatIp::add(std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dimension_))
    return {StatusCode::kInvalidArgument, "vector index: " + std::to_string(ids.size()) + " ids but " +
                                              std::to_string(vectors.size()) + " floats (dimension " +
                                              std::to_string(dimension_) + ")"};
  if (ids.empty()) return Status::ok();
  return faiss_util::guarded("add_with_ids", [&] {
    index_->add_with_ids(static_cast<faiss::Index::idx_t>(ids.size()), vectors.data(),
                         reinterpret_cast<const faiss::Index::idx_t*>(ids.data()));
  });
}

Status IndexFaissFlatIp::remove(std::span<const int64_t> ids) {
  if (ids.empty() || index_->ntotal == 0) return Status::ok();
  return faiss_util::guarded("remove_ids", [&] {
    faiss::IDSelectorBatch selector(ids.size(), reinterpret_cast<const faiss::Index::idx_t*>(ids.data()));
    index_->remove_ids(selector);
  });
}

Status IndexFaissFlatIp::search(std::span<const float> queries, float min_score, int max_k,
                                std::vector<VectorHit>& hits) const {
  if (queries.size() % static_cast<size_t>(dimension_) != 0)
    return {StatusCode::kInvalidArgument,
            "vector index: queries are not whole vectors of dimension " + std::to_string(dimension_)};
  const size_t n = queries.size() / static_cast<size_t>(dimension_);
  const int64_t k = std::min<int64_t>(max_k, index_->ntotal);
  if (n == 0 || k <= 0) return Status::ok();
  std::vector<float> scores(n * static_cast<size_t>(k));
  std::vector<faiss::Index::idx_t> labels(n * static_cast<size_t>(k));
  Status st = faiss_util::guarded("search", [&] {
    index_->search(static_cast<faiss::Index::idx_t>(n), queries.data(), k, scores.data(), labels.data());
  });
  if (!st.is_ok()) return st;
  for (size_t q = 0; q < n; ++q)
    for (int64_t j = 0; j < k; ++j) {
      const size_t at = q * static_cast<size_t>(k) + static_cast<size_t>(j);
      if (labels[at] < 0 || scores[at] < min_score) break;  // best first: the rest score less
      hits.push_back({static_cast<uint32_t>(q), static_cast<int64_t>(labels[at]), scores[at]});
    }
  return Status::ok();
}

Status IndexFaissFlatIp::contents(std::vector<int64_t>& ids, std::vector<float>& vectors) const {
  const auto& map = static_cast<const faiss::IndexIDMap2&>(*index_);
  const auto& flat = static_cast<const faiss::IndexFlatIP&>(*map.index);
  ids.assign(map.id_map.begin(), map.id_map.end());
  const float* xb = flat.get_xb();
  vectors.assign(xb, xb + ids.size() * static_cast<size_t>(dimension_));
  return Status::ok();
}

}  // namespace vhm
