// The GPU Hamming scan behind a plain C++ facade (compiles and links without CUDA, where
// it reports "no GPU"): the 256-bit codes of a bank live in device memory, and a batch
// of queries is compared with every one of them. Used by the "gpu-flat" HashIndex
// (index/index_gpu_flat.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"

namespace vhm::gpu {

struct HammingHit {
  uint32_t query = 0;
  uint32_t row = 0;
  int32_t distance = 0;
};

// Not thread-safe (one stream, buffers reused across calls): callers serialise.
class HammingCudaScanner {
 public:
  // kUnavailable (with the reason) where there is no usable GPU.
  static Result<std::unique_ptr<HammingCudaScanner>> create(int device = 0);
  ~HammingCudaScanner();
  HammingCudaScanner(const HammingCudaScanner&) = delete;
  HammingCudaScanner& operator=(const HammingCudaScanner&) = delete;

  // Replaces the codes on the device: `count` codes of 32 bytes each, host memory.
  Status set_codes(const void* codes, size_t count);
  size_t size() const;
  size_t device_bytes() const;

  // Every (query, row, distance) with distance <= max_distance[query], sorted by query
  // then row. `queries`: `count` codes of 32 bytes in host memory.
  Status range_search(const void* queries, size_t count, const int32_t* max_distance, std::vector<HammingHit>& hits);

  // counts[q * 257 + d]: how many codes lie at distance d from query q.
  Status histograms(const void* queries, size_t count, std::vector<uint32_t>& counts);

 private:
  struct Impl;
  explicit HammingCudaScanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vhm::gpu
