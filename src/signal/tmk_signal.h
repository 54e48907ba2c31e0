// TMK+PDQF comparison, as Meta's tmk-two-level-score computes it: level-1 is the cosine
// of the two pure averages (cheap, for a first cut), level-2 the temporal match kernel's
// best score over every time offset, for each period, normalised to 1 for a video
// compared with itself. Both follow the reference's float arithmetic step by step, so
// that scores agree with it to the last printed digit.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tmk_features.h"

namespace vhm {

// kInvalidArgument when the two cannot be compared: another algorithm, frame rate,
// periods, coefficients (relative difference over 1e-6) or feature dimension.
Status tmk_check_comparable(const TmkFeatures& a, const TmkFeatures& b);

// Cosine similarity of the pure averages; 0 when both are zero.
float tmk_level1_score(const TmkFeatures& a, const TmkFeatures& b);

// max over periods of (max over offsets 0..period-1 of K(offset)) / (c0 + 2 * sum c_j),
// with K's Fourier series evaluated by the reference's incremental rotation. The two must
// be comparable (tmk_check_comparable).
float tmk_level2_score(const TmkFeatures& a, const TmkFeatures& b);

// Where level-2's maximum was reached: the period whose kernel gave it and the offset
// within that period. The kernel peaks at offset d when frame t of `a` looks like frame
// t - d of `b` (b is a's video with its first d frames cut: d > 0). An offset is only
// known modulo its period, so it is reported in (-period/2, period/2].
struct TmkAlignment {
  float score = 0;  // equals tmk_level2_score(a, b)
  int period = 0;   // in frames at frames_per_second (0 when there is none)
  // Frames at frames_per_second: every period's peak combined (longest first, each
  // shorter one at the wrap nearest), in (-longest/2, longest/2 + shortest].
  int64_t offset_frames = 0;
  double offset_seconds = 0;  // offset_frames / frames_per_second
};
TmkAlignment tmk_level2_alignment(const TmkFeatures& a, const TmkFeatures& b);

}  // namespace vhm
