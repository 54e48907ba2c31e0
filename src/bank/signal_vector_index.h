// SignalVectorIndex: the first-cut vectors of one whole-content signal's stored values
// (TMK: each value's pure average, 1 KiB) in a VectorIndex (index/vector_index.h), L2-
// normalised so that inner product is level-1's cosine, kept up to date with the store.
// Only the vectors are resident; the values themselves (a .tmk file is 257 KiB) stay in
// the store and are read one by one for level-2. Ids are the values' rows
// (SignalVectorRow::signal_row), so a content holding two values is found through either.
//
// Up to date as LiveIndex is: sync() asks the store's data version (any connection's
// commit changes it) and, when it moved, reads the vectors of rows added since and drops
// the rows of contents removed since. A store whose generation went back (bank.sqlite
// replaced) makes it start over.
//
// Thread safety: every method may be called from any thread; searches share a lock that
// sync takes alone when it has something to read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "bank/bank_store.h"
#include "index/vector_index.h"

namespace vhm {

class SignalVectorIndex {
 public:
  // `store` must outlive this. `spec`: make_vector_index()'s factory string.
  SignalVectorIndex(BankStore& store, SignalId signal, std::string spec = "flat-ip");

  // Makes the index reflect every commit made before the call.
  Status sync();
  // The rows whose normalised vector's inner product with the normalised `query` is at
  // least min_score, the best max_k, best first. A query of another dimension than the
  // stored vectors finds nothing (those values cannot be compared with it).
  Result<std::vector<VectorHit>> search(std::span<const float> query, float min_score, int max_k) const;

  int64_t resident_vectors() const;
  size_t memory_bytes() const;

  // v / |v| (a zero vector stays zero: it is nobody's cosine neighbour).
  static std::vector<float> normalized(std::span<const float> v);

 private:
  Status refresh_locked(int64_t data_version);  // under mutex_, exclusively

  BankStore& store_;
  const SignalId signal_;
  const std::string spec_;
  std::atomic<int64_t> synced_data_version_{-1};  // a hint: the state is read under mutex_

  mutable std::shared_mutex mutex_;     // guards everything below
  std::unique_ptr<VectorIndex> index_;  // null until the first vector (its dimension) is seen
  std::unordered_map<int64_t, std::vector<int64_t>> rows_of_content_;
  int64_t max_signal_row_ = 0;
  int64_t generation_ = -1;  // the store's generation the state reflects (-1: nothing read)
};

}  // namespace vhm
