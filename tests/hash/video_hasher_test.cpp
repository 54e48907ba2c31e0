// Video -> vPDQ against the reference vPDQ hasher's own output on the shared corpus,
// and the vPDQ text format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "hash/video_hasher.h"
#include "hash/vpdq_format.h"
#include "kernels/pdq_cuda.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string video_path(const std::string& corpus, const std::string& name) {
  return corpus + "/threatexchange/tmk/sample-videos/" + name + ".mp4";
}
std::string reference_dir(const std::string& corpus, const std::string& mode) {
  return corpus + "/threatexchange/vpdq/reference-debian12/" + mode;
}

// The NAME of every NAME.txt in `dir` (sorted), and of those whose video is absent.
std::vector<std::string> hash_file_names(const std::string& dir, bool skip_128 = false) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    if (!file.ends_with(".txt")) continue;
    const std::string name = file.substr(0, file.size() - 4);
    if (skip_128 && name.ends_with("-128x128")) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every-frame hashes of a corpus video, computed once per test run.
const VideoHash& every_frame(const std::string& corpus, const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, VideoHash> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto h = hash_video(video_path(corpus, name));
    EXPECT_TRUE(h.is_ok()) << h.status().to_string();
    it = cache.emplace(name, h ? std::move(h).value() : VideoHash{}).first;
  }
  return it->second;
}

// Line-by-line comparison with a readable first difference.
void expect_same_text(const std::string& got, const std::string& want, const std::string& what) {
  if (got == want) return;
  std::istringstream g(got), w(want);
  std::string gl, wl;
  for (int line = 1;; ++line) {
    const bool has_g = static_cast<bool>(std::getline(g, gl));
    const bool has_w = static_cast<bool>(std::getline(w, wl));
    if (!has_g && !has_w) break;
    if (!has_g || !has_w || gl != wl) {
      ADD_FAILURE() << what << ": first difference at line " << line << "\n  got:  " << (has_g ? gl : "<end>")
                    << "\n  want: " << (has_w ? wl : "<end>");
      return;
    }
  }
  ADD_FAILURE() << what << ": texts differ (line ends?)";
}

// One pass over the corpus (decoding it all is the expensive part) checks both sets of
// reference hashes of every frame:
//  - reference-debian12/every-frame (the reference on this FFmpeg): equal byte for byte;
//  - the upstream sample-hashes (another FFmpeg build, whose decoder differs slightly):
//    as the reference matcher compares (quality >= 50, Hamming distance <= 31), with
//    the same frame count and the same printed timestamps. The two upstream files
//    whose video is not in the corpus are skipped.
TEST(VideoHasher, EveryFrameEqualsReferenceDebian12AndUpstreamWithinTolerance) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string dir = reference_dir(corpus, "every-frame");
  int compared = 0;
  for (const std::string& name : hash_file_names(dir)) {
    if (!fs::exists(video_path(corpus, name))) continue;
    const VideoHash& h = every_frame(corpus, name);
    const std::string want = test::read_text_file(dir + "/" + name + ".txt");
    expect_same_text(format_vpdq(h.frames), want, name + " every frame");
    EXPECT_EQ(h.frames_decoded, static_cast<int64_t>(h.frames.size())) << name;
    EXPECT_EQ(h.decode_errors, 0) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 14);

  const std::string upstream_dir = corpus + "/threatexchange/vpdq/sample-hashes";
  int upstream_compared = 0, skipped = 0, frames_checked = 0, worst = 0;
  for (const std::string& name : hash_file_names(upstream_dir, /*skip_128=*/true)) {
    if (!fs::exists(video_path(corpus, name))) {
      ++skipped;  // chair-orig-22-fhd-no-bar, chair-orig-22-hd-no-bar are not in the corpus
      continue;
    }
    auto upstream = read_vpdq_file(upstream_dir + "/" + name + ".txt");
    ASSERT_TRUE(upstream.is_ok()) << upstream.status().to_string();
    const VideoHash& h = every_frame(corpus, name);
    ASSERT_EQ(h.frames.size(), upstream->size()) << name;
    for (size_t i = 0; i < h.frames.size(); ++i) {
      const FrameHash& up = (*upstream)[i];
      const FrameHash& got = h.frames[i];
      EXPECT_EQ(got.index, up.index) << name;
      // The text holds 3 decimals: compare the printed timestamps.
      const std::string got_line = format_vpdq_line(got), up_line = format_vpdq_line(up);
      EXPECT_EQ(got_line.substr(got_line.rfind(',')), up_line.substr(up_line.rfind(','))) << name << " frame " << i;
      if (up.quality < 50) continue;
      const int d = got.hash.hamming(up.hash);
      worst = std::max(worst, d);
      EXPECT_LE(d, 31) << name << " frame " << up.index;
      ++frames_checked;
    }
    ++upstream_compared;
  }
  EXPECT_EQ(upstream_compared, 14);
  EXPECT_EQ(skipped, 2);
  EXPECT_GT(frames_checked, 5000);
  std::cerr << "  upstream sample-hashes: " << frames_checked << " frames of quality >= 50, worst distance " << worst
            << "\n";
}

