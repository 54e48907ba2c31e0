#include "core/pdq_hash.h"

#include "core/frame_variant.h"

namespace vhm {

// The names live in frame_variant.cpp, with the variants that are not transforms.
const char* dihedral_name(Dihedral d) { return frame_variant_name(frame_variant_of(d)); }

}  // namespace vhm
