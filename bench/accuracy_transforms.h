// The transform suite of `vhm bench accuracy`: what re-uploads do to a video, each made
// with the ffmpeg CLI from a source video. Every variant is re-encoded with libx264
// (CRF 18, the "identity" baseline, unless the transform is a CRF itself), audio dropped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/video_hash.h"

namespace vhm::bench::accuracy {

struct Transform {
  std::string name;         // as --transforms names it, e.g. "crop10"
  std::string description;  // one line for the report
};

// The whole suite, in report order.
const std::vector<Transform>& all_transforms();
const Transform* find_transform(const std::string& name);

// The ffmpeg command line that makes `name`'s variant of `source` (stream facts in `info`:
// size, frame rate, duration) at `output`. nullopt for an unknown name.
std::optional<std::vector<std::string>> ffmpeg_command(const std::string& ffmpeg, const std::string& name,
                                                       const std::string& source, const VideoStreamInfo& info,
                                                       const std::string& output);

}  // namespace vhm::bench::accuracy