TEST(VideoHasher, OnePerSecondEqualsReferenceDebian12ByteForByte) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string dir = reference_dir(corpus, "one-per-second");
  VideoHashConfig config;
  config.sampling = VideoSampling::kEverySeconds;
  config.seconds = 1.0;
  int compared = 0;
  for (const std::string& name : hash_file_names(dir)) {
    if (!fs::exists(video_path(corpus, name))) continue;
    auto h = hash_video(video_path(corpus, name), config);
    ASSERT_TRUE(h.is_ok()) << h.status().to_string();
    const std::string want = test::read_text_file(dir + "/" + name + ".txt");
    expect_same_text(format_vpdq(h->frames), want, name + " one per second");
    // All frames are still decoded (only some are converted and hashed).
    EXPECT_GT(h->frames_decoded, static_cast<int64_t>(h->frames.size()) * 29) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 14);
}

TEST(VideoHasher, KeyframesAreTheSameFramesAsInEveryFrameMode) {
  VHM_REQUIRE_CORPUS(corpus);
  for (const std::string name : {"chair-19-sd-bar", "test-padded-dimensions"}) {
    VideoHashConfig config;
    config.sampling = VideoSampling::kKeyframes;
    auto keys = hash_video(video_path(corpus, name), config);
    ASSERT_TRUE(keys.is_ok()) << keys.status().to_string();
    const VideoHash& all = every_frame(corpus, name);
    ASSERT_FALSE(keys->frames.empty());
    EXPECT_LT(keys->frames.size(), all.frames.size() / 4) << name;
    EXPECT_EQ(keys->frames.front().index, 0);
    for (const FrameHash& k : keys->frames) {
      ASSERT_LT(static_cast<size_t>(k.index), all.frames.size());
      EXPECT_EQ(k, all.frames[k.index]) << name << " key frame " << k.index;
    }
  }
}

TEST(VideoHasher, PruneZeroDropsExactConsecutiveRepeatsOnly) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string name = "test-padded-dimensions";  // 27 exact consecutive repeats
  const VideoHash& all = every_frame(corpus, name);
  std::vector<FrameHash> want;
  for (const FrameHash& f : all.frames)
    if (want.empty() || want.back().hash != f.hash) want.push_back(f);
  ASSERT_LT(want.size(), all.frames.size());

  VideoHashConfig config;
  config.prune_distance = 0;
  auto pruned = hash_video(video_path(corpus, name), config);
  ASSERT_TRUE(pruned.is_ok()) << pruned.status().to_string();
  EXPECT_EQ(pruned->frames, want);
  bool near_kept = false;  // frames 1 bit or more apart stay
  for (size_t i = 1; i < pruned->frames.size(); ++i) {
    const int d = pruned->frames[i].hash.hamming(pruned->frames[i - 1].hash);
    EXPECT_GT(d, 0);
    near_kept |= d <= 8;
  }
  EXPECT_TRUE(near_kept);

  config.prune_distance = 31;
  auto coarse = hash_video(video_path(corpus, name), config);
  ASSERT_TRUE(coarse.is_ok()) << coarse.status().to_string();
  EXPECT_LT(coarse->frames.size(), pruned->frames.size());
  EXPECT_EQ(coarse->frames.front(), all.frames.front());
  for (size_t i = 1; i < coarse->frames.size(); ++i)
    EXPECT_GT(coarse->frames[i].hash.hamming(coarse->frames[i - 1].hash), 31);
}

