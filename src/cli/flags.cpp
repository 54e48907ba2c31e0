#include "cli/flags.h"

namespace vhm::cli {

bool parse_sampling_flag(const std::string& s, VideoHashConfig& c) {
  if (s == "every-frame" || s == "all" || s == "0" || s == "0s") {
    c.sampling = VideoSampling::kEveryFrame;
    return true;
  }
  if (s == "keyframes" || s == "key") {
    c.sampling = VideoSampling::kKeyframes;
    return true;
  }
  const std::string number = s.ends_with("s") ? s.substr(0, s.size() - 1) : s;
  try {
    size_t used = 0;
    const double seconds = std::stod(number, &used);
    if (used != number.size() || !(seconds > 0) || seconds > 1e6) return false;
    c.sampling = VideoSampling::kEverySeconds;
    c.seconds = seconds;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_pixels_flag(const std::string& s, VideoHashConfig& c) {
  if (s == "exact") c.pixels = PixelPath::kExact;
  else if (s == "fast") c.pixels = PixelPath::kFast;
  else return false;
  return true;
}

}  // namespace vhm::cli
