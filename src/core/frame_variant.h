// The variants a frame (or an image) is searched under, named and numbered once for
// every layer: the matcher's query codes, the bank's hits, the JSON writers and the
// importers all use this enum and these names.
//
//   0 original      the frame as hashed
//   1 inside_bars   the picture inside its letterbox/pillarbox bars (hash/letterbox.h)
//   2..8            the seven dihedral transforms, in the order the PDQ reference
//                   prints them (rotate90 .. flipminus1; Dihedral in core/pdq_hash.h)
//
// The numbers are stable: they are kept in memory only today, but a verdict or a
// stored hit that records a variant records this number or this name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/pdq_hash.h"

namespace vhm {

enum class FrameVariant : uint8_t {
  kOriginal = 0,
  kInsideBars = 1,
  kRotate90 = 2,
  kRotate180 = 3,
  kRotate270 = 4,
  kFlipX = 5,
  kFlipY = 6,
  kFlipPlus1 = 7,
  kFlipMinus1 = 8,
};
inline constexpr int kFrameVariantCount = 9;

// The one name of each variant: "original", "inside_bars", "rotate90", "rotate180",
// "rotate270", "flipx", "flipy", "flipplus1", "flipminus1".
const char* frame_variant_name(FrameVariant v);

// A name as users and older files write it: the names above, and the inside-bars
// variant's older spellings ("cropped", "crop_bars", "bars") too. nullopt: no variant.
std::optional<FrameVariant> parse_frame_variant(std::string_view name);

// The dihedral transform's variant (kOriginal for Dihedral::kOriginal) and back
// (nullopt for kInsideBars, which no transform of the whole picture gives).
FrameVariant frame_variant_of(Dihedral d);
std::optional<Dihedral> dihedral_of(FrameVariant v);

}  // namespace vhm