TEST(VideoHasher, PruneCollapsesAStillVideo) {
  if (test::run_command("ffmpeg -version").exit_code != 0) GTEST_SKIP() << "ffmpeg CLI not available";
  const fs::path dir = fs::temp_directory_path() / ("vhm_video_hasher_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "still.mp4").string();
  const auto r = test::run_command(
      "ffmpeg -nostdin -v error -y -f lavfi -i color=c=gray:s=64x48:r=10:d=2 -c:v libx264 "
      "-pix_fmt yuv420p '" +
      out +
      "' || ffmpeg -nostdin -v error -y -f lavfi -i "
      "color=c=gray:s=64x48:r=10:d=2 '" +
      out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  VideoHashConfig config;
  auto all = hash_video(out, config);
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  EXPECT_EQ(all->frames.size(), 20u);
  config.prune_distance = 0;
  auto pruned = hash_video(out, config);
  ASSERT_TRUE(pruned.is_ok()) << pruned.status().to_string();
  ASSERT_EQ(pruned->frames.size(), 1u);
  EXPECT_EQ(pruned->frames[0], all->frames[0]);
  fs::remove_all(dir);
}

TEST(VideoHasher, InfoMd5AndPresentationTimestamps) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "doorknob-hd-no-bar");
  VideoHashConfig config;
  config.timestamps = TimestampMode::kPresentation;
  config.batch_frames = 7;  // batches that do not divide the frame count
  auto h = hash_video(path, config);
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_EQ(h->info.codec, "h264");
  EXPECT_EQ(h->info.width, 1280);
  EXPECT_EQ(h->info.height, 720);
  EXPECT_DOUBLE_EQ(h->info.fps, 30.0);
  EXPECT_EQ(h->info.frame_count, 120);
  EXPECT_FALSE(h->hasher.empty());
  EXPECT_GT(h->elapsed_seconds, 0.0);
  ASSERT_EQ(h->frames.size(), 120u);
  const VideoHash& ref = every_frame(corpus, "doorknob-hd-no-bar");
  for (size_t i = 0; i < h->frames.size(); ++i) {
    EXPECT_NEAR(h->frames[i].pts_seconds, i / 30.0, 1e-9);
    EXPECT_EQ(h->frames[i].hash, ref.frames[i].hash);
  }
  ASSERT_EQ(h->md5_hex.size(), 32u);
  const auto md5sum = test::run_command("md5sum '" + path + "'");
  if (md5sum.exit_code == 0) {
    EXPECT_EQ(md5sum.out.substr(0, 32), h->md5_hex);
  }
  auto direct = digest_file(path, {.md5 = true, .sha256 = true});
  ASSERT_TRUE(direct.is_ok());
  EXPECT_EQ(direct->md5_hex, h->md5_hex);
  EXPECT_TRUE(h->sha256_hex.empty());  // not asked for
}

// SHA-256 beside MD5 in the same read, equal to coreutils' sha256sum; from memory too.
TEST(VideoHasher, Sha256WhenAskedEqualsSha256sum) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "doorknob-hd-no-bar");
  VideoHashConfig config;
  config.sampling = VideoSampling::kEverySeconds;
  config.compute_sha256 = true;
  auto h = hash_video(path, config);
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  ASSERT_EQ(h->sha256_hex.size(), 64u);
  EXPECT_EQ(h->md5_hex.size(), 32u);
  const auto sha256sum = test::run_command("sha256sum '" + path + "'");
  ASSERT_EQ(sha256sum.exit_code, 0);
  EXPECT_EQ(sha256sum.out.substr(0, 64), h->sha256_hex);
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const InputDigests mem = digest_bytes(bytes, {.md5 = true, .sha256 = true});
  EXPECT_EQ(mem.sha256_hex, h->sha256_hex);
  EXPECT_EQ(mem.md5_hex, h->md5_hex);
}

// vhm serve's path: the bytes of an upload, hashed where they lie, give the frames the
// file gives, and the MD5 of the bytes.
TEST(VideoHasher, FromMemoryEqualsFromTheFile) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "doorknob-hd-no-bar");
  VideoHashConfig config;
  config.crop_bars = true;
  config.dihedral = true;
  auto from_file = hash_video(path, config);
  ASSERT_TRUE(from_file.is_ok()) << from_file.status().to_string();
  const std::string text = test::read_text_file(path);
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  auto from_memory = hash_video_memory(bytes, "upload", config);
  ASSERT_TRUE(from_memory.is_ok()) << from_memory.status().to_string();
  EXPECT_EQ(from_memory->frames, from_file->frames);
  EXPECT_EQ(from_memory->md5_hex, from_file->md5_hex);
  EXPECT_EQ(from_memory->info.url, "upload");

  const std::string junk = "not a video at all";
  auto bad = hash_video_memory({reinterpret_cast<const uint8_t*>(junk.data()), junk.size()}, "junk", config);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().subject(), "junk");
}

