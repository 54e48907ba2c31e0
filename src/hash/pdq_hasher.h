// PdqHasher: one interface, several implementations chosen by Device at run time, so
// callers never know whether they run on the CPU or the GPU (hash/device.h says what
// each device is). All give the same bits on the same pixels.
#pragma once

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
  virtual Status hash(std::span<const ImageView> frames, std::span<PdqHash> out,
                      std::span<PdqDct> dcts = {}) = 0;
};

Result<std::unique_ptr<PdqHasher>> make_pdq_hasher(const PdqHasherConfig& config);

}  // namespace vhm
