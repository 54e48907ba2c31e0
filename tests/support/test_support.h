// Helpers shared by the test suites: where the corpus is, random images, running the CLI.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hash/pdq.h"

namespace vhm::test {

// The shared corpus directory (env VHM_CORPUS, else ../shared/corpus beside the
// checkout), or nullopt when it is absent.
std::optional<std::string> corpus_dir();

// Whether a missing corpus fails a test that needs it instead of skipping it: in CI
// (CI=true), where the corpus is always present, a skip would pass every reference
// test without running one.
bool corpus_required();

// Ends the calling test without the corpus: a failure in CI, a skip elsewhere.
#define VHM_SKIP_WITHOUT_CORPUS()                                                                                  \
  if (::vhm::test::corpus_required())                                                                              \
    FAIL() << "shared corpus not found, and CI=true requires it (set VHM_CORPUS or place it at " << VHM_CORPUS_DIR \
           << ")";                                                                                                 \
  else GTEST_SKIP() << "shared corpus not found (set VHM_CORPUS or place it at " << VHM_CORPUS_DIR << ")"

// Declares `var`, the corpus directory, or ends the test as VHM_SKIP_WITHOUT_CORPUS says.
#define VHM_REQUIRE_CORPUS(var)               \
  auto var##_opt = ::vhm::test::corpus_dir(); \
  if (!var##_opt) {                           \
    VHM_SKIP_WITHOUT_CORPUS();                \
  }                                           \
  const std::string var = *var##_opt

// Random pixels with a fixed seed: smooth structure plus noise, so the DCT is not flat.
struct OwnedImage {
  std::vector<uint8_t> pixels;
  ImageView view;
};
OwnedImage random_image(int width, int height, PixelFormat format, uint32_t seed, int extra_stride = 0);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs a shell command line, capturing stdout and stderr.
CommandResult run_command(const std::string& command_line);
// Runs this test executable again with `env` (VAR=value ...) before it and only the
// tests `filter` names: for claims that hold per process, or per environment.
CommandResult run_this_test_binary(const std::string& env, const std::string& filter);
// Runs the built vhm binary with the given argument string.
CommandResult run_vhm(const std::string& args);

std::string read_text_file(const std::string& path);

// One parsed object per non-empty line of JSON Lines text (what `vhm ... --format jsonl` prints).
std::vector<nlohmann::json> json_lines(const std::string& text);

}  // namespace vhm::test
