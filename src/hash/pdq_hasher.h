// PdqHasher: one interface, several implementations chosen by Device at run time, so
// callers never know whether they run on the CPU or the GPU (hash/device.h says what
// each device is). All give the same bits on the same pixels.
//
// Frames decoded on NVDEC stay in device memory; only the GPU hasher reads them
// (hash_device), and the CPU hashers refuse them with kUnsupported rather than read a
// device pointer. hash_frames() takes a batch whose frames are tagged by where their
// pixels are and sends each to the right method, so the code that hashes a video never
// asks which device it runs on.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hash/device.h"
#include "hash/pdq.h"

namespace vhm {

struct PdqHasherConfig {
  Device device = Device::kAuto;
  int threads = 0;  // CPU threads for a batch; 0 = all cores
};

class PdqHasher {
 public:
  virtual ~PdqHasher() = default;
  // "reference", "cpu-avx2", "cpu-scalar" or "gpu".
  virtual std::string name() const = 0;
  // Hashes every frame; out.size() must equal frames.size(). `dcts`, when not empty,
  // also receives each frame's DCT (for dihedral variants).
  virtual Status hash(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts = {}) = 0;
  // Frames whose `data` points to CUDA device memory (RGB24 or 8-bit grey planes). With
  // `lut`, the bytes of grey planes are first mapped through it (limited-range luma
  // stretched), on the device. The CPU hashers fail with kUnsupported.
  virtual Status hash_device(std::span<const ImageView> frames, const std::array<uint8_t, 256>* lut,
                             std::span<PdqHash> out, std::span<PdqDct> dcts = {});
  // OK when device frames written in `cuda_context` (a CUcontext, e.g. that of FFmpeg's
  // CUDA device) are readable by hash_device: kUnavailable when the contexts differ,
  // kUnsupported for the CPU hashers.
  virtual Status check_device_context(const void* cuda_context);
};

Result<std::unique_ptr<PdqHasher>> make_pdq_hasher(const PdqHasherConfig& config);

// Whether the GPU hasher can be had here; when not, `why` (if given) says why in one
// line ("built without CUDA", "no CUDA device: ...").
bool gpu_hashing_available(std::string* why = nullptr);

// Where a frame's pixels are.
enum class PixelMemory : uint8_t {
  kHost,
  kDevice,              // CUDA device memory, hashed as it is
  kDeviceLimitedRange,  // CUDA device memory, limited-range luma still to be stretched
};

// Hashes `frames`, each where `memory` says it is: host frames through hash(), device
// frames through hash_device() (the kDeviceLimitedRange ones mapped through
// `limited_range_lut`). out, memory and dcts (when not empty) have one entry per frame.
Status hash_frames(PdqHasher& hasher, std::span<const ImageView> frames, std::span<const PixelMemory> memory,
                   const std::array<uint8_t, 256>& limited_range_lut, std::span<PdqHash> out,
                   std::span<PdqDct> dcts = {});

}  // namespace vhm
