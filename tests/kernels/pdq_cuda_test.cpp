// The CUDA PDQ facade against the CPU reference path, bit for bit: hash words, quality
// and the 256 DCT coefficients (memcmp) of random images of edge sizes, both pixel
// formats, tight and padded pitches, mixed batches and a batch of 64 frames.
//
// Without a usable GPU (no device, no driver, or a build without CUDA) the GPU tests
// skip with the reason cuda_available() gives; the availability tests run everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hash/pdq.h"
#include "kernels/pdq_core.h"
#include "kernels/pdq_cuda.h"

#if defined(VHM_HAVE_CUDA) && __has_include(<cuda_runtime.h>)
#include <cuda_runtime.h>
#define VHM_TEST_DEVICE_MEMORY 1
#endif

namespace vhm {
namespace {

// ------------------------------------------------------------------ images

enum class Pattern { kNoise, kSmooth, kConstant, kCheckerboard };

struct TestImage {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgb24;
  ptrdiff_t stride = 0;
  std::vector<uint8_t> pixels;

  ImageView view() const { return {pixels.data(), width, height, stride, format}; }
  std::string name() const {
    return std::to_string(width) + "x" + std::to_string(height) + (format == PixelFormat::kGray8 ? " grey" : " rgb") +
           " stride " + std::to_string(stride);
  }
};

int channels(PixelFormat f) { return f == PixelFormat::kGray8 ? 1 : 3; }

// A width x height image with `pad` extra bytes per row (filled with junk the hasher
// must never read into its result).
TestImage make_image(int width, int height, PixelFormat format, int pad, uint32_t seed,
                     Pattern pattern = Pattern::kSmooth) {
  TestImage img;
  img.width = width;
  img.height = height;
  img.format = format;
  img.stride = static_cast<ptrdiff_t>(width) * channels(format) + pad;
  img.pixels.assign(static_cast<size_t>(img.stride) * height, 0);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<double> freq(0.002, 0.08);
  const double fx = freq(rng), fy = freq(rng), fxy = freq(rng);
  const int level = byte(rng);
  for (int y = 0; y < height; ++y) {
    uint8_t* row = img.pixels.data() + static_cast<ptrdiff_t>(y) * img.stride;
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels(format); ++c) {
        int v = 0;
        switch (pattern) {
          case Pattern::kNoise:
            v = byte(rng);
            break;
          case Pattern::kSmooth:
            v = static_cast<int>(128 + 60 * std::sin(fx * x + 1.3 * c) + 50 * std::cos(fy * y - 0.7 * c) +
                                 15 * std::sin(fxy * (x + y))) +
                byte(rng) / 16 - 8;
            break;
          case Pattern::kConstant:
            v = level;
            break;
          case Pattern::kCheckerboard:
            v = ((x / 3 + y / 3) & 1) ? 255 : 0;
            break;
        }
        row[x * channels(format) + c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
    for (int p = 0; p < pad; ++p) row[width * channels(format) + p] = static_cast<uint8_t>(byte(rng));
  }
  return img;
}

// ------------------------------------------------------------------ the CPU twin

struct Expected {
  PdqHash hash;
  PdqDct dct;
};

Expected reference(const ImageView& v) {
  const size_t n = static_cast<size_t>(v.width) * v.height;
  std::vector<float> luma(n), scratch(n);
  pdq::luma_from_image(v, luma.data());
  Expected e;
  e.dct = pdq::dct_from_luma_reference(luma.data(), scratch.data(), v.width, v.height);
  e.hash = {pdq::hash_from_dct(e.dct), e.dct.quality};
  return e;
}

std::string hex_float(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (0x%08x)", static_cast<double>(f), u);
  return buf;
}

// Bit-for-bit comparison of one frame's GPU result with the reference.
void expect_identical(const Expected& want, const PdqHash& got, const PdqDct* got_dct, const std::string& what) {
  EXPECT_EQ(got.hash.to_hex(), want.hash.hash.to_hex()) << what;
  EXPECT_EQ(got.quality, want.hash.quality) << what;
  if (got_dct == nullptr) return;
  EXPECT_EQ(got_dct->quality, want.dct.quality) << what;
  EXPECT_EQ(got_dct->too_small, want.dct.too_small) << what;
  if (std::memcmp(got_dct->coeffs.data(), want.dct.coeffs.data(), sizeof(float) * 256) != 0) {
    for (int k = 0; k < 256; ++k) {
      if (std::memcmp(&got_dct->coeffs[k], &want.dct.coeffs[k], sizeof(float)) != 0) {
        ADD_FAILURE() << what << ": DCT coefficient " << k << " is " << hex_float(got_dct->coeffs[k])
                      << ", the reference's " << hex_float(want.dct.coeffs[k]);
        break;
      }
    }
  }
}

// ------------------------------------------------------------------ runs everywhere

TEST(PdqCudaAvailability, BuiltWithCudaMatchesTheBuild) {
#if defined(VHM_HAVE_CUDA)
  EXPECT_TRUE(gpu::built_with_cuda());
#else
  EXPECT_FALSE(gpu::built_with_cuda());
#endif
}

TEST(PdqCudaAvailability, ReasonWhenUnavailableAndCreateAgrees) {
  std::string why = "untouched";
  const bool available = gpu::cuda_available(&why);
  EXPECT_EQ(gpu::cuda_available(), available);  // `why` is optional
  auto hasher = gpu::PdqCudaHasher::create();
  if (!available) {
    EXPECT_FALSE(why.empty());
    EXPECT_NE(why, "untouched");
    if (!gpu::built_with_cuda()) {
      EXPECT_NE(why.find("built without CUDA"), std::string::npos) << why;
    }
    ASSERT_FALSE(hasher.is_ok());
    EXPECT_EQ(hasher.status().code(), StatusCode::kUnavailable);
    EXPECT_FALSE(hasher.status().message().empty());
    EXPECT_EQ(gpu::device_description(), "");
    std::printf("[   INFO   ] no GPU here: %s\n", why.c_str());
  } else {
    ASSERT_TRUE(hasher.is_ok()) << hasher.status().to_string();
    EXPECT_TRUE(gpu::built_with_cuda());
    EXPECT_FALSE(gpu::device_description().empty());
    std::printf("[   INFO   ] GPU: %s\n", gpu::device_description().c_str());
  }
}

// ------------------------------------------------------------------ GPU vs CPU

class PdqCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!gpu::cuda_available(&why)) GTEST_SKIP() << "no usable GPU, GPU tests skipped: " << why;
    auto created = gpu::PdqCudaHasher::create();
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    hasher_ = std::move(created).value();
  }

