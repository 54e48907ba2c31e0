// vhm bench hash: PDQ time per frame at given sizes, for each implementation and
// thread count, with every hash checked against the reference path.
#include <omp.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/environment.h"
#include "bench/plot.h"
#include "hash/pdq_hasher.h"

namespace po = boost::program_options;

namespace vhm::bench {
namespace {

struct Size {
  std::string name;
  int width, height;
};

bool parse_size(const std::string& s, Size& out) {
  if (s == "480p") out = {s, 854, 480};
  else if (s == "720p") out = {s, 1280, 720};
  else if (s == "1080p") out = {s, 1920, 1080};
  else if (s == "2160p" || s == "4k") out = {s, 3840, 2160};
  else {
    int w, h;
    char x;
    std::istringstream in(s);
    if (!(in >> w >> x >> h) || x != 'x' || w <= 0 || h <= 0) return false;
    out = {s, w, h};
  }
  return true;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string p; std::getline(in, p, ',');)
    if (!p.empty()) parts.push_back(p);
  return parts;
}

// Luminance frames that look like video (smooth shapes, texture, noise), fixed seed.
std::vector<std::vector<uint8_t>> make_frames(const Size& size, int count) {
  std::mt19937 rng(1234);
  std::vector<std::vector<uint8_t>> frames(count);
  for (int f = 0; f < count; ++f) {
    std::uniform_real_distribution<float> phase(0.0f, 6.28f);
    const float a = phase(rng), b = phase(rng);
    std::uniform_int_distribution<int> noise(-12, 12);
    auto& px = frames[f];
    px.resize(static_cast<size_t>(size.width) * size.height);
    for (int y = 0; y < size.height; ++y)
      for (int x = 0; x < size.width; ++x) {
        const float v = 128 + 60 * std::sin(x * 0.013f + a) * std::cos(y * 0.021f + b) + 30 * std::sin((x + y) * 0.05f);
        px[static_cast<size_t>(y) * size.width + x] = static_cast<uint8_t>(std::clamp(v + noise(rng), 0.0f, 255.0f));
      }
  }
  return frames;
}

struct Row {
  std::string size, impl;
  int threads = 1;
  double ms_per_frame = 0, best_ms_per_frame = 0, frames_per_s = 0, speedup_vs_reference = 0;
  bool bits_equal = true;
};

// The row's bar in the chart: the cpu path is named with its thread count, the others
// always run as one hasher (reference: one thread; gpu: one device).
std::string series_label(const Row& r) {
  return r.impl.starts_with("cpu") ? r.impl + " " + std::to_string(r.threads) + "T" : r.impl;
}

// hash-ms-per-frame: a cluster per frame size, a bar per implementation and thread
// count. The figure is what the workload times: one batch's wall time divided by its
// frames (median over the repeats), so with threads it is the inverse of throughput, not
// the latency of one frame.
plot::Chart hash_chart(const std::vector<Row>& rows, int frames, int repeat) {
  plot::Chart c;
  c.name = "hash-ms-per-frame";
  c.title = "vhm bench hash: PDQ wall time per frame, batches of " + std::to_string(frames) + " frames (median of " +
            std::to_string(repeat) + ")";
  c.xlabel = "frame size";
  c.ylabel = "ms per frame (batch wall time / frames)";
  c.kind = plot::ChartKind::kBars;
  // Clusters and bars in the order the workload ran them.
  auto index_of = [](std::vector<std::string>& list, const std::string& item) {
    auto it = std::find(list.begin(), list.end(), item);
    if (it == list.end()) it = list.insert(it, item);
    return static_cast<size_t>(it - list.begin());
  };
  for (const Row& r : rows) index_of(c.row_labels, r.size), index_of(c.series, series_label(r));
  c.values.assign(c.row_labels.size(), std::vector<double>(c.series.size(), std::numeric_limits<double>::quiet_NaN()));
  for (const Row& r : rows)
    c.values[index_of(c.row_labels, r.size)][index_of(c.series, series_label(r))] = r.ms_per_frame;
  plot::choose_y_axis(c);  // the reference is often 100x the multi-threaded cpu path
  return c;
}

}  // namespace

