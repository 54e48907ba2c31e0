#include "hash/hashing_presets.h"

namespace vhm {

const char* hashing_preset_name(HashingPreset preset) {
  switch (preset) {
    case HashingPreset::kReference:
      return "reference";
    case HashingPreset::kBank:
      return "bank";
    case HashingPreset::kQuery:
      return "query";
  }
  return "?";
}

InputHashConfig hashing_preset(HashingPreset preset) {
  InputHashConfig c;
  c.video.sampling = VideoSampling::kEveryFrame;
  c.video.pixels = PixelPath::kExact;
  c.video.timestamps = TimestampMode::kReference;
  c.video.prune_distance = -1;
  c.video.device = Device::kAuto;
  switch (preset) {
    case HashingPreset::kReference:
      break;
    case HashingPreset::kBank:
      c.video.crop_bars = true;
      break;
    case HashingPreset::kQuery:
      c.video.sampling = VideoSampling::kKeyframes;
      c.video.crop_bars = true;
      c.video.timestamps = TimestampMode::kPresentation;
      break;
  }
  return c;
}

}  // namespace vhm