TEST(VideoHasher, ErrorsNameTheInput) {
  const std::string missing = "/nonexistent/dir/video.mp4";
  auto h = hash_video(missing);
  ASSERT_FALSE(h.is_ok());
  EXPECT_EQ(h.status().code(), StatusCode::kNotFound);
  EXPECT_NE(h.status().to_string().find(missing), std::string::npos) << h.status().to_string();

  VideoHashConfig bad;
  bad.sampling = VideoSampling::kEverySeconds;
  bad.seconds = -1;
  EXPECT_EQ(hash_video(missing, bad).status().code(), StatusCode::kInvalidArgument);
  bad = {};
  bad.prune_distance = -2;
  EXPECT_EQ(hash_video(missing, bad).status().code(), StatusCode::kInvalidArgument);
}

// A device is a name only at the front doors: parsed once, and every name parses back.
TEST(Device, NamesParseBackAndNothingElseParses) {
  for (const Device d : {Device::kReference, Device::kCpu, Device::kGpu, Device::kAuto}) {
    ASSERT_TRUE(parse_device(device_name(d)).has_value()) << device_name(d);
    EXPECT_EQ(*parse_device(device_name(d)), d);
  }
  for (const char* bad : {"abacus", "", "CPU", "gpu ", "tpu"}) EXPECT_FALSE(parse_device(bad).has_value()) << bad;
}

TEST(VideoHasher, ReferenceSamplingAndTimestampArithmetic) {
  EXPECT_EQ(reference_frame_interval(1.0, 30.0), 30);
  EXPECT_EQ(reference_frame_interval(2.0, 30.0), 60);
  EXPECT_EQ(reference_frame_interval(1.0, 30000.0 / 1001.0), 29);  // truncated, not rounded
  EXPECT_EQ(reference_frame_interval(0.7, 30.0), 20);              // std::stof(0.7) * 30 = 20.99...
  EXPECT_EQ(reference_frame_interval(0.0, 30.0), 1);
  EXPECT_EQ(reference_frame_interval(1.0, 0.5), 1);  // 0 becomes 1
  EXPECT_EQ(format_vpdq_line({1, reference_timestamp(1, 30.0), 100, Hash256{}}).substr(0, 6), "1,100,");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", reference_timestamp(1, 30.0));
  EXPECT_STREQ(buf, "0.033");
  std::snprintf(buf, sizeof buf, "%.3f", reference_timestamp(563, 30.0));
  EXPECT_STREQ(buf, "18.767");
}

// ------------------------------------------------------------------ fast pixels, devices

// Hamming distances of fast against exact hashes over frames whose exact quality is >= 50
// (the frames a matcher uses), and quality shifts, per video.
struct FastVsExact {
  std::vector<int> distances;
  int max_quality_shift = 0;
  int crossed_50 = 0;
};