  // Hashes `images` as one host batch (with DCTs) and compares every frame.
  void check_batch(const std::vector<TestImage>& images, const std::string& label) {
    std::vector<ImageView> views;
    for (const auto& img : images) views.push_back(img.view());
    std::vector<PdqHash> out(views.size());
    std::vector<PdqDct> dcts(views.size());
    const Status s = hasher_->hash_host_batch(views, out, dcts);
    ASSERT_TRUE(s.is_ok()) << label << ": " << s.to_string();
    for (size_t k = 0; k < images.size(); ++k) {
      const Expected want = reference(views[k]);
      ASSERT_EQ(pdq_hash_reference(views[k]), want.hash);  // the two CPU spellings agree
      expect_identical(want, out[k], &dcts[k], label + " frame " + std::to_string(k) + " " + images[k].name());
    }
  }

  std::unique_ptr<gpu::PdqCudaHasher> hasher_;
};

struct Size {
  int width, height;
};
// Sides below 5 (too small), exactly 5, around 64 (64x64 skips the filter), around the
// window step at 128/129, and 480p..1080p in both orientations for the small ones.
const std::vector<Size> kEdgeSizes = {
    {1, 1},   {7, 4},   {4, 7},     {4, 5},     {5, 4},     {5, 5},   {65, 63},   {63, 65},    {64, 64},    {64, 65},
    {65, 64}, {64, 63}, {129, 127}, {127, 129}, {128, 128}, {129, 5}, {640, 480}, {1280, 720}, {1920, 1080}};

