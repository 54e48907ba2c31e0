#include "support/test_support.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>

namespace vhm::test {

std::optional<std::string> corpus_dir() {
  const char* env = std::getenv("VHM_CORPUS");
  const std::string dir = env && *env ? env : VHM_CORPUS_DIR;
  if (std::filesystem::is_directory(dir + "/threatexchange")) return dir;
  return std::nullopt;
}

CommandResult run_this_test_binary(const std::string& env, const std::string& filter) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  return run_command(env + " '" + self + "' --gtest_filter=" + filter);
}

bool corpus_required() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

OwnedImage random_image(int width, int height, PixelFormat format, uint32_t seed, int extra_stride) {
  const int channels = format == PixelFormat::kRgb24 ? 3 : 1;
  const ptrdiff_t stride = static_cast<ptrdiff_t>(width) * channels + extra_stride;
  OwnedImage img;
  img.pixels.resize(static_cast<size_t>(stride) * std::max(height, 1));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  std::uniform_real_distribution<float> phase(0.0f, 6.0f);
  const float a = phase(rng), b = phase(rng);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        const float v = 100 + 80 * std::sin(x * 0.05f + a + c) * std::cos(y * 0.07f + b) + noise(rng);
        img.pixels[y * stride + x * channels + c] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, v)));
      }
  img.view = {img.pixels.data(), width, height, stride, format};
  return img;
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult run_command(const std::string& command_line) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(std::rand());
  const std::string out = (dir / ("vhm_test_out_" + tag)).string();
  const std::string err = (dir / ("vhm_test_err_" + tag)).string();
  const int status = std::system((command_line + " >" + out + " 2>" + err).c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

CommandResult run_vhm(const std::string& args) { return run_command(std::string(VHM_BINARY) + " " + args); }

std::string read_text_file(const std::string& path) { return slurp(path); }

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::stringstream s(text);
  for (std::string l; std::getline(s, l);)
    if (!l.empty()) out.push_back(nlohmann::json::parse(l));
  return out;
}

}  // namespace vhm::test
