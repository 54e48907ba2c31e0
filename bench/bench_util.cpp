#include "bench_util.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace vhm::bench {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long proc_status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  const std::string k = key;
  for (std::string line; std::getline(f, line);)
    if (line.rfind(k, 0) == 0) return std::strtol(line.c_str() + k.size(), nullptr, 10);
  return -1;
}

}  // namespace vhm::bench