TEST_F(PdqCuda, EdgeSizesMatchReferenceOneFrameAtATime) {
  uint32_t seed = 1;
  for (const Size& size : kEdgeSizes) {
    for (PixelFormat format : {PixelFormat::kGray8, PixelFormat::kRgb24}) {
      for (int pad : {0, 13}) {
        check_batch({make_image(size.width, size.height, format, pad, seed++)}, "single");
      }
    }
  }
}

TEST_F(PdqCuda, NoiseAndDegenerateImagesMatchReference) {
  uint32_t seed = 100;
  for (Pattern pattern : {Pattern::kNoise, Pattern::kConstant, Pattern::kCheckerboard}) {
    std::vector<TestImage> batch;
    for (const Size& size : {Size{64, 64}, Size{100, 37}, Size{640, 480}, Size{5, 5}}) {
      for (PixelFormat format : {PixelFormat::kGray8, PixelFormat::kRgb24})
        batch.push_back(make_image(size.width, size.height, format, 3, seed++, pattern));
    }
    check_batch(batch, "pattern " + std::to_string(static_cast<int>(pattern)));
  }
}

TEST_F(PdqCuda, MixedBatchMatchesReference) {
  std::vector<TestImage> batch;
  uint32_t seed = 200;
  for (const Size& size : kEdgeSizes) {
    batch.push_back(make_image(size.width, size.height, PixelFormat::kRgb24, 7, seed++));
    batch.push_back(make_image(size.height, size.width, PixelFormat::kGray8, 0, seed++));
  }
  check_batch(batch, "mixed");
}

TEST_F(PdqCuda, BatchOf64FramesMatchesReference) {
  std::mt19937 rng(64);
  std::uniform_int_distribution<int> side(1, 720);
  std::vector<TestImage> batch;
  for (int k = 0; k < 64; ++k) {
    const int w = k % 8 == 0 ? 64 : side(rng), h = k % 8 == 0 ? 64 : side(rng);
    batch.push_back(make_image(w, h, (k & 1) ? PixelFormat::kRgb24 : PixelFormat::kGray8, k % 3 == 0 ? 0 : k, 1000 + k,
                               (k % 5 == 4) ? Pattern::kNoise : Pattern::kSmooth));
  }
  check_batch(batch, "batch64");
}

TEST_F(PdqCuda, HashesWithoutDctsAndReusedBuffersAgree) {
  std::vector<TestImage> big, small;
  for (int k = 0; k < 8; ++k) big.push_back(make_image(1280, 720, PixelFormat::kGray8, 0, 300 + k));
  for (int k = 0; k < 8; ++k) small.push_back(make_image(70 + k, 50, PixelFormat::kRgb24, 1, 400 + k));
  auto run = [&](const std::vector<TestImage>& images) {
    std::vector<ImageView> views;
    for (const auto& img : images) views.push_back(img.view());
    std::vector<PdqHash> out(views.size());
    EXPECT_TRUE(hasher_->hash_host_batch(views, out).is_ok());  // no DCTs asked for
    return out;
  };
  const auto big1 = run(big), small1 = run(small), big2 = run(big), small2 = run(small);
  EXPECT_EQ(big1, big2);
  EXPECT_EQ(small1, small2);
  for (size_t k = 0; k < big.size(); ++k) EXPECT_EQ(big1[k], reference(big[k].view()).hash) << k;
  for (size_t k = 0; k < small.size(); ++k) EXPECT_EQ(small1[k], reference(small[k].view()).hash) << k;
}

