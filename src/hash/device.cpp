#include "hash/device.h"

namespace vhm {

const char* device_name(Device device) {
  switch (device) {
    case Device::kReference:
      return "reference";
    case Device::kCpu:
      return "cpu";
    case Device::kGpu:
      return "gpu";
    case Device::kAuto:
      return "auto";
  }
  return "?";
}

std::optional<Device> parse_device(std::string_view name) {
  for (const Device d : {Device::kReference, Device::kCpu, Device::kGpu, Device::kAuto})
    if (name == device_name(d)) return d;
  return std::nullopt;
}

}  // namespace vhm
