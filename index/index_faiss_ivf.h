// IndexFaissIvf ("ivf[:NLIST][,nprobe=P]"): FAISS's IndexBinaryIVF over a flat binary
// quantizer. APPROXIMATE: a code is found only when it lies in one of the nprobe cells
// nearest the query; the benchmark reports its recall. Trained (binary k-means, 10
// iterations) on at most 40 * NLIST codes of the first add; without NLIST it is chosen
// then as the power of two at or below sqrt(2n) (at most 2048), and nprobe defaults to 16.
// Added codes are assigned to their lists by vhm's scan kernels (add_core with the
// assignment): FAISS's own assignment, n x nlist distances without POPCNT, takes
// minutes at 10M codes. Searches are FAISS's.
#pragma once

#include <memory>

#include "index/hash_index.h"
#include "index/index_file.h"

namespace faiss {
struct IndexBinaryIVF;
}

namespace vhm {

class IndexFaissIvf : public HashIndex {
 public:
  // nlist 0: chosen at the first add.
  explicit IndexFaissIvf(int nlist = 0, int nprobe = 16);
  ~IndexFaissIvf() override;

  std::string spec() const override;
  std::string description() const override;
  bool exact() const override { return false; }
  size_t size() const override;
  size_t memory_bytes() const override;

  Status add(std::span<const Hash256> codes, std::span<const HashId> ids) override;
  Status remove(std::span<const HashId> ids) override;
  Status range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                      const SearchOptions& options = {}) const override;
  Status knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
             const SearchOptions& options = {}) const override;
  Status save(const std::string& path) const override;

  static Result<std::unique_ptr<IndexFaissIvf>> load(index_file::Reader& reader, int nlist, int nprobe);

 private:
  int nlist_spec_, nprobe_;
  std::unique_ptr<faiss::IndexBinaryIVF> index_;  // null until the first add trains it
};

}  // namespace vhm
