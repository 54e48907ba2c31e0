// gpu_hash_timing: PDQ on the GPU (vhm::gpu::PdqCudaHasher) against the CPU reference,
// on 480p, 720p and 1080p luminance (kGray8) frames.
//
// For each size it hashes batches of --batch frames (default 64) on the GPU, --reps
// times after one warm-up batch, and hashes the first --cpu-frames frames (default 4)
// with the CPU reference; it prints ms/frame for each and the ratio, and checks that
// the GPU's hash and quality equal the reference's for every frame the CPU hashed.
//   gpu dev:  frames already in device memory (hash_device_batch; what a decoder on the
//             GPU feeds), when the program is built against the CUDA runtime;
//   gpu host: frames in host memory (hash_host_batch: upload included).
// Exit status: 0 when every checked hash is equal (also when there is no GPU: the GPU
// part is then skipped and said so), 1 when any hash differs, 2 on a GPU error,
// 3 on bad arguments.
//
// Standalone: needs only core/status, core/hash256, hash/pdq_reference and the CUDA
// facade (kernels/pdq_cuda.h); scripts/gpu-check.sh builds and runs it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hash/pdq.h"
#include "kernels/pdq_cuda.h"

#if defined(VHM_HAVE_CUDA) && __has_include(<cuda_runtime.h>)
#include <cuda_runtime.h>
#define VHM_TIMING_DEVICE_MEMORY 1
#endif

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Options {
  int batch = 64;
  int reps = 5;
  int cpu_frames = 4;
};

struct Frame {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // grey, stride = width
  vhm::ImageView view() const { return {pixels.data(), width, height, width, vhm::PixelFormat::kGray8}; }
};

// A smooth picture with a little noise, different per frame (fixed seed).
Frame make_frame(int width, int height, uint32_t seed) {
  Frame f;
  f.width = width;
  f.height = height;
  f.pixels.resize(static_cast<size_t>(width) * height);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> freq(0.002, 0.03);
  const double fx = freq(rng), fy = freq(rng), phase = freq(rng) * 100;
  std::vector<double> col(width), row(height);
  for (int x = 0; x < width; ++x) col[x] = 70 * std::sin(fx * x + phase);
  for (int y = 0; y < height; ++y) row[y] = 50 * std::cos(fy * y);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int v = static_cast<int>(128 + col[x] + row[y]) + static_cast<int>(rng() % 16) - 8;
      f.pixels[static_cast<size_t>(y) * width + x] = static_cast<uint8_t>(std::clamp(v, 0, 255));
    }
  }
  return f;
}

