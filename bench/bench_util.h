// Small helpers every benchmark workload uses: wall time, the process's memory as the
// kernel reports it, and a fast seeded generator for synthetic hashes.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hash256.h"

namespace vhm::bench {

// Seconds since t0 on the steady clock.
double seconds_since(std::chrono::steady_clock::time_point t0);

// A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.
long proc_status_kib(const char* key);

// The p-th percentile (0..100) of `values`, interpolated between the nearest ranks; 0
// for none.
double percentile(std::vector<double> values, double p);

// A count as flags write it: "1000000", "1e6", "10M", "500k" (0 .. 4e9), or nullopt.
std::optional<size_t> parse_count(std::string text);

// Parses a workload's argv against `options` plus positional file arguments (into
// `files`). Returns the exit code when the workload should stop here (0 after --help,
// 2 after naming a bad flag), nullopt to go on.
std::optional<int> parse_workload_args(int argc, char** argv,
                                       const boost::program_options::options_description& options,
                                       std::vector<std::string>& files, const char* workload);

// The content family of a video from its file name: the name up to its first '-'
// ("chair-19-sd-bar.mp4" -> "chair"), else the name without extension. Videos of one
// family are the same content (the corpus names its variants so).
std::string content_family(const std::string& file);

// splitmix64: fast, seeded, good enough for synthetic banks and queries.
struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
  Hash256 code() {
    Hash256 h;
    for (auto& w : h.words) w = next();
    return h;
  }
};

// Numbers for the tables: `v` with `prec` decimals; a count as 100k / 1M where exact.
std::string fmt(double v, int prec = 1);
std::string human_n(size_t n);

}  // namespace vhm::bench
