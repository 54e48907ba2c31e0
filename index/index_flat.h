// IndexFlat ("flat"): every code compared with every query, by the AVX-512/AVX2/POPCNT
// kernels of hamming_scan.h. Exact. A batch of queries is cut into chunks of 32 (one
// chunk per thread at a time), and each chunk walks the bank in blocks of 4096 codes
// (128 KiB, cache-resident) so the bank streams from memory once per chunk, not once
// per query. Removal compacts the arrays (O(n)).
#pragma once

#include <utility>

#include "index/hamming_scan.h"
#include "index/hash_index.h"
#include "index/index_file.h"

namespace vhm {

class IndexFlat : public HashIndex {
 public:
  std::string spec() const override { return "flat"; }
  bool exact() const override { return true; }
  size_t size() const override { return codes_.size(); }
  size_t memory_bytes() const override;

  Status add(std::span<const Hash256> codes, std::span<const HashId> ids) override;
  Status remove(std::span<const HashId> ids) override;
  Status range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                      const SearchOptions& options = {}) const override;
  Status knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
             const SearchOptions& options = {}) const override;
  Status save(const std::string& path) const override;

  static Result<std::unique_ptr<IndexFlat>> load(index_file::Reader& reader);
  const std::vector<Hash256>& codes() const { return codes_; }
  const std::vector<HashId>& ids() const { return ids_; }

 private:
  std::vector<Hash256> codes_;
  std::vector<HashId> ids_;
};

namespace index_detail {

// The k nearest codes[0, n) to `query` as {row, distance} (unordered), skipping rows
// whose bit is set in `dead` (may be null).
void scan_knn(const Hash256* codes, size_t n, const Hash256& query, int k, const uint64_t* dead,
              std::vector<hamming::ScanHit>& best);

// Range search of queries [first, last) over codes[0, n), blocked for the cache; hits
// appended grouped by query, rows mapped to ids.
void scan_range_chunk(const Hash256* codes, const HashId* ids, size_t n, std::span<const Hash256> queries, size_t first,
                      size_t last, int max_distance, std::vector<RangeHit>& out);

}  // namespace index_detail
}  // namespace vhm
