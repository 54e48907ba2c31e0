// Flag values shared by several subcommands, parsed in one place.
#pragma once

#include <string>

#include "hash/video_hasher.h"

namespace vhm::cli {

// --sample: "every-frame" (also "all", "0"), "keyframes", or seconds: "1s", "0.5s", "2".
bool parse_sampling_flag(const std::string& text, VideoHashConfig& config);

// --pixels: "exact" or "fast".
bool parse_pixels_flag(const std::string& text, VideoHashConfig& config);

}  // namespace vhm::cli