int run_hash(int argc, char** argv) {
  std::string sizes_arg = "480p,720p,1080p", impls_arg = "reference,cpu,gpu", threads_arg = "1,all", plot_dir;
  int frames = 16, repeat = 5;
  bool json = false, markdown = false;
  po::options_description opts(R"(Usage: vhm bench hash [OPTIONS]

PDQ time per frame on synthetic luminance frames, for each implementation and thread
count; every hash is checked bit for bit against the reference path.

Examples:
  vhm bench hash
  vhm bench hash --sizes 720p --impl cpu --threads 1
  vhm bench hash --sizes 1280x720,3840x2160 --json

Options)");
  opts.add_options()("help,h", "show this help")("sizes", po::value(&sizes_arg)->default_value(sizes_arg),
                                                 "480p,720p,1080p,2160p or WxH, comma-separated")(
      "impl", po::value(&impls_arg)->default_value(impls_arg), "reference,cpu,gpu (gpu is skipped where absent)")(
      "threads", po::value(&threads_arg)->default_value(threads_arg), "thread counts for cpu: numbers or 'all'")(
      "frames", po::value(&frames)->default_value(frames), "frames per batch")(
      "repeat", po::value(&repeat)->default_value(repeat), "timed batches (median reported) after one warm-up")(
      "json", po::bool_switch(&json), "print one JSON object instead of a table")(
      "markdown", po::bool_switch(&markdown), "print a Markdown table (for docs/BENCHMARKS.md)")(
      "plot", po::value(&plot_dir)->value_name("DIR"), "write SVG charts (gnuplot) of the figures to DIR");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "vhm bench hash: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (frames < 1 || repeat < 1) {
    std::fprintf(stderr, "vhm bench hash: --frames and --repeat must be >= 1\n");
    return 2;
  }
  std::vector<Device> impls;
  for (const auto& name : split(impls_arg)) {
    const auto device = parse_device(name);
    if (!device || *device == Device::kAuto) {
      std::fprintf(stderr, "vhm bench hash: --impl: '%s' is not reference, cpu or gpu\n", name.c_str());
      return 2;
    }
    impls.push_back(*device);
  }
  std::vector<Size> sizes;
  for (const auto& s : split(sizes_arg)) {
    Size size;
    if (!parse_size(s, size)) {
      std::fprintf(stderr, "vhm bench hash: --sizes: cannot read '%s'\n", s.c_str());
      return 2;
    }
    sizes.push_back(size);
  }
  std::vector<int> thread_counts;
  for (const auto& t : split(threads_arg)) {
    const int n = t == "all" ? omp_get_max_threads() : std::atoi(t.c_str());
    if (n < 1) {
      std::fprintf(stderr, "vhm bench hash: --threads: cannot read '%s'\n", t.c_str());
      return 2;
    }
    if (std::find(thread_counts.begin(), thread_counts.end(), n) == thread_counts.end()) thread_counts.push_back(n);
  }

  const Environment env = read_environment();
  if (!json) std::cerr << to_text(env);
  std::vector<Row> rows;
  bool all_equal = true;
  bool gpu_skip_reported = false;
  for (const Size& size : sizes) {
    const auto pixels = make_frames(size, frames);
    std::vector<ImageView> views;
    for (const auto& p : pixels) views.push_back({p.data(), size.width, size.height, size.width, PixelFormat::kGray8});
    std::vector<PdqHash> expected(views.size());
    auto reference = make_pdq_hasher({Device::kReference, 1});
    if (Status s = (*reference)->hash(views, expected); !s.is_ok()) {
      std::fprintf(stderr, "vhm bench hash: %s\n", s.to_string().c_str());
      return 3;
    }
    double reference_ms = 0;
    for (const Device impl : impls) {
      const std::vector<int> counts = impl == Device::kCpu ? thread_counts : std::vector<int>{1};
      for (int threads : counts) {
        auto hasher = make_pdq_hasher({impl, threads});
        if (!hasher) {
          if (impl == Device::kGpu) {
            if (!json && !gpu_skip_reported) std::cerr << "gpu: skipped (" << hasher.status().message() << ")\n";
            gpu_skip_reported = true;
            continue;
          }
          std::fprintf(stderr, "vhm bench hash: --impl: %s\n", hasher.status().to_string().c_str());
          return 2;
        }
        std::vector<PdqHash> out(views.size());
        (void)(*hasher)->hash(views, out);  // warm-up (allocations, GPU context)
        std::vector<double> ms;
        for (int r = 0; r < repeat; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          if (Status s = (*hasher)->hash(views, out); !s.is_ok()) {
            std::fprintf(stderr, "vhm bench hash: %s\n", s.to_string().c_str());
            return 3;
          }
          ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                       frames);
        }
        std::sort(ms.begin(), ms.end());
        Row row{size.name, (*hasher)->name(), threads, ms[ms.size() / 2], ms.front(), 0, 0, out == expected};
        row.frames_per_s = 1000.0 / row.ms_per_frame;
        if (impl == Device::kReference) reference_ms = row.ms_per_frame;
        row.speedup_vs_reference = reference_ms > 0 ? reference_ms / row.ms_per_frame : 0;
        all_equal = all_equal && row.bits_equal;
        rows.push_back(row);
      }
    }
  }

  if (json) {
    nlohmann::json j{{"benchmark", "hash"}, {"environment", to_json(env)}, {"frames", frames}, {"repeat", repeat}};
    for (const Row& r : rows)
      j["results"].push_back({{"size", r.size},
                              {"impl", r.impl},
                              {"threads", r.threads},
                              {"ms_per_frame", r.ms_per_frame},
                              {"best_ms_per_frame", r.best_ms_per_frame},
                              {"frames_per_s", r.frames_per_s},
                              {"speedup_vs_reference", r.speedup_vs_reference},
                              {"bits_equal_reference", r.bits_equal}});
    std::cout << j.dump(2) << "\n";
  } else {
    const char* fmt = markdown ? "| %-6s | %-10s | %7d | %12.3f | %12.3f | %9.1f | %8.2fx | %-5s |\n"
                               : "%-6s  %-10s  %7d  %12.3f  %12.3f  %9.1f  %8.2fx  %-5s\n";
    if (markdown) {
      std::printf(
          "| size | impl | threads | ms/frame (median) | ms/frame (best) | frames/s | vs reference | same bits |\n");
      std::printf("|---|---|---|---|---|---|---|---|\n");
    } else {
      std::printf("%-6s  %-10s  %7s  %12s  %12s  %9s  %9s  %-5s\n", "size", "impl", "threads", "ms/frame", "best ms",
                  "frames/s", "vs ref", "bits");
    }
    for (const Row& r : rows)
      std::printf(fmt, r.size.c_str(), r.impl.c_str(), r.threads, r.ms_per_frame, r.best_ms_per_frame, r.frames_per_s,
                  r.speedup_vs_reference, r.bits_equal ? "equal" : "DIFF");
  }
  if (!all_equal) std::fprintf(stderr, "vhm bench hash: some hashes differ from the reference path\n");
  bool plotted = true;
  if (!plot_dir.empty()) {
    plotted = plot::render_and_report("hash", plot_dir, {hash_chart(rows, frames, repeat)});
  }
  return all_equal && plotted ? 0 : 1;
}

}  // namespace vhm::bench
