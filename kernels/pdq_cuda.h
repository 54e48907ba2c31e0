// The only door to the CUDA PDQ kernels: a plain C++ facade that compiles and links
// without CUDA, where it reports "no GPU". Frames given to hash_device_batch live in
// device memory (RGB24 or 8-bit luminance planes of any size and pitch); results come
// back to the host, 32 bytes of hash and a quality per frame (plus the 16x16 DCT when
// asked for, from which dihedral variants are derived on the host).
//
// Bit-identical to the CPU reference path: the kernels run the very element helpers
// of src/hash/pdq_core.h, compiled with -fmad=false.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/image_view.h"
#include "core/pdq_hash.h"
#include "core/status.h"

namespace vhm::gpu {

// Whether this binary was built with the CUDA kernels.
bool built_with_cuda();

// Whether a CUDA device is usable now. When not, `why` (if given) says why in one line:
// "built without CUDA", "no CUDA device: <runtime error>", ...
bool cuda_available(std::string* why = nullptr);

// Name and memory of device `device`, for benchmark headers ("" when unavailable).
std::string device_description(int device = 0);

// Checks that `cu_context` (a CUcontext: e.g. the cuda_ctx of the FFmpeg CUDA hwdevice a
// video decoder opened with AV_CUDA_USE_PRIMARY_CONTEXT) is the primary context of
// `device`, the context the CUDA runtime, and so these kernels, work in; device memory
// of decoded frames is then readable by hash_device_batch. Initialises that context
// when needed. kUnavailable without a usable GPU, or when the contexts differ.
Status check_primary_context(int device, const void* cu_context);

class PdqCudaHasher {
 public:
  // Fails with kUnavailable (and the reason) where there is no usable GPU.
  static Result<std::unique_ptr<PdqCudaHasher>> create(int device = 0);
  ~PdqCudaHasher();
  PdqCudaHasher(const PdqCudaHasher&) = delete;
  PdqCudaHasher& operator=(const PdqCudaHasher&) = delete;

  // Frames whose `data` points to device memory. `out` has one entry per frame;
  // `dcts`, when not empty, receives each frame's DCT and quality as well.
  Status hash_device_batch(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts = {});

  // 8-bit grey planes (kGray8 only) in device memory whose bytes are first mapped
  // through `lut` (e.g. limited-range luma stretched to full range), on the device: the
  // same bits as hashing, on the host, planes remapped with the same table. Frames
  // written by other streams must be complete, as for hash_device_batch.
  Status hash_device_luma_batch(std::span<const ImageView> frames, const std::array<uint8_t, 256>& lut,
                                std::span<PdqHash> out, std::span<PdqDct> dcts = {});

  // Frames in host memory: uploaded, then hashed as above (tests and benchmarks).
  Status hash_host_batch(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts = {});

 private:
  struct Impl;
  explicit PdqCudaHasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vhm::gpu
