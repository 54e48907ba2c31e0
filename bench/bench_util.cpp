#include "bench/bench_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace vhm::bench {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string content_family(const std::string& file) {
  const std::string name = std::filesystem::path(file).filename().string();
  const auto dash = name.find('-');
  if (dash != std::string::npos && dash > 0) return name.substr(0, dash);
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

long proc_status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  const std::string k = key;
  for (std::string line; std::getline(f, line);)
    if (line.rfind(k, 0) == 0) return std::strtol(line.c_str() + k.size(), nullptr, 10);
  return -1;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::optional<size_t> parse_count(std::string s) {
  double mult = 1;
  if (!s.empty() && (s.back() == 'M' || s.back() == 'm')) mult = 1e6, s.pop_back();
  else if (!s.empty() && (s.back() == 'K' || s.back() == 'k')) mult = 1e3, s.pop_back();
  try {
    size_t pos = 0;
    const double v = std::stod(s, &pos) * mult;
    if (pos != s.size() || v < 0 || v > 4e9) return std::nullopt;
    return static_cast<size_t>(std::llround(v));
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<int> parse_workload_args(int argc, char** argv,
                                       const boost::program_options::options_description& options,
                                       std::vector<std::string>& files, const char* workload) {
  namespace po = boost::program_options;
  po::options_description hidden;
  hidden.add_options()("file", po::value(&files));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "vhm bench %s: %s\n", workload, e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  return std::nullopt;
}

std::string fmt(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

std::string human_n(size_t n) {
  if (n >= 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
  if (n >= 1'000 && n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
  return std::to_string(n);
}

}  // namespace vhm::bench
