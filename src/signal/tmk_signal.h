// TMK+PDQF comparison, as Meta's tmk-two-level-score computes it: level-1 is the cosine
// of the two pure averages (cheap, for a first cut), level-2 the temporal match kernel's
// best score over every time offset, for each period, normalised to 1 for a video
// compared with itself. Both follow the reference's float arithmetic step by step, so
// that scores agree with it to the last printed digit.
#pragma once

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

}  // namespace vhm