bool parse_int(const char* s, int* out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v <= 0 || v > 100000) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    int* target = nullptr;
    if (a == "--batch") target = &opt.batch;
    else if (a == "--reps") target = &opt.reps;
    else if (a == "--cpu-frames") target = &opt.cpu_frames;
    else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--batch N (64)] [--reps N (5)] [--cpu-frames N (4)]\n", argv[0]);
      return 0;
    }
    if (target == nullptr || i + 1 >= argc || !parse_int(argv[i + 1], target)) {
      std::fprintf(stderr, "gpu_hash_timing: bad argument '%s%s%s' (try --help)\n", a.c_str(), i + 1 < argc ? " " : "",
                   i + 1 < argc ? argv[i + 1] : "");
      return 3;
    }
    ++i;
  }
  opt.cpu_frames = std::min(opt.cpu_frames, opt.batch);

  std::string why;
  const bool gpu = vhm::gpu::cuda_available(&why);
  std::unique_ptr<vhm::gpu::PdqCudaHasher> hasher;
  if (gpu) {
    auto created = vhm::gpu::PdqCudaHasher::create();
    if (!created.is_ok()) {
      std::printf("gpu_hash_timing: GPU error: %s\n", created.status().to_string().c_str());
      return 2;
    }
    hasher = std::move(created).value();
    std::printf("device: %s\n", vhm::gpu::device_description().c_str());
  } else {
    std::printf("device: none (%s); GPU timing skipped, CPU reference only\n", why.c_str());
  }
  std::printf("frames: kGray8, batch %d, %d timed batches after 1 warm-up, CPU reference on %d frames\n", opt.batch,
              opt.reps, opt.cpu_frames);
  std::printf("%-6s %-10s %14s %15s %12s %12s %13s %9s\n", "size", "WxH", "gpu dev ms/f", "gpu host ms/f", "cpu ms/f",
              "x cpu (dev)", "x cpu (host)", "equal");

  struct Size {
    const char* name;
    int width, height;
  };
  const Size sizes[] = {{"480p", 640, 480}, {"720p", 1280, 720}, {"1080p", 1920, 1080}};
  int mismatches = 0, checked = 0;
  for (const Size& size : sizes) {
    std::vector<Frame> frames;
    std::vector<vhm::ImageView> views;
    for (int k = 0; k < opt.batch; ++k) frames.push_back(make_frame(size.width, size.height, 1000u * size.height + k));
    for (const auto& f : frames) views.push_back(f.view());

    // CPU reference on the first few frames.
    std::vector<vhm::PdqHash> cpu(opt.cpu_frames);
    const auto t_cpu = Clock::now();
    for (int k = 0; k < opt.cpu_frames; ++k) cpu[k] = vhm::pdq_hash_reference(views[k]);
    const double cpu_ms = ms_since(t_cpu) / opt.cpu_frames;

    double host_ms = NAN, dev_ms = NAN;
    std::vector<vhm::PdqHash> out(views.size());
    int equal = 0;
    if (gpu) {
      vhm::Status s = hasher->hash_host_batch(views, out);  // warm-up: buffers grow here
      if (s.is_ok()) {
        const auto t = Clock::now();
        for (int r = 0; r < opt.reps && s.is_ok(); ++r) s = hasher->hash_host_batch(views, out);
        host_ms = ms_since(t) / (static_cast<double>(opt.reps) * opt.batch);
      }
      if (!s.is_ok()) {
        std::printf("gpu_hash_timing: GPU error (%s, host batch): %s\n", size.name, s.to_string().c_str());
        return 2;
      }
      for (int k = 0; k < opt.cpu_frames; ++k) {
        ++checked;
        if (out[k] == cpu[k]) {
          ++equal;
        } else {
          ++mismatches;
          std::printf("MISMATCH %s frame %d (host batch): gpu %s q%d, cpu %s q%d\n", size.name, k,
                      out[k].hash.to_hex().c_str(), out[k].quality, cpu[k].hash.to_hex().c_str(), cpu[k].quality);
        }
      }
#if defined(VHM_TIMING_DEVICE_MEMORY)
      // The same frames, uploaded once, hashed from device memory.
      const size_t frame_bytes = static_cast<size_t>(size.width) * size.height;
      uint8_t* d_pixels = nullptr;
      cudaError_t e = cudaMalloc(reinterpret_cast<void**>(&d_pixels), frame_bytes * opt.batch);
      for (int k = 0; k < opt.batch && e == cudaSuccess; ++k)
        e = cudaMemcpy(d_pixels + k * frame_bytes, frames[k].pixels.data(), frame_bytes, cudaMemcpyHostToDevice);
      if (e != cudaSuccess) {
        std::printf("gpu_hash_timing: GPU error (%s): cudaMalloc/cudaMemcpy: %s\n", size.name, cudaGetErrorString(e));
        return 2;
      }
      std::vector<vhm::ImageView> dviews = views;
      for (int k = 0; k < opt.batch; ++k) dviews[k].data = d_pixels + k * frame_bytes;
      std::vector<vhm::PdqHash> dout(views.size());
      s = hasher->hash_device_batch(dviews, dout);
      if (s.is_ok()) {
        const auto t = Clock::now();
        for (int r = 0; r < opt.reps && s.is_ok(); ++r) s = hasher->hash_device_batch(dviews, dout);
        dev_ms = ms_since(t) / (static_cast<double>(opt.reps) * opt.batch);
      }
      cudaFree(d_pixels);
      if (!s.is_ok()) {
        std::printf("gpu_hash_timing: GPU error (%s, device batch): %s\n", size.name, s.to_string().c_str());
        return 2;
      }
      for (int k = 0; k < opt.batch; ++k) {  // the device path must agree with the host path
        if (!(dout[k] == out[k])) {
          ++mismatches;
          std::printf("MISMATCH %s frame %d: device batch differs from host batch\n", size.name, k);
        }
      }
#endif
    }
    char dev_col[32], host_col[32], rdev[32], rhost[32], eq[32];
    auto fmt = [](char* buf, double v, const char* f) {
      if (std::isnan(v)) std::snprintf(buf, 32, "-");
      else std::snprintf(buf, 32, f, v);
    };
    fmt(dev_col, dev_ms, "%.4f");
    fmt(host_col, host_ms, "%.4f");
    fmt(rdev, cpu_ms / dev_ms, "%.1fx");
    fmt(rhost, cpu_ms / host_ms, "%.1fx");
    if (gpu) std::snprintf(eq, sizeof eq, "%d/%d", equal, opt.cpu_frames);
    else std::snprintf(eq, sizeof eq, "-");
    char wxh[32];
    std::snprintf(wxh, sizeof wxh, "%dx%d", size.width, size.height);
    std::printf("%-6s %-10s %14s %15s %12.3f %12s %13s %9s\n", size.name, wxh, dev_col, host_col, cpu_ms, rdev, rhost,
                eq);
    std::fflush(stdout);
  }

  if (!gpu) {
    std::printf("gpu_hash_timing: no GPU, nothing compared (%s)\n", why.c_str());
    return 0;
  }
  if (mismatches != 0) {
    std::printf("gpu_hash_timing: FAIL: %d GPU results differ from the CPU reference\n", mismatches);
    return 1;
  }
  std::printf("gpu_hash_timing: OK: %d of %d checked GPU hashes equal the CPU reference bit for bit\n", checked,
              checked);
  return 0;
}
