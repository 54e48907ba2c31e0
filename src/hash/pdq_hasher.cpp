#include "hash/pdq_hasher.h"

#include <omp.h>
#include <spdlog/spdlog.h>

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

 private:
  std::unique_ptr<gpu::PdqCudaHasher> cuda_;
};

}  // namespace

Result<std::unique_ptr<PdqHasher>> make_pdq_hasher(const PdqHasherConfig& config) {
  switch (config.device) {
    case Device::kReference: return std::unique_ptr<PdqHasher>(new PdqHasherReference());
    case Device::kCpu: return std::unique_ptr<PdqHasher>(new PdqHasherCpu(config.threads));
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
