// pixels_compare: fast pixels (the decoder's luma plane) against exact pixels (the
// reference's RGB24) on videos, every frame. For each video, and over all of them:
// Hamming distance between fast and exact hashes of the same frame (mean, p95, max),
// the share of frames with identical bits, the quality difference, how many frames
// cross the matcher's quality threshold of 50, and the wall time of hash_video in each
// mode (the same run, modes interleaved, best of --repeat), wall and CPU (all threads)
// seconds: on a shared machine CPU time is the steadier measure of the work.
//
//   pixels_compare [--repeat N] [--threads N] VIDEO_OR_DIRECTORY...
//
// Both range treatments of kFast are measured: "expand" (limited-range luma stretched
// to 0..255 through a 256-entry table) and "stored" (the stored bytes as they are).
// Prints Markdown tables (docs/PIXELS.md holds one run's output).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "hash/video_hasher.h"

namespace {

using vhm::FrameHash;
using vhm::LumaRange;
using vhm::PixelPath;
using vhm::VideoHash;
using vhm::VideoHashConfig;

struct Mode {
  const char* name;
  PixelPath pixels;
  LumaRange range;
};
constexpr Mode kModes[] = {
    {"exact", PixelPath::kExact, LumaRange::kExpand},
    {"fast-expand", PixelPath::kFast, LumaRange::kExpand},
    {"fast-stored", PixelPath::kFast, LumaRange::kAsStored},
};
constexpr int kModeCount = 3;

// Fast against exact, frame by frame.
struct Comparison {
  std::vector<int> distances;
  std::vector<int> distances_q50;  // frames whose exact quality is >= 50 (the ones a matcher uses)
  int64_t frames = 0;
  int64_t identical = 0;
  double quality_diff_sum = 0;      // fast - exact
  double quality_abs_diff_sum = 0;  // |fast - exact|
  int64_t exact_q50 = 0;            // exact quality >= 50
  int64_t lost_q50 = 0;             // exact >= 50, fast < 50
  int64_t gained_q50 = 0;           // exact < 50, fast >= 50
  double time_fast = 0;
  double cpu_fast = 0;

