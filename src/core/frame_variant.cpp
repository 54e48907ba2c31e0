#include "core/frame_variant.h"

#include <array>

namespace vhm {
namespace {

// Indexed by the variant's number: the only place a variant's name is spelled.
constexpr std::array<const char*, kFrameVariantCount> kNames = {
    "original", "inside_bars", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1",
};

// Dihedral k (1..7) is variant k + 1: the two enums keep the reference's order.
constexpr int kDihedralOffset = static_cast<int>(FrameVariant::kRotate90) - static_cast<int>(Dihedral::kRotate90);

}  // namespace

const char* frame_variant_name(FrameVariant v) {
  const auto i = static_cast<size_t>(v);
  return i < kNames.size() ? kNames[i] : "?";
}

std::optional<FrameVariant> parse_frame_variant(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<FrameVariant>(i);
  // Older spellings of the inside-bars variant: the FrameHash field, the hashing
  // option and the CLI flag each had their own.
  if (name == "cropped" || name == "crop_bars" || name == "bars") return FrameVariant::kInsideBars;
  return std::nullopt;
}

FrameVariant frame_variant_of(Dihedral d) {
  if (d == Dihedral::kOriginal) return FrameVariant::kOriginal;
  return static_cast<FrameVariant>(static_cast<int>(d) + kDihedralOffset);
}

std::optional<Dihedral> dihedral_of(FrameVariant v) {
  if (v == FrameVariant::kOriginal) return Dihedral::kOriginal;
  if (v == FrameVariant::kInsideBars) return std::nullopt;
  const int d = static_cast<int>(v) - kDihedralOffset;
  if (d < 1 || d >= kDihedralCount) return std::nullopt;
  return static_cast<Dihedral>(d);
}

}  // namespace vhm