int nearest_rank(std::vector<int> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

FastVsExact compare_fast(const VideoHash& exact, const VideoHash& fast, const std::string& name) {
  FastVsExact c;
  EXPECT_EQ(fast.frames.size(), exact.frames.size()) << name;
  for (size_t i = 0; i < std::min(fast.frames.size(), exact.frames.size()); ++i) {
    const FrameHash& e = exact.frames[i];
    const FrameHash& f = fast.frames[i];
    EXPECT_EQ(f.index, e.index) << name;
    EXPECT_EQ(f.pts_seconds, e.pts_seconds) << name << " frame " << e.index;
    c.max_quality_shift = std::max(c.max_quality_shift, std::abs(f.quality - e.quality));
    c.crossed_50 += (e.quality >= 50) != (f.quality >= 50);
    if (e.quality >= 50) c.distances.push_back(f.hash.hamming(e.hash));
  }
  return c;
}

// Bounds from docs/PIXELS.md (every frame of the corpus, frames of exact quality >= 50):
// over the corpus mean 1.01, p95 2 bits; per video p95 <= 4 bits except the dim,
// low-contrast doorknob clip (p95 14, max 20); quality identical but for doorknob
// (mean |shift| 0.09), no frame crossing quality 50. All far inside the matcher's 31 bits.
TEST(VideoHasher, FastPixelsStayCloseToExact) {
  VHM_REQUIRE_CORPUS(corpus);
  std::vector<int> all;
  for (const std::string name : {"chair-19-sd-bar", "doorknob-hd-no-bar", "test-padded-dimensions"}) {
    const VideoHash& exact = every_frame(corpus, name);
    VideoHashConfig config;
    config.pixels = PixelPath::kFast;
    auto fast = hash_video(video_path(corpus, name), config);
    ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
    EXPECT_EQ(fast->pixels, PixelPath::kFast);
    EXPECT_EQ(fast->fast_frames, static_cast<int64_t>(exact.frames.size())) << name;
    EXPECT_EQ(fast->frames_decoded, exact.frames_decoded) << name;
    EXPECT_TRUE(fast->note.empty()) << fast->note;
    EXPECT_EQ(fast->decoder, "cpu");
    const FastVsExact c = compare_fast(exact, *fast, name);
    const bool dim = name == "doorknob-hd-no-bar";
    EXPECT_LE(nearest_rank(c.distances, 0.95), dim ? 16 : 4) << name;
    EXPECT_LE(nearest_rank(c.distances, 1.0), dim ? 24 : 8) << name;
    EXPECT_LE(c.max_quality_shift, dim ? 3 : 1) << name;
    EXPECT_EQ(c.crossed_50, 0) << name;
    all.insert(all.end(), c.distances.begin(), c.distances.end());
  }
  double mean = 0;
  for (int d : all) mean += d;
  mean /= static_cast<double>(all.size());
  EXPECT_LE(mean, 2.0);
  std::cerr << "  fast vs exact, " << all.size() << " frames of quality >= 50: mean " << mean << ", p95 "
            << nearest_rank(all, 0.95) << ", max " << nearest_rank(all, 1.0) << "\n";
}

// The stored bytes (no range stretch): the bits stay as close, the quality of frames
// below the cap reads lower (gradients shrink by 219/255).
TEST(VideoHasher, FastPixelsAsStoredLowerQualityOnly) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string name = "doorknob-hd-no-bar";
  const VideoHash& exact = every_frame(corpus, name);
  VideoHashConfig config;
  config.pixels = PixelPath::kFast;
  config.fast_range = LumaRange::kAsStored;
  auto stored = hash_video(video_path(corpus, name), config);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  const FastVsExact c = compare_fast(exact, *stored, name);
  EXPECT_LE(nearest_rank(c.distances, 0.95), 12);
  int lower = 0;
  for (size_t i = 0; i < exact.frames.size(); ++i) {
    EXPECT_LE(stored->frames[i].quality, exact.frames[i].quality + 1) << "frame " << i;
    lower += stored->frames[i].quality < exact.frames[i].quality;
  }
  EXPECT_GT(lower, 0);
}

// Exact pixels ignore the fast-path settings: still the reference's lines byte for byte.
TEST(VideoHasher, ExactPixelsAreUnchanged) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string name = "test-padded-dimensions";
  VideoHashConfig config;
  config.pixels = PixelPath::kExact;
  config.fast_range = LumaRange::kAsStored;
  auto h = hash_video(video_path(corpus, name), config);
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  expect_same_text(format_vpdq(h->frames),
                   test::read_text_file(reference_dir(corpus, "every-frame") + "/" + name + ".txt"), name);
  EXPECT_EQ(h->fast_frames, 0);
  EXPECT_EQ(h->pixels, PixelPath::kExact);
}

// Without a GPU: "auto" is the CPU path, the same output as "cpu", in both pixel modes,
// and says so in one log line per process however many videos it hashes.
TEST(VideoHasher, AutoWithoutGpuEqualsCpu) {
  VHM_REQUIRE_CORPUS(corpus);
  std::string why;
  if (gpu::cuda_available(&why)) GTEST_SKIP() << "a GPU is usable here (tests/kernels/video_gpu_test.cpp covers it)";
  for (const std::string name : {"pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"}) {
    for (const PixelPath pixels : {PixelPath::kFast, PixelPath::kExact}) {
      VideoHashConfig cpu, autoc;
      cpu.pixels = autoc.pixels = pixels;
      cpu.device = Device::kCpu;
      autoc.device = Device::kAuto;
      auto a = hash_video(video_path(corpus, name), autoc);
      auto c = hash_video(video_path(corpus, name), cpu);
      ASSERT_TRUE(a.is_ok()) << a.status().to_string();
      ASSERT_TRUE(c.is_ok()) << c.status().to_string();
      EXPECT_EQ(a->frames, c->frames) << name;
      EXPECT_EQ(a->hasher, c->hasher);
      EXPECT_EQ(a->decoder, "cpu");
    }
  }
}

