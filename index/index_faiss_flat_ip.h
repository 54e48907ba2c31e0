// IndexFaissFlatIp ("flat-ip"): FAISS's IndexFlatIP inside IndexIDMap2, an exact scan of
// inner products (for n vectors of d floats: n * d * 4 bytes plus the id map).
#pragma once

#include <memory>

#include "index/vector_index.h"

namespace faiss {
struct Index;
}

namespace vhm {

class IndexFaissFlatIp final : public VectorIndex {
 public:
  explicit IndexFaissFlatIp(int dimension);
  ~IndexFaissFlatIp() override;

  std::string spec() const override { return "flat-ip"; }
  bool exact() const override { return true; }
  int dimension() const override { return dimension_; }
  size_t size() const override;
  size_t memory_bytes() const override;

  Status add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Status remove(std::span<const int64_t> ids) override;
  Status search(std::span<const float> queries, float min_score, int max_k,
                std::vector<VectorHit>& hits) const override;

  // Every held id and its vector (row-major), in the order held.
  Status contents(std::vector<int64_t>& ids, std::vector<float>& vectors) const;

 private:
  int dimension_;
  std::unique_ptr<faiss::Index> index_;  // IndexIDMap2 owning an IndexFlatIP
};

}  // namespace vhm
