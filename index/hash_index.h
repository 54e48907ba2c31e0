// HashIndex: one interface over every way vhm searches 256-bit PDQ codes (after
// FAISS's IndexBinary): add with ids, remove, range search, k nearest, save/load,
// memory use. Implementations are chosen by a factory string.
//
// Distances are Hamming distances between 256-bit codes, and `max_distance` is
// INCLUSIVE here (a PDQ match is "distance <= 31"): implementations over FAISS,
// whose range radius is strict, pass max_distance + 1.
//
// Thread safety: const methods may run concurrently with each other; add/remove need
// exclusive access (the bank serialises writers and swaps indexes for readers).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"

namespace vhm {

using HashId = int64_t;

struct RangeHit {
  uint32_t query = 0;  // position of the query in the batch
  int32_t distance = 0;
  HashId id = 0;
  friend bool operator==(const RangeHit&, const RangeHit&) = default;
};

struct Neighbor {
  HashId id = -1;  // -1 where fewer than k codes exist
  int32_t distance = 0;
};

struct SearchOptions {
  int threads = 0;  // 0: all cores
};

class HashIndex {
 public:
  virtual ~HashIndex() = default;

  // The factory string that rebuilds an equivalent empty index ("flat", "mih:16x16", ...).
  virtual std::string spec() const = 0;
  // What the index is now, in words: the spec and the parameters it chose (benchmarks
  // print it).
  virtual std::string description() const { return spec(); }
  // True when range search returns every code within the distance (no misses).
  virtual bool exact() const = 0;
  virtual size_t size() const = 0;
  virtual size_t memory_bytes() const = 0;

  virtual Status add(std::span<const Hash256> codes, std::span<const HashId> ids) = 0;
  // Removes every code with one of these ids; kUnsupported where the index cannot.
  virtual Status remove(std::span<const HashId> ids) = 0;

  // Appends to `hits` every (query, id, distance) with distance <= max_distance, grouped
  // by query in batch order (order within a query unspecified).
  virtual Status range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                              const SearchOptions& options = {}) const = 0;
  // The k nearest codes of each query: neighbors[q * k + r], nearest first.
  virtual Status knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                     const SearchOptions& options = {}) const = 0;

  virtual Status save(const std::string& path) const = 0;
};

// Factory strings (index/index_factory.cpp):
//   "flat"                    exhaustive scan, AVX-512/AVX2 POPCNT kernels (index_flat.h); exact
//   "faiss-flat"              FAISS IndexBinaryFlat in IndexBinaryIDMap; exact
//   "faiss-mih[:BITS]"        FAISS IndexBinaryMultiHash, 256/BITS tables (default 16),
//                             wrapped with ids, nflip chosen per search so it is exact
//   "mih[:TxB]"               vhm's multi-index hashing, T tables of B bits (default: tuned
//                             to the bank size); exact for every distance (index_mih.h)
//   "ivf[:NLIST][,nprobe=P]"  FAISS IndexBinaryIVF; approximate (exact() is false)
//   "gpu-flat"                exhaustive scan on a CUDA GPU; kUnavailable without one
// Anything else is kInvalidArgument.
Result<std::unique_ptr<HashIndex>> make_hash_index(const std::string& spec);

// Loads what save() wrote (index/index_file.h: a header with the spec, sizes and
// checksums, then the payload): a missing file is kNotFound, a damaged, truncated or
// foreign one kCorrupt (with the path as subject).
Result<std::unique_ptr<HashIndex>> load_hash_index(const std::string& path);

}  // namespace vhm
