// End to end: `vhm hash --signal tmk` writes the reference's .tmk files byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(CliHashTmk, WritesTheReferenceTmkFiles) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const fs::path out = fs::temp_directory_path() / ("vhm_tmk_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string videos = (tmk / "sample-videos" / "chair-19-sd-bar.mp4").string() + " " +
                             (tmk / "sample-videos" / "test-padded-dimensions.mp4").string();
  const auto r = test::run_vhm("hash --quiet --signal tmk --out-dir " + out.string() + " " + videos);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(out / "chair-19-sd-bar.tmk"), read_all(tmk / "sample-hashes" / "chair-19-sd-bar.tmk"));
  EXPECT_EQ(read_all(out / "test-padded-dimensions.tmk"),
            read_all(tmk / "reference-debian12" / "test-padded-dimensions.tmk"));
  fs::remove_all(out);
}

TEST(CliHashTmk, RefusesAnUnknownSignal) {
  const auto r = test::run_vhm("hash --signal nope x.mp4");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--signal must be pdq or tmk"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vhm
