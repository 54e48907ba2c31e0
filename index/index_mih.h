// IndexMih ("mih", "mih:TxB"): vhm's exact multi-index hashing (Norouzi, Punjani and
// Fleet, CVPR 2012) over 256-bit codes.
//
// The code is cut into T substrings of B bits (bits [t*B, t*B + B), T*B <= 256). If two
// codes differ in at most D bits, then, writing D = T*r + a (0 <= a < T), either one of
// a+1 chosen substrings differs in at most r bits or one of the other T-a-1 differs in
// at most r-1: otherwise the distance would be at least (a+1)(r+1) + (T-a-1)r = D+1.
// So a search probes, in each table, every key within r (or r-1) bit flips of the
// query's substring and verifies the codes found there: exact for every D, by the
// pigeonhole principle, whatever the data.
//
// Tables are CSR arrays: offsets[2^B + 1] and the rows sorted by key, so a bucket is one
// contiguous run of 32-bit row numbers. Candidates seen from several tables are verified
// once (a per-thread visited bitmap, cleared through the candidate list), then checked
// with POPCNT with the codes prefetched ahead. "mih" with no layout picks T and B from
// the bank size with a cost model (probes + expected candidates at D = 31; B near
// log2(n) as the paper advises) every time the tables are rebuilt.
//
// Added codes go to an unindexed tail, scanned exhaustively, until it outgrows
// min(65536, max(256, n/16)) codes; then the tables are rebuilt. Removal marks rows
// dead (skipped at verification) and compacts once a quarter of the rows are dead.
// Searches whose estimated cost exceeds an exhaustive scan (large D on a small bank)
// run the scan instead. k-NN searches radius by radius (Norouzi's incremental k-NN).
#pragma once

#include <cstdint>
#include <vector>

#include "index/hash_index.h"
#include "index/index_file.h"

namespace vhm {

struct MihLayout {
  int tables = 0;  // T
  int bits = 0;    // B, bits per substring (T * B <= 256)
  bool operator==(const MihLayout&) const = default;

  // The layout the cost model prefers for n codes searched at radius `radius`.
  static MihLayout tuned(size_t n, int radius = 31);
  // Expected probes and candidates per query (uniform codes) at radius `radius`.
  double probes(int radius) const;
  double candidates(size_t n, int radius) const;
};

class IndexMih : public HashIndex {
 public:
  // layout.tables == 0: tuned to the bank size at every rebuild ("mih").
  explicit IndexMih(MihLayout layout = {});

  std::string spec() const override;
  std::string description() const override;
  bool exact() const override { return true; }
  size_t size() const override { return codes_.size() - dead_count_; }
  size_t memory_bytes() const override;

  Status add(std::span<const Hash256> codes, std::span<const HashId> ids) override;
  Status remove(std::span<const HashId> ids) override;
  Status range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                      const SearchOptions& options = {}) const override;
  Status knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
             const SearchOptions& options = {}) const override;
  Status save(const std::string& path) const override;

  static Result<std::unique_ptr<IndexMih>> load(index_file::Reader& reader, MihLayout spec_layout);

  // Tests: never fall back to the exhaustive scan, so the tables answer every radius.
  void set_scan_fallback(bool allowed) { scan_fallback_ = allowed; }
  // Builds the tables over every row now (normally done when the tail outgrows its bound).
  void rebuild();
  const MihLayout& layout() const { return layout_; }

 private:
  struct Table {
    std::vector<uint32_t> offsets;  // 2^B + 1
    std::vector<uint32_t> rows;     // indexed rows, sorted by key
  };
  struct Scratch;

  bool is_dead(uint32_t row) const { return dead_count_ && (dead_[row >> 6] >> (row & 63) & 1); }
  uint32_t key(const Hash256& code, int table) const;
  bool mih_pays(int max_distance) const;
  void knn_one(const Hash256& q, int k, Scratch& s, Neighbor* out) const;
  void compact();

  bool auto_layout_;
  MihLayout layout_;
  bool scan_fallback_ = true;
  std::vector<Hash256> codes_;
  std::vector<HashId> ids_;
  std::vector<uint64_t> dead_;  // bitmap over rows
  size_t dead_count_ = 0;
  size_t indexed_ = 0;  // rows [0, indexed_) are in the tables
  std::vector<Table> tables_;
};

}  // namespace vhm
