// The GPU Hamming scan in a build without CUDA: there is no GPU.
#include "kernels/hamming_cuda.h"

namespace vhm::gpu {

struct HammingCudaScanner::Impl {};

Result<std::unique_ptr<HammingCudaScanner>> HammingCudaScanner::create(int) {
  return Status(StatusCode::kUnavailable, "no GPU: built without CUDA");
}

HammingCudaScanner::HammingCudaScanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HammingCudaScanner::~HammingCudaScanner() = default;

Status HammingCudaScanner::set_codes(const void*, size_t) { return {StatusCode::kUnavailable, "no GPU"}; }
size_t HammingCudaScanner::size() const { return 0; }
size_t HammingCudaScanner::device_bytes() const { return 0; }
Status HammingCudaScanner::range_search(const void*, size_t, const int32_t*, std::vector<HammingHit>&) {
  return {StatusCode::kUnavailable, "no GPU"};
}
Status HammingCudaScanner::histograms(const void*, size_t, std::vector<uint32_t>&) {
  return {StatusCode::kUnavailable, "no GPU"};
}

}  // namespace vhm::gpu
