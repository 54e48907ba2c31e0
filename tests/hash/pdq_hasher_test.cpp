// PdqHasher: host frames through hash(), device frames through hash_device(), which
// the CPU hashers refuse; hash_frames() sends each frame of a mixed batch to the right
// one and puts the results back in frame order.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "hash/pdq.h"
#include "hash/pdq_hasher.h"
#include "support/test_support.h"

namespace vhm {
namespace {

std::unique_ptr<PdqHasher> hasher_for(Device device) {
  auto h = make_pdq_hasher({device, 1});
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  return std::move(h).value();
}

// A lookup table whose effect on a hash cannot go unnoticed.
std::array<uint8_t, 256> inverting_lut() {
  std::array<uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(255 - i);
  return lut;
}

TEST(PdqHasher, CpuHashersRefuseDeviceFramesWithUnsupported) {
  auto img = test::random_image(64, 48, PixelFormat::kGray8, 5);
  const std::vector<ImageView> frames = {img.view};
  std::vector<PdqHash> out(1);
  const auto lut = inverting_lut();
  for (const Device d : {Device::kReference, Device::kCpu}) {
    auto h = hasher_for(d);
    EXPECT_EQ(h->hash_device(frames, nullptr, out).code(), StatusCode::kUnsupported) << h->name();
    EXPECT_EQ(h->hash_device(frames, &lut, out).code(), StatusCode::kUnsupported) << h->name();
    EXPECT_EQ(h->check_device_context(nullptr).code(), StatusCode::kUnsupported) << h->name();
    const std::vector<PixelMemory> on_device = {PixelMemory::kDevice};
    EXPECT_EQ(hash_frames(*h, frames, on_device, lut, out).code(), StatusCode::kUnsupported) << h->name();
  }
}

// A stand-in for the GPU hasher whose "device memory" is host memory: it hashes device
// frames on the CPU, mapping them through the table first, and counts its calls.
class HostBackedDeviceHasher final : public PdqHasher {
 public:
  std::string name() const override { return "host-backed-device"; }
  Status hash(std::span<const ImageView> frames, std::span<PdqHash> out, std::span<PdqDct> dcts) override {
    ++host_calls;
    return cpu_->hash(frames, out, dcts);
  }
  Status hash_device(std::span<const ImageView> frames, const std::array<uint8_t, 256>* lut, std::span<PdqHash> out,
                     std::span<PdqDct> dcts) override {
    ++(lut ? mapped_device_calls : device_calls);
    if (!lut) return cpu_->hash(frames, out, dcts);
    std::vector<std::vector<uint8_t>> planes;
    std::vector<ImageView> mapped;
    for (const ImageView& f : frames) {
      std::vector<uint8_t>& p = planes.emplace_back(static_cast<size_t>(f.width) * f.height);
      for (int y = 0; y < f.height; ++y)
        for (int x = 0; x < f.width; ++x) p[y * f.width + x] = (*lut)[f.data[y * f.stride + x]];
      mapped.push_back({p.data(), f.width, f.height, f.width, PixelFormat::kGray8});
    }
    return cpu_->hash(mapped, out, dcts);
  }
  int host_calls = 0, device_calls = 0, mapped_device_calls = 0;

 private:
  std::unique_ptr<PdqHasher> cpu_ = hasher_for(Device::kCpu);
};

TEST(PdqHasher, HashFramesRoutesEachFrameByWhereItIsAndKeepsTheOrder) {
  std::vector<test::OwnedImage> images;
  for (uint32_t seed = 0; seed < 6; ++seed)
    images.push_back(test::random_image(80 + 8 * seed, 60, PixelFormat::kGray8, seed));
  std::vector<ImageView> frames;
  for (const auto& i : images) frames.push_back(i.view);
  const std::vector<PixelMemory> memory = {PixelMemory::kHost,   PixelMemory::kDeviceLimitedRange,
                                           PixelMemory::kDevice, PixelMemory::kHost,
                                           PixelMemory::kDevice, PixelMemory::kDeviceLimitedRange};
  const auto lut = inverting_lut();
  HostBackedDeviceHasher hasher;
  std::vector<PdqHash> out(frames.size());
  std::vector<PdqDct> dcts(frames.size());
  ASSERT_TRUE(hash_frames(hasher, frames, memory, lut, out, dcts).is_ok());
  EXPECT_EQ(hasher.host_calls, 1);
  EXPECT_EQ(hasher.device_calls, 1);
  EXPECT_EQ(hasher.mapped_device_calls, 1);

  for (size_t i = 0; i < frames.size(); ++i) {
    std::vector<uint8_t> mapped(images[i].pixels.size());
    const ImageView& f = frames[i];
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x) mapped[y * f.width + x] = lut[f.data[y * f.stride + x]];
    const ImageView want_view = memory[i] == PixelMemory::kDeviceLimitedRange
                                    ? ImageView{mapped.data(), f.width, f.height, f.width, PixelFormat::kGray8}
                                    : f;
    const PdqHash want = pdq_hash_reference(want_view);
    EXPECT_EQ(out[i], want) << i;
    EXPECT_EQ(pdq::hash_from_dct(dcts[i]), want.hash) << i;
  }
}

TEST(PdqHasher, HashFramesOfHostFramesIsOneHashCall) {
  auto img = test::random_image(96, 64, PixelFormat::kRgb24, 3);
  const std::vector<ImageView> frames = {img.view, img.view};
  const std::vector<PixelMemory> memory(2, PixelMemory::kHost);
  HostBackedDeviceHasher hasher;
  std::vector<PdqHash> out(2);
  ASSERT_TRUE(hash_frames(hasher, frames, memory, inverting_lut(), out).is_ok());
  EXPECT_EQ(hasher.host_calls, 1);
  EXPECT_EQ(hasher.device_calls + hasher.mapped_device_calls, 0);
  EXPECT_EQ(out[0], pdq_hash_reference(img.view));
  EXPECT_EQ(out[1], out[0]);
  std::vector<PdqHash> short_out(1);
  EXPECT_EQ(hash_frames(hasher, frames, memory, inverting_lut(), short_out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vhm
