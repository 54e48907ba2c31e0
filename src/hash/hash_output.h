// How `vhm hash` writes what it computed, one function per format:
//   csv    images: pdq_hex,quality,path (the reference photo tool's line; with
//          dihedral: 8 hashes,quality,path); videos: pdq_hex,quality,path,frame,seconds
//          per hashed frame
//   jsonl  one JSON object per input (failures: {"path", "error", "code"}); "sha256" and
//          "tmk" (format_threatexchange_tmk, core/tmk_features.h) when those were computed; with bars
//          (VideoHashConfig::crop_bars) a frame that has them carries "pdq_inside_bars"
//          and "quality_inside_bars", an image "pdq_inside_bars": {pdq, quality}
//   vpdq   the reference vPDQ file (frame,quality,hex,seconds), one per input
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hash/input_hasher.h"

namespace vhm {

struct OutputOptions {
  bool dihedral = false;  // images: the eight dihedral hashes
  std::string sampling;   // recorded in JSON ("every-frame", "1s", "keyframes")
};

std::string format_csv(const InputHash& h, const OutputOptions& options);
nlohmann::json to_json(const InputHash& h, const OutputOptions& options);
// The vPDQ text of an input (an image is one frame: 0,quality,hex,0.000).
std::string format_vpdq_text(const InputHash& h);

}  // namespace vhm
