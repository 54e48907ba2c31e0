// Matcher: which step of matching an input failed is part of the result (MatchFailure),
// so the front doors answer for the input (422, exit 1, no retry) or for the bank (500,
// exit 3, a Redis retry) without guessing it from the rest of the result.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bank/bank.h"
#include "bank/bank_test_util.h"
#include "match/match_json.h"
#include "match/matcher.h"
#include "support/test_support.h"

namespace vhm {
namespace {

using test::quiet_options;
using test::RawDb;
using test::TempBankDir;

// A bank holding one image of the corpus, and that image as an input.
struct ImageBank {
  TempBankDir dir;
  std::unique_ptr<Bank> bank;
  Input image;
};

void make_image_bank(const std::string& corpus, ImageBank& out) {
  out.image = {corpus + "/threatexchange/pdq/data/bridge-mods/aaa-orig.jpg", InputKind::kImage, "aaa-orig"};
  const InputHash hashed = hash_input(out.image, InputHashConfig{});
  ASSERT_TRUE(hashed.status.is_ok()) << hashed.status.to_string();
  ASSERT_TRUE(hashed.image.has_value());
  ASSERT_TRUE(Bank::create(out.dir.bank()).is_ok());
  out.bank = test::open_ok(out.dir.bank());
  ASSERT_TRUE(out.bank);
  FrameHash frame;
  frame.hash = hashed.image->pdq.hash;
  frame.quality = hashed.image->pdq.quality;
  ContentMeta meta;
  meta.external_id = "bridge";
  meta.kind = ContentKind::kImage;
  ASSERT_TRUE(out.bank->add_content(meta, std::span(&frame, 1)).is_ok());
}

TEST(MatcherFailure, AMatchingInputSucceedsWithNoFailure) {
  VHM_REQUIRE_CORPUS(corpus);
  ImageBank b;
  make_image_bank(corpus, b);
  ASSERT_FALSE(HasFatalFailure());
  const Matcher matcher(*b.bank, MatchConfig{});
  const InputMatch m = matcher.match_input(b.image);
  EXPECT_TRUE(m.ok());
  EXPECT_EQ(m.failure, MatchFailure::kNone);
  EXPECT_TRUE(m.status.is_ok());
  EXPECT_TRUE(m.matched());
  EXPECT_FALSE(match_json(m, false).contains("failed"));
}

TEST(MatcherFailure, BytesThatAreNoMediaFailAtHashing) {
  VHM_REQUIRE_CORPUS(corpus);
  ImageBank b;
  make_image_bank(corpus, b);
  ASSERT_FALSE(HasFatalFailure());
  const Matcher matcher(*b.bank, MatchConfig{});
  const std::string junk = "this is no video at all";
  Input input{"upload", InputKind::kVideo, "upload"};
  input.bytes = std::span(reinterpret_cast<const uint8_t*>(junk.data()), junk.size());
  const InputMatch m = matcher.match_input(input);
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(m.failure, MatchFailure::kHashing);
  EXPECT_FALSE(m.status.is_ok());
  EXPECT_FALSE(m.hashed.status.is_ok());  // the hashing's own outcome says the same
  const nlohmann::json j = match_json(m, false);
  EXPECT_EQ(j.value("failed", ""), "hashing");
  EXPECT_EQ(j.value("code", ""), status_code_name(m.status.code()));
}

TEST(MatcherFailure, ABankThatCannotReadItsHitsFailsAtLookupAfterHashing) {
  VHM_REQUIRE_CORPUS(corpus);
  ImageBank b;
  make_image_bank(corpus, b);
  ASSERT_FALSE(HasFatalFailure());
  const Matcher matcher(*b.bank, MatchConfig{});
  ASSERT_TRUE(matcher.match_input(b.image).matched());
  // Damage behind the bank's back: the index still finds the image, but its content's
  // frames can no longer be read.
  {
    RawDb raw(b.dir.bank());
    raw.exec("DROP TABLE frames");
  }
  const InputMatch m = matcher.match_input(b.image);
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(m.failure, MatchFailure::kLookup) << m.status.to_string();
  EXPECT_FALSE(m.status.is_ok());
  EXPECT_TRUE(m.hashed.status.is_ok());  // the input itself hashed
  EXPECT_TRUE(m.hashed.image.has_value());
  // The error names the bank, whose failure it is.
  EXPECT_NE(m.status.to_string().find(b.dir.bank()), std::string::npos) << m.status.to_string();
  EXPECT_EQ(match_json(m, false).value("failed", ""), "lookup");
}

}  // namespace
}  // namespace vhm
