// IndexFaissIvfIp ("ivf<NLIST>[,nprobe=P]"): FAISS's IndexIVFFlat by inner product over
// an IndexFlatIP quantizer. APPROXIMATE: a vector is found only when it lies in one of
// the nprobe lists (default 16) whose centroids score best with the query; `vhm bench
// tmk` reports its recall against flat-ip.
//
// Training: k-means (FAISS's defaults, inner product) needs vectors, and the bank adds
// them a few at a time. Until it holds 39 * NLIST vectors (FAISS's fewest points per
// centroid) this index is an exact flat scan of them (IndexFlatIP, ids by IndexIDMap2);
// the add that reaches that count trains the quantizer on them (strided, at most 256
// per list) and moves every held vector into the lists. It is never retrained: lists
// learnt on the first 39 * NLIST vectors serve every later add.
// Removal is FAISS's remove_ids (a pass over the lists). Memory: n * (4d + 8) bytes plus
// NLIST centroids.
#pragma once

#include <memory>

#include "index/vector_index.h"

namespace faiss {
struct IndexIVFFlat;
}

namespace vhm {

class IndexFaissIvfIp final : public VectorIndex {
 public:
  IndexFaissIvfIp(int dimension, int nlist, int nprobe);
  ~IndexFaissIvfIp() override;

  std::string spec() const override;
  bool exact() const override { return false; }
  int dimension() const override { return dimension_; }
  size_t size() const override;
  size_t memory_bytes() const override;

  Status add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Status remove(std::span<const int64_t> ids) override;
  Status search(std::span<const float> queries, float min_score, int max_k,
                std::vector<VectorHit>& hits) const override;

  bool trained() const { return ivf_ != nullptr; }
  size_t train_at() const { return 39 * static_cast<size_t>(nlist_); }

 private:
  Status train_and_move();

  int dimension_, nlist_, nprobe_;
  std::unique_ptr<VectorIndex> flat_;  // before training: an exact scan ("flat-ip")
  std::unique_ptr<faiss::IndexIVFFlat> ivf_;
};

}  // namespace vhm
