// FrameSource: batches of the sampled frames, tagged by where their pixels are, on the
// device chosen when the source is opened.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hash/frame_source.h"
#include "hash/pdq_hasher.h"
#include "hash/vpdq_format.h"
#include "support/test_support.h"

namespace vhm {
namespace {

std::string video_path(const std::string& corpus, const std::string& name) {
  return corpus + "/threatexchange/tmk/sample-videos/" + name + ".mp4";
}

struct Drained {
  std::vector<int64_t> indexes;
  std::vector<size_t> batch_sizes;
  std::vector<PdqHash> hashes;
  bool all_host = true;
};

// Every batch of `source`, hashed with its own hasher as the video hasher does.
Drained drain(FrameSource& source) {
  Drained d;
  FrameBatch batch = source.make_batch();
  for (bool more = true; more;) {
    auto filled = source.fill(batch);
    EXPECT_TRUE(filled.is_ok()) << filled.status().to_string();
    if (!filled) break;
    more = *filled;
    d.batch_sizes.push_back(batch.size());
    std::vector<PdqHash> out(batch.size());
    EXPECT_TRUE(
        hash_frames(source.hasher(), batch.views(), batch.memory(), FrameSource::limited_range_lut(), out).is_ok());
    for (size_t i = 0; i < batch.size(); ++i) {
      d.indexes.push_back(batch.index(i));
      d.all_host &= batch.memory()[i] == PixelMemory::kHost;
    }
    d.hashes.insert(d.hashes.end(), out.begin(), out.end());
    batch.release();
  }
  return d;
}

TEST(FrameSource, CpuBatchesHoldTheSampledFramesOnTheHost) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "doorknob-hd-no-bar");  // 120 frames at 30 fps
  FrameSourceConfig config;
  config.device = Device::kCpu;
  config.batch_frames = 3;
  auto source = FrameSource::open({path}, config, FrameSampling(VideoSampling::kEverySeconds, 1.0));
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  EXPECT_STREQ((*source)->decoder_name(), "cpu");
  EXPECT_TRUE((*source)->note().empty());
  EXPECT_EQ((*source)->batch_frames(), 3);
  EXPECT_EQ((*source)->local_path(), path);
  const Drained d = drain(**source);
  EXPECT_EQ(d.indexes, (std::vector<int64_t>{0, 30, 60, 90}));
  EXPECT_EQ(d.batch_sizes, (std::vector<size_t>{3, 1}));
  EXPECT_TRUE(d.all_host);
  EXPECT_EQ((*source)->frames_decoded(), 120);
  EXPECT_EQ((*source)->decode_errors(), 0);
}

// The batches, hashed, are the reference vPDQ hasher's frames (its output on this FFmpeg).
TEST(FrameSource, HashedBatchesAreTheReferenceFrames) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string name = "chair-19-sd-bar";
  auto want = read_vpdq_file(corpus + "/threatexchange/vpdq/reference-debian12/every-frame/" + name + ".txt");
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  FrameSourceConfig config;
  config.batch_frames = 7;  // batches that do not divide the frame count
  auto source = FrameSource::open({video_path(corpus, name)}, config, FrameSampling(VideoSampling::kEveryFrame, 0));
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  const Drained d = drain(**source);
  ASSERT_EQ(d.hashes.size(), want->size());
  for (size_t i = 0; i < d.hashes.size(); ++i) {
    EXPECT_EQ(d.indexes[i], (*want)[i].index) << i;
    EXPECT_EQ(d.hashes[i].hash, (*want)[i].hash) << i;
    EXPECT_EQ(d.hashes[i].quality, (*want)[i].quality) << i;
  }
}

TEST(FrameSource, ErrorsNameTheInputAndSayWhy) {
  auto missing = FrameSource::open({"/nonexistent/video.mp4"}, {}, FrameSampling(VideoSampling::kEveryFrame, 0));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().subject(), "/nonexistent/video.mp4");
}

// Device "gpu" with fast pixels decodes on NVDEC, every frame tagged as in device memory;
// without a GPU it is kUnavailable saying why, and "auto" then decodes on the CPU.
TEST(FrameSource, GpuDecodingTagsDeviceFramesOrIsUnavailable) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "doorknob-hd-no-bar");
  FrameSourceConfig config;
  config.pixels = PixelPath::kFast;
  config.device = Device::kAuto;
  const FrameSampling sampling(VideoSampling::kEverySeconds, 1.0);
  std::string why;
  if (!gpu_hashing_available(&why)) {
    config.device = Device::kGpu;
    auto gpu = FrameSource::open({path}, config, sampling);
    ASSERT_FALSE(gpu.is_ok());
    EXPECT_EQ(gpu.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(gpu.status().message(), "GPU decoding unavailable: " + why);
    EXPECT_EQ(gpu.status().subject(), path);
    config.device = Device::kAuto;
    auto fallback = FrameSource::open({path}, config, sampling);
    ASSERT_TRUE(fallback.is_ok()) << fallback.status().to_string();
    EXPECT_STREQ((*fallback)->decoder_name(), "cpu");
    EXPECT_NE((*fallback)->hasher().name(), "gpu");
    EXPECT_TRUE(drain(**fallback).all_host);
    GTEST_SKIP() << "no usable GPU (" << why << "): NVDEC batches not checked";
  }
  config.device = Device::kGpu;
  auto gpu = FrameSource::open({path}, config, sampling);
  ASSERT_TRUE(gpu.is_ok()) << gpu.status().to_string();
  EXPECT_STREQ((*gpu)->decoder_name(), "nvdec");
  EXPECT_EQ((*gpu)->hasher().name(), "gpu");
  const Drained on_gpu = drain(**gpu);
  EXPECT_FALSE(on_gpu.all_host);
  config.device = Device::kCpu;
  auto cpu = FrameSource::open({path}, config, sampling);
  ASSERT_TRUE(cpu.is_ok()) << cpu.status().to_string();
  const Drained on_cpu = drain(**cpu);
  EXPECT_EQ(on_gpu.indexes, on_cpu.indexes);
  EXPECT_EQ(on_gpu.hashes, on_cpu.hashes);  // the same bits as fast pixels on the CPU
}

}  // namespace
}  // namespace vhm
