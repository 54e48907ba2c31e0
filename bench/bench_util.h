// Small helpers every benchmark workload uses: wall time, the process's memory as the
// kernel reports it, and a fast seeded generator for synthetic hashes.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/hash256.h"

namespace vhm::bench {

// Seconds since t0 on the steady clock.
double seconds_since(std::chrono::steady_clock::time_point t0);

// A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.
long proc_status_kib(const char* key);

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

}  // namespace vhm::bench
