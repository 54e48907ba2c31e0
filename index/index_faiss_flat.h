// IndexFaissFlat ("faiss-flat"): FAISS's IndexBinaryFlat inside IndexBinaryIDMap, as
// FAISS ships it (Debian's 1.7.3, built without the POPCNT instruction). Exact. FAISS's
// range radius is strict, so max_distance + 1 is passed.
#pragma once

#include <memory>

#include "index/hash_index.h"
#include "index/index_file.h"

namespace faiss {
struct IndexBinary;
}

namespace vhm {

class IndexFaissFlat : public HashIndex {
 public:
  IndexFaissFlat();
  ~IndexFaissFlat() override;

  std::string spec() const override { return "faiss-flat"; }
  bool exact() const override { return true; }
  size_t size() const override;
  size_t memory_bytes() const override;

  Status add(std::span<const Hash256> codes, std::span<const HashId> ids) override;
  Status remove(std::span<const HashId> ids) override;
  Status range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                      const SearchOptions& options = {}) const override;
  Status knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
             const SearchOptions& options = {}) const override;
  Status save(const std::string& path) const override;

  static Result<std::unique_ptr<IndexFaissFlat>> load(index_file::Reader& reader);

 private:
  std::unique_ptr<faiss::IndexBinary> index_;  // IndexBinaryIDMap owning an IndexBinaryFlat
};

// Shared by the FAISS wrappers: range_search / search results into vhm's shapes.
namespace faiss_util {
Status range_search(const faiss::IndexBinary& index, std::span<const Hash256> queries, int max_distance,
                    const std::vector<HashId>* label_ids, std::vector<RangeHit>& hits, int threads);
Status knn(const faiss::IndexBinary& index, std::span<const Hash256> queries, int k,
           const std::vector<HashId>* label_ids, std::vector<Neighbor>& neighbors, int threads);
}  // namespace faiss_util

}  // namespace vhm
