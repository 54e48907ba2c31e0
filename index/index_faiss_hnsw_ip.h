// IndexFaissHnswIp ("hnsw<M>[,ef=E][,efc=C]"): FAISS's IndexHNSWFlat by inner product.
// APPROXIMATE: a vector is found only when the graph walk (efSearch E candidates,
// default 128, at least max_k) reaches it; `vhm bench tmk` reports its recall against
// flat-ip. M: neighbours per node (4..256); efc: efConstruction (default 40).
//
// FAISS's HNSW cannot remove, so ids are vhm's: the graph holds internal rows 0..n-1,
// a table maps them to the caller's ids, and a removed row stays in the graph (still a
// stepping stone for the walk) but is filtered from every answer. The search asks the
// graph for more than max_k (doubling until enough live hits above min_score come back
// or the graph has none left), so removals never shorten an answer. When removed rows
// outnumber live ones (and are over 1024), the graph is rebuilt from the live vectors.
// Memory: n * (4d + ~8M + 48) bytes, removed rows included until that rebuild.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "index/vector_index.h"

namespace faiss {
struct IndexHNSWFlat;
}

namespace vhm {

class IndexFaissHnswIp final : public VectorIndex {
 public:
  IndexFaissHnswIp(int dimension, int m, int ef_search, int ef_construction);
  ~IndexFaissHnswIp() override;

  std::string spec() const override;
  bool exact() const override { return false; }
  int dimension() const override { return dimension_; }
  size_t size() const override { return row_of_id_.size(); }
  size_t memory_bytes() const override;

  Status add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Status remove(std::span<const int64_t> ids) override;
  Status search(std::span<const float> queries, float min_score, int max_k,
                std::vector<VectorHit>& hits) const override;

  size_t removed_rows() const { return removed_count_; }  // held in the graph, filtered at search

 private:
  Status rebuild();  // a new graph of the live rows only

  int dimension_, m_, ef_search_, ef_construction_;
  std::unique_ptr<faiss::IndexHNSWFlat> index_;
  std::vector<int64_t> id_of_row_;                  // the caller's id of each graph row
  std::vector<uint8_t> removed_;                    // per graph row
  std::unordered_map<int64_t, int64_t> row_of_id_;  // live ids only
  size_t removed_count_ = 0;
};

}  // namespace vhm