TEST_F(PdqCuda, EmptyBatchIsFine) {
  EXPECT_TRUE(hasher_->hash_host_batch({}, {}).is_ok());
  EXPECT_TRUE(hasher_->hash_device_batch({}, {}).is_ok());
}

TEST_F(PdqCuda, InvalidArgumentsAreRejected) {
  const TestImage img = make_image(32, 32, PixelFormat::kRgb24, 0, 7);
  std::vector<PdqHash> one(1), two(2);
  std::vector<PdqDct> dcts_two(2);
  auto code_of = [&](ImageView v, std::span<PdqHash> out, std::span<PdqDct> dcts = {}) {
    const ImageView frames[] = {v};
    return hasher_->hash_host_batch(frames, out, dcts).code();
  };
  ImageView v = img.view();
  EXPECT_EQ(code_of(v, one), StatusCode::kOk);
  ImageView bad = v;
  bad.data = nullptr;
  EXPECT_EQ(code_of(bad, one), StatusCode::kInvalidArgument);
  bad = v;
  bad.width = 0;
  EXPECT_EQ(code_of(bad, one), StatusCode::kInvalidArgument);
  bad = v;
  bad.height = -3;
  EXPECT_EQ(code_of(bad, one), StatusCode::kInvalidArgument);
  bad = v;
  bad.stride = 32 * 3 - 1;
  EXPECT_EQ(code_of(bad, one), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(v, two), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(v, one, dcts_two), StatusCode::kInvalidArgument);
  // Host memory handed to the device entry point.
  const ImageView frames[] = {v};
  const Status s = hasher_->hash_device_batch(frames, one);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
}

#if defined(VHM_TEST_DEVICE_MEMORY)
// Frames already in device memory (pitched allocations, as a decoder hands them over).
TEST_F(PdqCuda, DeviceBatchMatchesReference) {
  std::vector<TestImage> images;
  uint32_t seed = 500;
  for (const Size& size : {Size{1920, 1080}, Size{64, 64}, Size{3, 9}, Size{333, 222}, Size{640, 480}}) {
    images.push_back(make_image(size.width, size.height, PixelFormat::kGray8, 0, seed++));
    images.push_back(make_image(size.width, size.height, PixelFormat::kRgb24, 5, seed++));
  }
  std::vector<void*> buffers;
  std::vector<ImageView> views;
  for (const auto& img : images) {
    void* p = nullptr;
    size_t pitch = 0;
    const size_t row = static_cast<size_t>(img.width) * channels(img.format);
    ASSERT_EQ(cudaMallocPitch(&p, &pitch, row, img.height), cudaSuccess);
    buffers.push_back(p);
    ASSERT_EQ(cudaMemcpy2D(p, pitch, img.pixels.data(), img.stride, row, img.height, cudaMemcpyHostToDevice),
              cudaSuccess);
    views.push_back({static_cast<const uint8_t*>(p), img.width, img.height, static_cast<ptrdiff_t>(pitch), img.format});
  }
  // One frame in pinned (page-locked) host memory, which the device may read too.
  images.push_back(make_image(200, 150, PixelFormat::kRgb24, 2, seed++));
  void* pinned = nullptr;
  ASSERT_EQ(cudaMallocHost(&pinned, images.back().pixels.size()), cudaSuccess);
  std::memcpy(pinned, images.back().pixels.data(), images.back().pixels.size());
  ImageView pinned_view = images.back().view();
  pinned_view.data = static_cast<const uint8_t*>(pinned);
  views.push_back(pinned_view);

  std::vector<PdqHash> out(views.size());
  std::vector<PdqDct> dcts(views.size());
  const Status s = hasher_->hash_device_batch(views, out, dcts);
  for (void* p : buffers) cudaFree(p);
  cudaFreeHost(pinned);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  for (size_t k = 0; k < images.size(); ++k)
    expect_identical(reference(images[k].view()), out[k], &dcts[k], "device frame " + images[k].name());
}
#endif

}  // namespace
}  // namespace vhm
