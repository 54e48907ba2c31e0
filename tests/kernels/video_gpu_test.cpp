// GPU video decoding (NVDEC through FFmpeg's CUDA hwdevice) and hashing of the device
// luma planes, against the CPU's fast pixels (the decoder's luma plane on the host):
// the same decoded luma, so the same bits and quality, frame for frame.
//
// Every test here needs a usable GPU and skips, saying why, without one (the behaviour
// without a GPU, "gpu" refused and "auto" on the CPU, is tested in
// tests/hash/video_hasher_test.cpp and tests/decode/video_decoder_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "decode/video_decoder.h"
#include "hash/pdq_hasher.h"
#include "hash/video_hasher.h"
#include "kernels/pdq_cuda.h"
#include "support/test_support.h"

#if defined(VHM_HAVE_CUDA) && __has_include(<cuda_runtime.h>)
#include <cuda_runtime.h>
#define VHM_TEST_DEVICE_MEMORY 1
#endif

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string video_path(const std::string& corpus, const std::string& name) {
  return corpus + "/threatexchange/tmk/sample-videos/" + name + ".mp4";
}

#define VHM_REQUIRE_GPU()                                                               \
  do {                                                                                  \
    std::string vhm_why_;                                                               \
    if (!gpu::cuda_available(&vhm_why_)) GTEST_SKIP() << "no usable GPU: " << vhm_why_; \
  } while (0)

VideoHashConfig fast_config(Device device, LumaRange range) {
  VideoHashConfig c;
  c.device = device;
  c.pixels = PixelPath::kFast;
  c.fast_range = range;
  c.compute_md5 = false;
  return c;
}

void expect_same_frames(const VideoHash& gpu, const VideoHash& cpu, const std::string& what) {
  ASSERT_EQ(gpu.frames.size(), cpu.frames.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < cpu.frames.size(); ++i) {
    const FrameHash& g = gpu.frames[i];
    const FrameHash& c = cpu.frames[i];
    if (g == c) continue;
    if (++reported <= 5)
      ADD_FAILURE() << what << ": frame " << c.index << " GPU " << g.index << "," << g.quality << "," << g.hash.to_hex()
                    << " CPU " << c.index << "," << c.quality << "," << c.hash.to_hex() << " (distance "
                    << g.hash.hamming(c.hash) << ")";
  }
  EXPECT_EQ(reported, 0) << what << ": frames that differ";
}

// The luma-mapping kernel path: planes in device memory mapped through the range table
// hash as the same planes remapped on the host and hashed on the CPU.
TEST(VideoGpu, DeviceLumaBatchMapsThroughTheTable) {
  VHM_REQUIRE_GPU();
#if !defined(VHM_TEST_DEVICE_MEMORY)
  GTEST_SKIP() << "the CUDA runtime header is not available to the tests";
#else
  auto cuda = gpu::PdqCudaHasher::create(0);
  ASSERT_TRUE(cuda.is_ok()) << cuda.status().to_string();
  auto cpu = make_pdq_hasher({Device::kCpu, 0});
  ASSERT_TRUE(cpu.is_ok());
  const std::array<uint8_t, 256>& table = limited_to_full_range_table();
  struct Size {
    int w, h, pad;
  };
  std::vector<test::OwnedImage> images, mapped;
  std::vector<void*> buffers;
  std::vector<ImageView> device_views, host_views;
  uint32_t seed = 11;
  for (const Size s : {Size{1280, 720, 0}, Size{720, 1280, 64}, Size{64, 64, 0}, Size{3, 7, 1}, Size{481, 359, 13}}) {
    images.push_back(test::random_image(s.w, s.h, PixelFormat::kGray8, seed++, s.pad));
    const ImageView& v = images.back().view;
    test::OwnedImage m = test::random_image(s.w, s.h, PixelFormat::kGray8, 0, 0);
    for (int y = 0; y < s.h; ++y)
      for (int x = 0; x < s.w; ++x) m.pixels[static_cast<size_t>(y) * s.w + x] = table[v.data[y * v.stride + x]];
    mapped.push_back(std::move(m));
    size_t pitch = 0;
    void* p = nullptr;
    ASSERT_EQ(cudaMallocPitch(&p, &pitch, static_cast<size_t>(s.w), static_cast<size_t>(s.h)), cudaSuccess);
    buffers.push_back(p);
    ASSERT_EQ(cudaMemcpy2D(p, pitch, v.data, static_cast<size_t>(v.stride), static_cast<size_t>(s.w),
                           static_cast<size_t>(s.h), cudaMemcpyHostToDevice),
              cudaSuccess);
    device_views.push_back(
        {static_cast<const uint8_t*>(p), s.w, s.h, static_cast<ptrdiff_t>(pitch), PixelFormat::kGray8});
  }
  for (const auto& m : mapped) host_views.push_back(m.view);
  std::vector<PdqHash> got(device_views.size()), want(host_views.size()), plain(device_views.size()),
      plain_want(images.size());
  ASSERT_TRUE((*cuda)->hash_device_luma_batch(device_views, table, got).is_ok());
  ASSERT_TRUE((*cpu)->hash(host_views, want).is_ok());
  // The same hasher, without a map, right after: the table does not stick.
  ASSERT_TRUE((*cuda)->hash_device_batch(device_views, plain).is_ok());
  std::vector<ImageView> originals;
  for (const auto& i : images) originals.push_back(i.view);
  ASSERT_TRUE((*cpu)->hash(originals, plain_want).is_ok());
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k], want[k]) << "mapped frame " << k;
    EXPECT_EQ(plain[k], plain_want[k]) << "plain frame " << k;
  }
  // RGB frames are refused by the luma path.
  ImageView rgb = device_views[0];
  rgb.format = PixelFormat::kRgb24;
  rgb.width /= 3;
  std::vector<PdqHash> one(1);
  EXPECT_EQ((*cuda)->hash_device_luma_batch(std::span<const ImageView>(&rgb, 1), table, one).code(),
            StatusCode::kInvalidArgument);
  for (void* p : buffers) cudaFree(p);
