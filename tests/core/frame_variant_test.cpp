// Frame variants: one name each, read back to the same variant; the inside-bars
// variant's older spellings still read; the dihedral transforms map both ways in the
// reference's order.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/frame_variant.h"

namespace vhm {
namespace {

TEST(FrameVariant, EveryVariantHasOneNameThatReadsBack) {
  std::set<std::string> names;
  for (int i = 0; i < kFrameVariantCount; ++i) {
    const auto v = static_cast<FrameVariant>(i);
    const std::string name = frame_variant_name(v);
    EXPECT_NE(name, "?");
    EXPECT_TRUE(names.insert(name).second) << name << " names two variants";
    EXPECT_EQ(parse_frame_variant(name), v);
  }
  EXPECT_EQ(std::string(frame_variant_name(FrameVariant::kInsideBars)), "inside_bars");
  EXPECT_EQ(std::string(frame_variant_name(FrameVariant::kOriginal)), "original");
  EXPECT_FALSE(parse_frame_variant("rotate45").has_value());
  EXPECT_FALSE(parse_frame_variant("").has_value());
}

TEST(FrameVariant, OlderInsideBarsSpellingsStillRead) {
  for (const char* old : {"cropped", "crop_bars", "bars"})
    EXPECT_EQ(parse_frame_variant(old), FrameVariant::kInsideBars) << old;
}

TEST(FrameVariant, DihedralTransformsMapBothWays) {
  for (int k = 0; k < kDihedralCount; ++k) {
    const auto d = static_cast<Dihedral>(k);
    const FrameVariant v = frame_variant_of(d);
    EXPECT_EQ(dihedral_of(v), d);
    EXPECT_STREQ(dihedral_name(d), frame_variant_name(v)) << "one table names both";
    EXPECT_NE(v, FrameVariant::kInsideBars);
  }
  EXPECT_EQ(frame_variant_of(Dihedral::kRotate90), FrameVariant::kRotate90);
  EXPECT_EQ(frame_variant_of(Dihedral::kFlipMinus1), FrameVariant::kFlipMinus1);
  EXPECT_FALSE(dihedral_of(FrameVariant::kInsideBars).has_value());
}

}  // namespace
}  // namespace vhm
