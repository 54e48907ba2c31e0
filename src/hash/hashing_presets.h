// How each job hashes media, named once. The front doors start from a preset and
// change only what their flags say (cli/hashing_flags.h), so that `vhm bank add`,
// `vhm match`, `vhm serve` and `vhm bench` hash alike where they claim to: before, each
// set the same fields by hand and the copies drifted (bench accuracy stored media with
// other timestamps than bank add).
#pragma once

#include "hash/input_hasher.h"

namespace vhm {

enum class HashingPreset {
  // vhm hash: every frame with the reference's pixels and timestamps, so vPDQ files
  // equal the reference's byte for byte; nothing beyond the reference's hashes.
  kReference,
  // vhm bank add of media: as kReference, plus the picture inside any letterbox or
  // pillarbox bars (searched as a variant of the frame).
  kBank,
  // vhm match and vhm serve: key frames (on the corpus as good as every frame at 11% of
  // the time, docs/MATCHING.md), the picture inside bars searched too, each frame's own
  // presentation time (verdict ranges are in the upload's time).
  kQuery,
};

const char* hashing_preset_name(HashingPreset preset);  // "reference", "bank", "query"

InputHashConfig hashing_preset(HashingPreset preset);

}  // namespace vhm