// What AutoWithoutGpuLogsOncePerProcess runs in a process of its own: four videos on
// "auto". Does nothing unless that test started it.
TEST(VideoHasherChild, FourVideosOnAuto) {
  if (!std::getenv("VHM_TEST_AUTO_CHILD")) GTEST_SKIP() << "run by AutoWithoutGpuLogsOncePerProcess";
  VHM_REQUIRE_CORPUS(corpus);
  for (const std::string name : {"pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"})
    for (const PixelPath pixels : {PixelPath::kFast, PixelPath::kExact}) {
      VideoHashConfig config;
      config.pixels = pixels;
      config.device = Device::kAuto;
      auto h = hash_video(video_path(corpus, name), config);
      ASSERT_TRUE(h.is_ok()) << h.status().to_string();
    }
}

// "auto" without a GPU says so once per process, with the reason, however many videos
// it hashes. A process of its own (this executable, one test): the line is logged once
// per process, so another test of this process may have logged it already.
TEST(VideoHasher, AutoWithoutGpuLogsOncePerProcess) {
  VHM_REQUIRE_CORPUS(corpus);
  std::string why;
  if (gpu::cuda_available(&why)) GTEST_SKIP() << "a GPU is usable here (tests/kernels/video_gpu_test.cpp covers it)";
  const auto child = test::run_this_test_binary("VHM_TEST_AUTO_CHILD=1", "VideoHasherChild.FourVideosOnAuto");
  ASSERT_EQ(child.exit_code, 0) << child.out << child.err;
  const std::string text = child.out + child.err;
  ASSERT_NE(text.find("[  PASSED  ] 1 test"), std::string::npos) << text;
  int lines = 0;
  for (size_t p = text.find("device auto"); p != std::string::npos; p = text.find("device auto", p + 1)) ++lines;
  EXPECT_EQ(lines, 1) << text;
  EXPECT_NE(text.find(why), std::string::npos) << text;  // it says why
}

// Without a GPU: "gpu" fails with kUnavailable saying why, naming the video.
TEST(VideoHasher, GpuWithoutGpuIsUnavailableWithAReason) {
  VHM_REQUIRE_CORPUS(corpus);
  std::string why;
  if (gpu::cuda_available(&why)) GTEST_SKIP() << "a GPU is usable here (tests/kernels/video_gpu_test.cpp covers it)";
  const std::string path = video_path(corpus, "pattern-sd-grey-bar");
  for (const PixelPath pixels : {PixelPath::kFast, PixelPath::kExact}) {
    VideoHashConfig config;
    config.device = Device::kGpu;
    config.pixels = pixels;
    auto h = hash_video(path, config);
    ASSERT_FALSE(h.is_ok());
    EXPECT_EQ(h.status().code(), StatusCode::kUnavailable) << h.status().to_string();
    EXPECT_NE(h.status().to_string().find(path), std::string::npos) << h.status().to_string();
    EXPECT_FALSE(h.status().message().empty());
    if (pixels == PixelPath::kFast) {
      EXPECT_NE(h.status().message().find("GPU decoding unavailable: " + why), std::string::npos)
          << h.status().to_string();
    }
    std::cerr << "  [gpu, " << (pixels == PixelPath::kFast ? "fast" : "exact") << "] " << h.status().to_string()
              << "\n";
  }
}

// ------------------------------------------------------------------ vPDQ text format

TEST(VpdqFormat, WritesTheReferenceLine) {
  FrameHash f;
  f.index = 12;
  f.quality = 87;
  f.hash = *Hash256::from_hex("e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c");
  f.pts_seconds = 0.4;
  EXPECT_EQ(format_vpdq_line(f), "12,87,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.400\n");
  f.pts_seconds = 1234.56789;
  EXPECT_EQ(format_vpdq_line(f).substr(format_vpdq_line(f).rfind(',')), ",1234.568\n");
}