  void add(const VideoHash& exact, const VideoHash& fast) {
    for (size_t i = 0; i < exact.frames.size(); ++i) {
      const FrameHash& e = exact.frames[i];
      const FrameHash& f = fast.frames[i];
      const int d = e.hash.hamming(f.hash);
      distances.push_back(d);
      if (e.quality >= 50) distances_q50.push_back(d);
      ++frames;
      identical += d == 0;
      quality_diff_sum += f.quality - e.quality;
      quality_abs_diff_sum += std::abs(f.quality - e.quality);
      exact_q50 += e.quality >= 50;
      lost_q50 += e.quality >= 50 && f.quality < 50;
      gained_q50 += e.quality < 50 && f.quality >= 50;
    }
  }
  void merge(const Comparison& o) {
    distances.insert(distances.end(), o.distances.begin(), o.distances.end());
    distances_q50.insert(distances_q50.end(), o.distances_q50.begin(), o.distances_q50.end());
    frames += o.frames;
    identical += o.identical;
    quality_diff_sum += o.quality_diff_sum;
    quality_abs_diff_sum += o.quality_abs_diff_sum;
    exact_q50 += o.exact_q50;
    lost_q50 += o.lost_q50;
    gained_q50 += o.gained_q50;
    time_fast += o.time_fast;
    cpu_fast += o.cpu_fast;
  }
};

double mean(const std::vector<int>& v) {
  double s = 0;
  for (int d : v) s += d;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}
int percentile(std::vector<int> v, double p) {  // nearest rank
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}
int max_of(const std::vector<int>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

void print_row(const std::string& name, const Comparison& c, double time_exact, double cpu_exact) {
  std::printf(
      "| %s | %lld | %.2f | %d | %d | %.2f | %d | %d | %.1f%% | %+.2f | %.2f | %lld / %lld | %lld | %.3f | %.3f | "
      "%.2fx | %.3f | %.3f | %.2fx |\n",
      name.c_str(), static_cast<long long>(c.frames), mean(c.distances), percentile(c.distances, 0.95),
      max_of(c.distances), mean(c.distances_q50), percentile(c.distances_q50, 0.95), max_of(c.distances_q50),
      c.frames ? 100.0 * static_cast<double>(c.identical) / static_cast<double>(c.frames) : 0.0,
      c.frames ? c.quality_diff_sum / static_cast<double>(c.frames) : 0.0,
      c.frames ? c.quality_abs_diff_sum / static_cast<double>(c.frames) : 0.0, static_cast<long long>(c.lost_q50),
      static_cast<long long>(c.exact_q50), static_cast<long long>(c.gained_q50), time_exact, c.time_fast,
      c.time_fast > 0 ? time_exact / c.time_fast : 0.0, cpu_exact, c.cpu_fast,
      c.cpu_fast > 0 ? cpu_exact / c.cpu_fast : 0.0);
}

int usage() {
  std::fprintf(stderr, "usage: pixels_compare [--repeat N] [--threads N] VIDEO_OR_DIRECTORY...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 1, threads = 0;
  std::vector<std::string> videos;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--repeat" || a == "--threads") && i + 1 < argc) {
      (a == "--repeat" ? repeat : threads) = std::atoi(argv[++i]);
    } else if (a.starts_with("-")) {
      return usage();
    } else if (std::filesystem::is_directory(a)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      videos.insert(videos.end(), found.begin(), found.end());
    } else {
      videos.push_back(a);
    }
  }
  if (videos.empty() || repeat < 1) return usage();

  Comparison total[kModeCount];
  double total_exact = 0, total_exact_cpu = 0;
  std::vector<std::string> names;
  std::vector<Comparison> rows[kModeCount];
  std::vector<double> exact_times, exact_cpu;
  std::vector<std::string> notes;
  for (const std::string& path : videos) {
    VideoHash results[kModeCount];
    double best[kModeCount], best_cpu[kModeCount];
    std::fill(best, best + kModeCount, 1e300);
    std::fill(best_cpu, best_cpu + kModeCount, 1e300);
    for (int r = 0; r < repeat; ++r) {
      for (int m = 0; m < kModeCount; ++m) {  // interleaved: the modes see the same machine state
        VideoHashConfig config;
        config.device = vhm::Device::kCpu;
        config.threads = threads;
        config.compute_md5 = false;
        config.pixels = kModes[m].pixels;
        config.fast_range = kModes[m].range;
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds();
        auto h = vhm::hash_video(path, config);
        const double c = cpu_seconds() - c0;
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!h) {
          std::fprintf(stderr, "%s\n", h.status().to_string().c_str());
          return 1;
        }
        best[m] = std::min(best[m], t);
        best_cpu[m] = std::min(best_cpu[m], c);
        results[m] = std::move(h).value();
      }
    }
    for (int m = 1; m < kModeCount; ++m) {
      if (results[m].frames.size() != results[0].frames.size()) {
        std::fprintf(stderr, "%s: %s has %zu frames, exact %zu\n", path.c_str(), kModes[m].name,
                     results[m].frames.size(), results[0].frames.size());
        return 1;
      }
      for (size_t i = 0; i < results[0].frames.size(); ++i)
        if (results[m].frames[i].index != results[0].frames[i].index) {
          std::fprintf(stderr, "%s: frame %zu has index %d in %s, %d in exact\n", path.c_str(), i,
                       results[m].frames[i].index, kModes[m].name, results[0].frames[i].index);
          return 1;
        }
      if (!results[m].note.empty()) notes.push_back(path + " (" + kModes[m].name + "): " + results[m].note);
      Comparison c;
      c.add(results[0], results[m]);
      c.time_fast = best[m];
      c.cpu_fast = best_cpu[m];
      rows[m].push_back(c);
      total[m].merge(c);
    }
    names.push_back(std::filesystem::path(path).stem().string() + " (" + results[0].info.pixel_format + ", " +
                    std::to_string(results[0].info.width) + "x" + std::to_string(results[0].info.height) + ")");
    exact_times.push_back(best[0]);
    exact_cpu.push_back(best_cpu[0]);
    total_exact += best[0];
    total_exact_cpu += best_cpu[0];
  }

  for (int m = 1; m < kModeCount; ++m) {
    std::printf("\n### %s against exact\n\n", kModes[m].name);
    std::printf(
        "| video | frames | mean d | p95 d | max d | mean d q50 | p95 d q50 | max d q50 | identical | "
        "quality diff | mean abs quality diff | q>=50 lost / exact q>=50 | q>=50 gained | exact s | %s s | "
        "speed-up | exact cpu s | %s cpu s | cpu ratio |\n",
        kModes[m].name, kModes[m].name);
    std::printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t v = 0; v < names.size(); ++v) print_row(names[v], rows[m][v], exact_times[v], exact_cpu[v]);
    print_row("**all**", total[m], total_exact, total_exact_cpu);
  }
  for (const std::string& n : notes) std::printf("\nnote: %s\n", n.c_str());
  return 0;
}
