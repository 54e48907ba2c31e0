#include "hash/pdq_hasher.h"

#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "hash/pdq_fast.h"
#include "kernels/pdq_cuda.h"

namespace vhm {
namespace {

Status check_batch(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts) {
  if (out.size() != frames.size())
    return {StatusCode::kInvalidArgument, "output span size differs from the frame count"};
  if (!dcts.empty() && dcts.size() != frames.size())
    return {StatusCode::kInvalidArgument, "DCT span size differs from the frame count"};
  for (const ImageView& f : frames) {
    const int channels = f.format == PixelFormat::kRgb24 ? 3 : 1;
    if (f.width < 0 || f.height < 0 || (f.width > 0 && f.height > 0 && !f.data) ||
        f.stride < static_cast<ptrdiff_t>(f.width) * channels)
      return {StatusCode::kInvalidArgument, "frame with a null pointer, negative size or short stride"};
  }
  return Status::ok();
}

void store(const PdqDct& dct, size_t i, std::span<PdqHash> out, std::span<PdqDct> dcts) {
  out[i] = {pdq::hash_from_dct(dct), dct.quality};
  if (!dcts.empty()) dcts[i] = dct;
}

class PdqHasherReference final : public PdqHasher {
 public:
  std::string name() const override { return "reference"; }
  Status hash(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts) override {
    VHM_RETURN_IF_ERROR(check_batch(frames, out, dcts));
    for (size_t i = 0; i < frames.size(); ++i) {
      const ImageView& f = frames[i];
      const size_t n = static_cast<size_t>(f.width) * f.height;
      luma_.resize(n);
      scratch_.resize(n);
      pdq::luma_from_image(f, luma_.data());
      store(pdq::dct_from_luma_reference(luma_.data(), scratch_.data(), f.width, f.height), i, out, dcts);
    }
    return Status::ok();
  }

 private:
  std::vector<float> luma_, scratch_;
};

class PdqHasherCpu final : public PdqHasher {
 public:
  explicit PdqHasherCpu(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {
    scratch_.resize(threads_);
  }
  std::string name() const override { return pdq::fast_path_uses_avx2() ? "cpu-avx2" : "cpu-scalar"; }
  Status hash(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts) override {
    VHM_RETURN_IF_ERROR(check_batch(frames, out, dcts));
    const int n = static_cast<int>(frames.size());
    const int threads = std::min(threads_, std::max(n, 1));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
    for (int i = 0; i < n; ++i)
      store(pdq::dct_from_image_fast(frames[i], scratch_[omp_get_thread_num()]), i, out, dcts);
    return Status::ok();
  }

 private:
  int threads_;
  std::vector<pdq::FastScratch> scratch_;
};

class PdqHasherGpu final : public PdqHasher {
 public:
  explicit PdqHasherGpu(std::unique_ptr<gpu::PdqCudaHasher> cuda) : cuda_(std::move(cuda)) {}
  std::string name() const override { return "gpu"; }
  Status hash(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts) override {
    VHM_RETURN_IF_ERROR(check_batch(frames, out, dcts));
    return cuda_->hash_host_batch(frames, out, dcts);
  }
  Status hash_device(std::span<const ImageView> frames, const std::array<uint8_t, 256>* lut, std::span<PdqHash> out,
                     std::span<PdqDct> dcts) override {
    return lut ? cuda_->hash_device_luma_batch(frames, *lut, out, dcts) : cuda_->hash_device_batch(frames, out, dcts);
  }
  Status check_device_context(const void* cuda_context) override {
    return gpu::check_primary_context(kCudaDevice, cuda_context);
  }
  static constexpr int kCudaDevice = 0;

 private:
  std::unique_ptr<gpu::PdqCudaHasher> cuda_;
};

}  // namespace

Status PdqHasher::hash_device(std::span<const ImageView>, const std::array<uint8_t, 256>*, std::span<PdqHash>,
                              std::span<PdqDct>) {
  return {StatusCode::kUnsupported, "the " + name() + " PDQ hasher cannot read frames in device memory"};
}

Status PdqHasher::check_device_context(const void*) {
  return {StatusCode::kUnsupported, "the " + name() + " PDQ hasher cannot read frames in device memory"};
}

bool gpu_hashing_available(std::string* why) { return gpu::cuda_available(why); }

Status hash_frames(PdqHasher& hasher, std::span<const ImageView> frames, std::span<const PixelMemory> memory,
                   const std::array<uint8_t, 256>& limited_range_lut, std::span<PdqHash> out, std::span<PdqDct> dcts) {
  if (memory.size() != frames.size() || out.size() != frames.size() || (!dcts.empty() && dcts.size() != frames.size()))
    return {StatusCode::kInvalidArgument, "frame, memory, output and DCT spans differ in size"};
  // The common case, every frame on the host (CPU decoding): one call, no copies.
  if (std::all_of(memory.begin(), memory.end(), [](PixelMemory m) { return m == PixelMemory::kHost; }))
    return hasher.hash(frames, out, dcts);
  // A batch can mix places (NVDEC may give up part-way, the rest decoded on the CPU):
  // each group is hashed by its own method, the results put back in frame order.
  std::vector<ImageView> views;
  std::vector<PdqHash> hashes;
  std::vector<PdqDct> group_dcts;
  std::vector<size_t> slots;
  for (const PixelMemory group : {PixelMemory::kDeviceLimitedRange, PixelMemory::kDevice, PixelMemory::kHost}) {
    views.clear();
    slots.clear();
    for (size_t i = 0; i < frames.size(); ++i) {
      if (memory[i] != group) continue;
      views.push_back(frames[i]);
      slots.push_back(i);
    }
    if (views.empty()) continue;
    hashes.resize(views.size());
    group_dcts.resize(dcts.empty() ? 0 : views.size());
    VHM_RETURN_IF_ERROR(group == PixelMemory::kHost ? hasher.hash(views, hashes, group_dcts)
                        : group == PixelMemory::kDevice
                            ? hasher.hash_device(views, nullptr, hashes, group_dcts)
                            : hasher.hash_device(views, &limited_range_lut, hashes, group_dcts));
    for (size_t k = 0; k < slots.size(); ++k) {
      out[slots[k]] = hashes[k];
      if (!dcts.empty()) dcts[slots[k]] = group_dcts[k];
    }
  }
  return Status::ok();
}

Result<std::unique_ptr<PdqHasher>> make_pdq_hasher(const PdqHasherConfig& config) {
  switch (config.device) {
    case Device::kReference:
      return std::unique_ptr<PdqHasher>(new PdqHasherReference());
    case Device::kCpu:
      return std::unique_ptr<PdqHasher>(new PdqHasherCpu(config.threads));
    case Device::kGpu:
    case Device::kAuto: {
      auto cuda = gpu::PdqCudaHasher::create(0);
      if (cuda) return std::unique_ptr<PdqHasher>(new PdqHasherGpu(std::move(cuda).value()));
      if (config.device == Device::kGpu) return cuda.status();
      // One line per process, however many videos a batch hashes.
      static std::once_flag logged;
      std::call_once(logged, [&] { spdlog::info("no usable GPU ({}); hashing on the CPU", cuda.status().message()); });
      return std::unique_ptr<PdqHasher>(new PdqHasherCpu(config.threads));
    }
  }
  return Status(StatusCode::kInvalidArgument, "unknown PDQ device");
}

}  // namespace vhm