#endif
}

// NVDEC's luma planes (copied back here for the comparison only) are the CPU decoder's,
// byte for byte: H.264 decoding is exact, so the pixels fast mode hashes are the same.
TEST(VideoGpu, NvdecLumaEqualsCpuLuma) {
  VHM_REQUIRE_GPU();
  VHM_REQUIRE_CORPUS(corpus);
#if !defined(VHM_TEST_DEVICE_MEMORY)
  GTEST_SKIP() << "the CUDA runtime header is not available to the tests";
#else
  for (const std::string name : {"test-padded-dimensions", "chair-19-sd-bar"}) {
    VideoDecoderOptions cpu_options, gpu_options;
    cpu_options.pixels = gpu_options.pixels = PixelPath::kFast;
    cpu_options.fast_range = gpu_options.fast_range = LumaRange::kAsStored;
    gpu_options.hardware = HardwareDecode::kCuda;
    auto cpu = VideoDecoder::open(video_path(corpus, name), cpu_options);
    auto gpu = VideoDecoder::open(video_path(corpus, name), gpu_options);
    ASSERT_TRUE(cpu.is_ok()) << cpu.status().to_string();
    ASSERT_TRUE(gpu.is_ok()) << gpu.status().to_string();
    ASSERT_TRUE(gpu::check_primary_context(0, (*gpu)->cuda_context()).is_ok());
    DecodedFrame c, g;
    std::vector<uint8_t> row;
    int64_t n = 0;
    while (true) {
      auto gc = (*cpu)->next(c);
      auto gg = (*gpu)->next(g);
      ASSERT_TRUE(gc.is_ok()) << gc.status().to_string();
      ASSERT_TRUE(gg.is_ok()) << gg.status().to_string();
      ASSERT_EQ(*gc, *gg) << name << " frame " << n;
      if (!*gc) break;
      ASSERT_TRUE(g.on_device) << name;
      EXPECT_EQ(g.index, c.index);
      const ImageView vc = c.view(), vg = g.view();
      ASSERT_EQ(vg.width, vc.width);
      ASSERT_EQ(vg.height, vc.height);
      std::vector<uint8_t> plane(static_cast<size_t>(vg.width) * vg.height);
      ASSERT_EQ(cudaMemcpy2D(plane.data(), static_cast<size_t>(vg.width), vg.data, static_cast<size_t>(vg.stride),
                             static_cast<size_t>(vg.width), static_cast<size_t>(vg.height), cudaMemcpyDeviceToHost),
                cudaSuccess);
      for (int y = 0; y < vc.height; ++y)
        ASSERT_EQ(std::memcmp(plane.data() + static_cast<size_t>(y) * vg.width, vc.data + y * vc.stride,
                              static_cast<size_t>(vc.width)),
                  0)
            << name << " frame " << n << " row " << y;
      ++n;
    }
    EXPECT_GT(n, 100) << name;
    EXPECT_TRUE((*gpu)->hardware_active());
  }
#endif
}

