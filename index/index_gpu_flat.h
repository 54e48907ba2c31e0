// IndexGpuFlat ("gpu-flat"): the exhaustive scan on a CUDA GPU (kernels/hamming_cuda.h).
// The codes and ids stay on the host too (save, remove, and the ids of hits); every
// change re-uploads the codes. k-NN: a 257-bin distance histogram per query gives its
// k-th distance, then a range search at that bound. Exact. create() is kUnavailable
// where no GPU is usable (or vhm was built without CUDA).
#pragma once

#include <memory>
#include <mutex>

#include "index/hash_index.h"
#include "index/index_file.h"

namespace vhm {
namespace gpu {
class HammingCudaScanner;
}

class IndexGpuFlat : public HashIndex {
 public:
  static Result<std::unique_ptr<IndexGpuFlat>> create(int device = 0);
  ~IndexGpuFlat() override;

  std::string spec() const override { return "gpu-flat"; }
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

  static Result<std::unique_ptr<IndexGpuFlat>> load(index_file::Reader& reader);

 private:
  explicit IndexGpuFlat(std::unique_ptr<gpu::HammingCudaScanner> scanner);
  std::unique_ptr<gpu::HammingCudaScanner> scanner_;
  std::vector<Hash256> codes_;
  std::vector<HashId> ids_;
  mutable std::mutex mutex_;  // the scanner is single-stream
};

}  // namespace vhm
