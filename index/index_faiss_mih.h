// IndexFaissMih ("faiss-mih[:BITS]"): FAISS's IndexBinaryMultiHash with T = 256 / BITS
// hash tables of BITS bits each (default 16: 16 tables), wrapped for vhm's ids (FAISS
// numbers the codes 0..n-1; the wrapper keeps the id of each).
//
// Exact by the pigeonhole principle: a search at distance D sets nflip = floor(D / T)
// bit flips per table, so T * (nflip + 1) > D and every code within D shares a table
// key within nflip flips with the query. Where those flips would cost more than a scan
// (large D), FAISS's own flat storage answers instead. k-NN always runs on that storage
// (IndexBinaryMultiHash's k-NN is approximate).
//
// FAISS's IndexBinaryMultiHash has no removal and its reset() keeps the hash maps, so
// remove() rebuilds a fresh one from the surviving codes (O(n)). nflip is a member of the
// FAISS index, so searches are serialised by a mutex (each is parallel inside FAISS).
#pragma once

#include <memory>
#include <mutex>

#include "index/hash_index.h"
#include "index/index_file.h"

namespace faiss {
struct IndexBinaryMultiHash;
}

namespace vhm {

class IndexFaissMih : public HashIndex {
 public:
  explicit IndexFaissMih(int bits = 16);
  ~IndexFaissMih() override;

  std::string spec() const override;
  std::string description() const override;
  bool exact() const override { return true; }
  size_t size() const override { return ids_.size(); }
  size_t memory_bytes() const override;

  Status add(std::span<const Hash256> codes, std::span<const HashId> ids) override;
  Status remove(std::span<const HashId> ids) override;
  Status range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                      const SearchOptions& options = {}) const override;
  Status knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
             const SearchOptions& options = {}) const override;
  Status save(const std::string& path) const override;

  static Result<std::unique_ptr<IndexFaissMih>> load(index_file::Reader& reader, int bits);

  // Tests: never answer from the flat storage, so the hash tables serve every radius.
  void set_scan_fallback(bool allowed) { scan_fallback_ = allowed; }
  int tables() const { return tables_; }

 private:
  int bits_, tables_;
  bool scan_fallback_ = true;
  std::unique_ptr<faiss::IndexBinaryMultiHash> index_;
  std::vector<HashId> ids_;  // FAISS label -> vhm id
  mutable std::mutex search_mutex_;
};

}  // namespace vhm