TEST(VpdqFormat, ReadsAndRewritesReferenceFilesIdentically) {
  VHM_REQUIRE_CORPUS(corpus);
  for (const std::string mode : {"every-frame", "one-per-second"}) {
    const std::string dir = reference_dir(corpus, mode);
    for (const std::string& name : hash_file_names(dir)) {
      const std::string path = dir + "/" + name + ".txt";
      auto frames = read_vpdq_file(path);
      ASSERT_TRUE(frames.is_ok()) << frames.status().to_string();
      ASSERT_FALSE(frames->empty());
      EXPECT_EQ(format_vpdq(*frames), test::read_text_file(path)) << path;
    }
  }
}

TEST(VpdqFormat, WriteFileAndReadBack) {
  std::vector<FrameHash> frames(3);
  for (int i = 0; i < 3; ++i) {
    frames[i].index = i * 30;
    frames[i].quality = 50 + i;
    frames[i].hash.words = {uint64_t(i) * 0x9e3779b97f4a7c15ull, ~uint64_t(i), uint64_t(i) << 7, 42};
    frames[i].pts_seconds = i;
  }
  const std::string path = (fs::temp_directory_path() / ("vhm_vpdq_" + std::to_string(::getpid()) + ".txt")).string();
  ASSERT_TRUE(write_vpdq_file(path, frames).is_ok());
  auto back = read_vpdq_file(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, frames);
  fs::remove(path);
  EXPECT_FALSE(write_vpdq_file("/nonexistent/dir/x.txt", frames).is_ok());
  EXPECT_EQ(read_vpdq_file("/nonexistent/dir/x.txt").status().code(), StatusCode::kNotFound);
}

TEST(VpdqFormat, ParseErrorsGiveLineNumbers) {
  const std::string good = "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n";
  auto ok = parse_vpdq(good + "1,99,E271017837246AACCDDEA259648FB7D62F435C89D9E99B2497763E216C8D055C,0.033\r\n");
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].index, 1);
  EXPECT_EQ((*ok)[1].quality, 99);
  EXPECT_DOUBLE_EQ((*ok)[1].pts_seconds, 0.033);
  EXPECT_TRUE(parse_vpdq("").is_ok());
  EXPECT_TRUE(parse_vpdq(good.substr(0, good.size() - 1)).is_ok());  // no final newline

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"hello world\n", "line 2: expected 4"},
      {"0,100,abc,0.0\n", "line 2: bad PDQ hash"},
      {"x,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.0\n", "line 2: bad frame number"},
      {"-1,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.0\n", "line 2: bad frame number"},
      {"1,101,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.0\n", "line 2: bad quality"},
      {"1,50,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,zero\n", "line 2: bad timestamp"},
      {"1,50,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,nan\n", "line 2: bad timestamp"},
      {"1,50,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.1,extra\n", "line 2: expected 4"},
      {"\n", "line 2: empty line"},
  };
  for (const auto& [text, want] : bad) {
    auto r = parse_vpdq(good + text, "some.txt");
    ASSERT_FALSE(r.is_ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(r.status().to_string().find("some.txt: " + want), std::string::npos) << r.status().to_string();
  }
  std::mt19937 rng(7);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  EXPECT_FALSE(parse_vpdq(garbage, "garbage").is_ok());
}

// A test that needs the corpus fails without it in CI (CI=true) and skips elsewhere.
// Run on this very test executable, with the corpus pointed away.
TEST(CorpusPolicy, AMissingCorpusFailsInCiAndSkipsElsewhere) {
  const std::string probe = "VideoHasher.InfoMd5AndPresentationTimestamps";
  const auto ci = test::run_this_test_binary("CI=true VHM_CORPUS=/nonexistent-corpus", probe);
  EXPECT_NE(ci.exit_code, 0) << ci.out;
  EXPECT_NE(ci.out.find("CI=true requires it"), std::string::npos) << ci.out;
  const auto local = test::run_this_test_binary("env -u CI VHM_CORPUS=/nonexistent-corpus", probe);
  EXPECT_EQ(local.exit_code, 0) << local.out;
  EXPECT_NE(local.out.find("[  SKIPPED ] VideoHasher.InfoMd5AndPresentationTimestamps"), std::string::npos)
      << local.out;
}

}  // namespace
}  // namespace vhm
