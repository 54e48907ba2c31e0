#include "bench/environment.h"

#include <fstream>
#include <thread>

#include <faiss/Index.h>

extern "C" {
#include <libavutil/avutil.h>
}

#include "kernels/pdq_cuda.h"

namespace vhm::bench {

Environment read_environment() {
  Environment env;
  env.vhm_version = VHM_VERSION;
  env.commit = VHM_GIT_COMMIT;
  env.build_type = VHM_BUILD_TYPE;
  env.compiler = VHM_COMPILER;
  env.cxx_flags = VHM_CXX_FLAGS;
  env.optimised_build = env.build_type == "Release" || env.build_type == "RelWithDebInfo";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      env.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
#if defined(__x86_64__)
  __builtin_cpu_init();
  auto add = [&](bool has, const char* name) {
    if (has) env.cpu_features += std::string(env.cpu_features.empty() ? "" : " ") + name;
  };
  add(__builtin_cpu_supports("sse4.2"), "sse4.2");
  add(__builtin_cpu_supports("avx2"), "avx2");
  add(__builtin_cpu_supports("fma"), "fma");
  add(__builtin_cpu_supports("avx512f"), "avx512f");
  add(__builtin_cpu_supports("popcnt"), "popcnt");
#endif
  env.cores = static_cast<int>(std::thread::hardware_concurrency());
  std::string why;
  env.gpu = gpu::cuda_available(&why) ? gpu::device_description(0) : "none (" + why + ")";
  env.ffmpeg_version = av_version_info();
  // FAISS 1.7 has no runtime version call; the headers built against are the library
  // linked (Debian's libfaiss-dev ships both).
  env.faiss_version = std::to_string(FAISS_VERSION_MAJOR) + "." + std::to_string(FAISS_VERSION_MINOR) + "." +
                      std::to_string(FAISS_VERSION_PATCH);
  return env;
}

nlohmann::json to_json(const Environment& e) {
  return {{"vhm_version", e.vhm_version},   {"commit", e.commit},       {"build_type", e.build_type},
          {"compiler", e.compiler},         {"cxx_flags", e.cxx_flags}, {"cpu", e.cpu_model},
          {"cpu_features", e.cpu_features}, {"cores", e.cores},         {"gpu", e.gpu},
          {"ffmpeg", e.ffmpeg_version},     {"faiss", e.faiss_version}};
}

std::string to_text(const Environment& e) {
  std::string s;
  s += "vhm " + e.vhm_version + " (commit " + e.commit + ", " + e.build_type + ")\n";
  s += "compiler: " + e.compiler + "  flags: " + e.cxx_flags + "\n";
  s += "cpu: " + e.cpu_model + " x" + std::to_string(e.cores) + " [" + e.cpu_features + "]\n";
  s += "gpu: " + e.gpu + "\n";
  s += "ffmpeg: " + e.ffmpeg_version + "  faiss: " + e.faiss_version + "\n";
  if (!e.optimised_build) s += "WARNING: unoptimised build; figures are not representative\n";
  return s;
}

}  // namespace vhm::bench
