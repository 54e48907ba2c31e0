#include "index/index_faiss_flat_ip.h"

#include <algorithm>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>

#include "index/faiss_ip_search.h"

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
  VHM_RETURN_IF_ERROR(faiss_util::check_added_vectors(ids, vectors, dimension_));
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
  return faiss_util::search_ranked(*index_, queries, dimension_, min_score, max_k, hits);
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