// hash_video on the GPU (NVDEC, device luma hashed in place) equals the CPU's fast pixels
// bit for bit, both range treatments, with batches that do not divide the frame count,
// and sampled modes.
TEST(VideoGpu, GpuDecodeHashesEqualCpuFastPixels) {
  VHM_REQUIRE_GPU();
  VHM_REQUIRE_CORPUS(corpus);
  for (const std::string name :
       {"chair-19-sd-bar", "doorknob-hd-no-bar", "pattern-hd-no-bar", "test-padded-dimensions"}) {
    for (const LumaRange range : {LumaRange::kExpand, LumaRange::kAsStored}) {
      const std::string what = name + (range == LumaRange::kExpand ? " expand" : " stored");
      VideoHashConfig gpu_config = fast_config(Device::kGpu, range), cpu_config = fast_config(Device::kCpu, range);
      gpu_config.batch_frames = 5;
      auto g = hash_video(video_path(corpus, name), gpu_config);
      auto c = hash_video(video_path(corpus, name), cpu_config);
      ASSERT_TRUE(g.is_ok()) << g.status().to_string();
      ASSERT_TRUE(c.is_ok()) << c.status().to_string();
      EXPECT_EQ(g->decoder, "nvdec") << what;
      EXPECT_EQ(g->hasher, "gpu") << what;
      EXPECT_TRUE(g->note.empty()) << what << ": " << g->note;
      EXPECT_EQ(g->frames_decoded, c->frames_decoded) << what;
      EXPECT_EQ(g->fast_frames, c->fast_frames) << what;
      expect_same_frames(*g, *c, what);
    }
  }
  VideoHashConfig gpu_config = fast_config(Device::kGpu, LumaRange::kExpand),
                  cpu_config = fast_config(Device::kCpu, LumaRange::kExpand);
  gpu_config.sampling = cpu_config.sampling = VideoSampling::kEverySeconds;
  auto g = hash_video(video_path(corpus, "chair-20-sd-bar"), gpu_config);
  auto c = hash_video(video_path(corpus, "chair-20-sd-bar"), cpu_config);
  ASSERT_TRUE(g.is_ok() && c.is_ok());
  expect_same_frames(*g, *c, "chair-20-sd-bar one per second");
  gpu_config.sampling = cpu_config.sampling = VideoSampling::kKeyframes;
  g = hash_video(video_path(corpus, "chair-20-sd-bar"), gpu_config);
  c = hash_video(video_path(corpus, "chair-20-sd-bar"), cpu_config);
  ASSERT_TRUE(g.is_ok() && c.is_ok());
  expect_same_frames(*g, *c, "chair-20-sd-bar key frames");
}

// "auto" decodes on the GPU where it can; where it cannot for a video (here: RGB frames,
// which have no luma plane), "gpu" is refused with the reason and "auto" takes the CPU.
TEST(VideoGpu, AutoDecodesOnTheGpuAndFallsBackPerVideo) {
  VHM_REQUIRE_GPU();
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "pattern-sd-grey-bar");
  auto a = hash_video(path, fast_config(Device::kAuto, LumaRange::kExpand));
  auto c = hash_video(path, fast_config(Device::kCpu, LumaRange::kExpand));
  ASSERT_TRUE(a.is_ok() && c.is_ok());
  EXPECT_EQ(a->decoder, "nvdec");
  expect_same_frames(*a, *c, "auto");

  if (test::run_command("ffmpeg -version").exit_code != 0) GTEST_SKIP() << "ffmpeg CLI not available";
  const fs::path dir = fs::temp_directory_path() / ("vhm_video_gpu_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string rgb = (dir / "rgb.mkv").string();
  const auto r =
      test::run_command("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=s=96x64:d=1:r=10 -c:v png '" + rgb + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto refused = hash_video(rgb, fast_config(Device::kGpu, LumaRange::kExpand));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("8-bit YUV"), std::string::npos) << refused.status().to_string();
  auto fallback = hash_video(rgb, fast_config(Device::kAuto, LumaRange::kExpand));
  auto on_cpu = hash_video(rgb, fast_config(Device::kCpu, LumaRange::kExpand));
  ASSERT_TRUE(fallback.is_ok()) << fallback.status().to_string();
  ASSERT_TRUE(on_cpu.is_ok()) << on_cpu.status().to_string();
  EXPECT_EQ(fallback->decoder, "cpu");
  EXPECT_FALSE(fallback->note.empty());
  expect_same_frames(*fallback, *on_cpu, "auto, RGB video");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vhm
