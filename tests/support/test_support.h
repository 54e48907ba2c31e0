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

// Skips the calling test with a clear message when the corpus is absent.
#define VHM_REQUIRE_CORPUS(var)                                                        \
  auto var##_opt = ::vhm::test::corpus_dir();                                          \
  if (!var##_opt) GTEST_SKIP() << "shared corpus not found (set VHM_CORPUS or place it at " \
                               << VHM_CORPUS_DIR << ")";                               \
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
// Runs the built vhm binary with the given argument string.
CommandResult run_vhm(const std::string& args);

std::string read_text_file(const std::string& path);

// One parsed object per non-empty line of JSON Lines text (what `vhm ... --format jsonl` prints).
std::vector<nlohmann::json> json_lines(const std::string& text);

}  // namespace vhm::test
