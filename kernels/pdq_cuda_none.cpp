// The facade in a build without CUDA: every entry point says there is no GPU.
#include "kernels/pdq_cuda.h"

namespace vhm::gpu {

struct PdqCudaHasher::Impl {};

bool built_with_cuda() { return false; }

bool cuda_available(std::string* why) {
  if (why) *why = "built without CUDA (nvcc was not found when vhm was configured)";
  return false;
}

std::string device_description(int) { return ""; }

Status check_primary_context(int, const void*) { return {StatusCode::kUnavailable, "no GPU: built without CUDA"}; }

Result<std::unique_ptr<PdqCudaHasher>> PdqCudaHasher::create(int) {
  return Status(StatusCode::kUnavailable, "no GPU: built without CUDA");
}

PdqCudaHasher::PdqCudaHasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdqCudaHasher::~PdqCudaHasher() = default;

Status PdqCudaHasher::hash_device_batch(std::span<const ImageView>, std::span<PdqHash>, std::span<PdqDct>) {
  return {StatusCode::kUnavailable, "no GPU: built without CUDA"};
}
Status PdqCudaHasher::hash_device_luma_batch(std::span<const ImageView>, const std::array<uint8_t, 256>&,
                                             std::span<PdqHash>, std::span<PdqDct>) {
  return {StatusCode::kUnavailable, "no GPU: built without CUDA"};
}
Status PdqCudaHasher::hash_host_batch(std::span<const ImageView>, std::span<PdqHash>, std::span<PdqDct>) {
  return {StatusCode::kUnavailable, "no GPU: built without CUDA"};
}

}  // namespace vhm::gpu
