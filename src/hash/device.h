// Where PDQ runs: parsed once, from a flag or a request, and passed as a value; no
// code below the front doors compares device names.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vhm {

enum class Device : uint8_t {
  kReference,  // the reference-order path, one frame at a time (the plain twin)
  kCpu,        // the optimised CPU path (AVX2 where available), frames in parallel
  kGpu,        // the CUDA kernels; fails with kUnavailable where there is no GPU
  kAuto,       // kGpu where a GPU is usable, else kCpu, said once per process
};

// "reference", "cpu", "gpu", "auto".
const char* device_name(Device device);
std::optional<Device> parse_device(std::string_view name);
// The names parse_device() accepts, for usage messages: "cpu, gpu, auto or reference".
inline constexpr const char* kDeviceChoices = "cpu, gpu, auto or reference";

}  // namespace vhm
