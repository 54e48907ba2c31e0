// VectorIndex: float vectors with int64 ids, searched by inner product (the bank's first
// cut for TMK+PDQF: level-1 is the cosine of the pure averages, which is the inner
// product of L2-normalised vectors; the caller normalises). Made from a factory string
// as HashIndex is: "flat-ip", FAISS's exact IndexFlatIP, and two approximate ones,
// "hnsw<M>[,ef=E][,efc=C]" (IndexHNSWFlat; removals filtered at search) and
// "ivf<NLIST>[,nprobe=P]" (IndexIVFFlat; an exact scan until 39 * NLIST vectors train
// it). `vhm bench tmk` measures them against each other (docs/BENCHMARKS.md).
//
// Thread safety: const methods may run concurrently with each other, never with add or
// remove (the owner serialises them).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace vhm {

struct VectorHit {
  uint32_t query = 0;  // position of the query in the batch
  int64_t id = 0;
  float score = 0;  // inner product
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual std::string spec() const = 0;
  virtual bool exact() const = 0;
  virtual int dimension() const = 0;
  virtual size_t size() const = 0;
  virtual size_t memory_bytes() const = 0;

  // vectors: ids.size() * dimension() floats, row-major. kInvalidArgument on a size
  // mismatch; an id already held is the caller's mistake (it would be found twice).
  virtual Status add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Ids not held are ignored.
  virtual Status remove(std::span<const int64_t> ids) = 0;
  // For each query (queries.size() / dimension() of them): the held vectors whose inner
  // product with it is at least min_score, the best max_k of them, best first; hits of
  // all queries appended in query order.
  virtual Status search(std::span<const float> queries, float min_score, int max_k,
                        std::vector<VectorHit>& hits) const = 0;
};

// "flat-ip" (exact inner product), "hnsw<M>[,ef=E][,efc=C]" (M 4..256, efSearch E default
// 128, efConstruction C default 40), "ivf<NLIST>[,nprobe=P]" (NLIST 1..1048576, nprobe
// default 16). kInvalidArgument for another spec, a bad number or option, or a dimension < 1.
Result<std::unique_ptr<VectorIndex>> make_vector_index(const std::string& spec, int dimension);

}  // namespace vhm
