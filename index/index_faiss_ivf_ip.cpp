#include "index/index_faiss_ivf_ip.h"

#include <algorithm>

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>

#include "index/faiss_ip_search.h"
#include "index/index_faiss_flat_ip.h"

namespace vhm {

IndexFaissIvfIp::IndexFaissIvfIp(int dimension, int nlist, int nprobe)
    : dimension_(dimension), nlist_(nlist), nprobe_(nprobe), flat_(std::make_unique<IndexFaissFlatIp>(dimension)) {}

IndexFaissIvfIp::~IndexFaissIvfIp() = default;

std::string IndexFaissIvfIp::spec() const {
  return "ivf" + std::to_string(nlist_) + ",nprobe=" + std::to_string(nprobe_);
}

size_t IndexFaissIvfIp::size() const { return ivf_ ? static_cast<size_t>(ivf_->ntotal) : flat_->size(); }

size_t IndexFaissIvfIp::memory_bytes() const {
  if (!ivf_) return flat_->memory_bytes();
  return size() * (static_cast<size_t>(dimension_) * sizeof(float) + sizeof(int64_t)) +
         static_cast<size_t>(nlist_) * static_cast<size_t>(dimension_) * sizeof(float);
}

Status IndexFaissIvfIp::add(std::span<const int64_t> ids, std::span<const float> vectors) {
  VHM_RETURN_IF_ERROR(faiss_util::check_added_vectors(ids, vectors, dimension_));
  if (ids.empty()) return Status::ok();
  if (!ivf_) {
    VHM_RETURN_IF_ERROR(flat_->add(ids, vectors));
    if (flat_->size() >= train_at()) return train_and_move();
    return Status::ok();
  }
  return faiss_util::guarded("add_with_ids", [&] {
    ivf_->add_with_ids(static_cast<faiss::Index::idx_t>(ids.size()), vectors.data(),
                       reinterpret_cast<const faiss::Index::idx_t*>(ids.data()));
  });
}

Status IndexFaissIvfIp::train_and_move() {
  // Every held vector and its id, from the flat index's own storage.
  auto& flat = static_cast<IndexFaissFlatIp&>(*flat_);
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  VHM_RETURN_IF_ERROR(flat.contents(ids, vectors));
  const size_t n = ids.size();
  const size_t sample = std::min(n, static_cast<size_t>(nlist_) * 256);
  std::vector<float> train(sample * static_cast<size_t>(dimension_));
  for (size_t i = 0; i < sample; ++i)
    std::copy_n(vectors.data() + (i * n / sample) * dimension_, dimension_, train.data() + i * dimension_);
  auto quantizer = std::make_unique<faiss::IndexFlatIP>(dimension_);
  auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), dimension_, static_cast<size_t>(nlist_),
                                                   faiss::METRIC_INNER_PRODUCT);
  quantizer.release();
  ivf->own_fields = true;
  ivf->nprobe = static_cast<size_t>(std::min(nprobe_, nlist_));
  ivf->cp.verbose = false;
  VHM_RETURN_IF_ERROR(faiss_util::guarded("train", [&] {
    ivf->train(static_cast<faiss::Index::idx_t>(sample), train.data());
    ivf->add_with_ids(static_cast<faiss::Index::idx_t>(n), vectors.data(),
                      reinterpret_cast<const faiss::Index::idx_t*>(ids.data()));
  }));
  ivf_ = std::move(ivf);
  flat_.reset();
  return Status::ok();
}

Status IndexFaissIvfIp::remove(std::span<const int64_t> ids) {
  if (!ivf_) return flat_->remove(ids);
  if (ids.empty() || ivf_->ntotal == 0) return Status::ok();
  return faiss_util::guarded("remove_ids", [&] {
    faiss::IDSelectorBatch selector(ids.size(), reinterpret_cast<const faiss::Index::idx_t*>(ids.data()));
    ivf_->remove_ids(selector);
  });
}

Status IndexFaissIvfIp::search(std::span<const float> queries, float min_score, int max_k,
                               std::vector<VectorHit>& hits) const {
  if (!ivf_) return flat_->search(queries, min_score, max_k, hits);
  return faiss_util::search_ranked(*ivf_, queries, dimension_, min_score, max_k, hits);
}

}  // namespace vhm
