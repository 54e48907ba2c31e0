// VideoDecoder on the shared corpus and on broken inputs the tests make themselves.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "decode/video_decoder.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string video_path(const std::string& corpus, const std::string& name) {
  return corpus + "/threatexchange/tmk/sample-videos/" + name + ".mp4";
}

// A fresh temporary directory, removed with the object.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("vhm_video_decoder_test_" + std::to_string(rd()) + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool have_ffmpeg_cli() { return test::run_command("ffmpeg -version").exit_code == 0; }

// FNV-1a over the frame's visible RGB bytes.
uint64_t pixel_checksum(const DecodedFrame& f) {
  uint64_t h = 1469598103934665603ull;
  const ImageView v = f.view();
  for (int y = 0; y < v.height; ++y) {
    const uint8_t* row = v.data + y * v.stride;
    for (int x = 0; x < v.width * 3; ++x) h = (h ^ row[x]) * 1099511628211ull;
  }
  return h;
}

// Opens and decodes to the end; the first non-OK Status, or OK with the frame count.
Status decode_all(const std::string& url, int64_t* frames = nullptr, const VideoDecoderOptions& options = {}) {
  auto dec = VideoDecoder::open(url, options);
  if (!dec) return dec.status();
  DecodedFrame frame;
  int64_t n = 0;
  while (true) {
    auto got = (*dec)->next(frame);
    if (!got) return got.status();
    if (!*got) break;
    ++n;
  }
  if (frames) *frames = n;
  return Status::ok();
}

TEST(VideoDecoder, StreamInfo) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "chair-19-sd-bar");
  auto dec = VideoDecoder::open(path);
  ASSERT_TRUE(dec.is_ok()) << dec.status().to_string();
  const VideoStreamInfo& info = (*dec)->info();
  EXPECT_EQ(info.url, path);
  EXPECT_NE(info.container.find("mp4"), std::string::npos) << info.container;
  EXPECT_EQ(info.codec, "h264");
  EXPECT_EQ(info.pixel_format, "yuv420p");
  EXPECT_EQ(info.stream_index, 0);
  EXPECT_EQ(info.width, 480);
  EXPECT_EQ(info.height, 720);
  EXPECT_EQ(info.fps_num, 30);
  EXPECT_EQ(info.fps_den, 1);
  EXPECT_DOUBLE_EQ(info.fps, 30.0);
  EXPECT_NEAR(info.duration_seconds, 564 / 30.0, 0.1);
  EXPECT_EQ(info.frame_count, 564);
  EXPECT_TRUE(info.frame_count_exact);
}

TEST(VideoDecoder, EveryFrameInOrderWithTimestamps) {
  VHM_REQUIRE_CORPUS(corpus);
  auto dec = VideoDecoder::open(video_path(corpus, "test-padded-dimensions"));
  ASSERT_TRUE(dec.is_ok()) << dec.status().to_string();
  DecodedFrame frame;
  int64_t n = 0;
  while (true) {
    auto got = (*dec)->next(frame);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    if (!*got) break;
    EXPECT_EQ(frame.index, n);
    EXPECT_NEAR(frame.pts_seconds, n / 30.0, 1e-9) << "frame " << n;
    EXPECT_EQ(frame.width, 1080);
    EXPECT_EQ(frame.height, 1080);
    const ImageView v = frame.view();
    ASSERT_NE(v.data, nullptr);
    EXPECT_GE(v.stride, 1080 * 3);
    EXPECT_EQ(v.format, PixelFormat::kRgb24);
    if (n == 0) {
      EXPECT_TRUE(frame.key_frame);
    }
    ++n;
  }
  // Every frame the container lists, including those held back for reordering until
  // the flush at the end.
  EXPECT_EQ(n, 150);
  EXPECT_EQ((*dec)->frames_decoded(), 150);
  EXPECT_EQ((*dec)->packets_read(), 150);
  EXPECT_EQ((*dec)->decode_errors(), 0);
  // After the end, next() keeps answering false.
  auto again = (*dec)->next(frame);
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(*again);
}

TEST(VideoDecoder, KeyframesModeGivesTheSameFramesAsEveryFrameMode) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "chair-19-sd-bar");
  struct Seen {
    double pts;
    uint64_t checksum;
  };
  std::map<int64_t, Seen> keyframes;
  {
    VideoDecoderOptions options;
    options.keyframes_only = true;
    auto dec = VideoDecoder::open(path, options);
    ASSERT_TRUE(dec.is_ok()) << dec.status().to_string();
    DecodedFrame frame;
    while (true) {
      auto got = (*dec)->next(frame);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      if (!*got) break;
      EXPECT_TRUE(frame.key_frame) << "frame " << frame.index;
      EXPECT_FALSE(keyframes.count(frame.index)) << "index repeated: " << frame.index;
      keyframes[frame.index] = {frame.pts_seconds, pixel_checksum(frame)};
    }
    EXPECT_EQ((*dec)->packets_read(), 564);  // every packet is read, few are decoded
  }
  ASSERT_FALSE(keyframes.empty());
  EXPECT_LT(keyframes.size(), 564u / 4);
  EXPECT_TRUE(keyframes.count(0));

  // The same indices in every-frame mode are the same pictures at the same times.
  VideoDecoderOptions options;
  options.want = [&](int64_t index) { return keyframes.count(index) > 0; };
  auto dec = VideoDecoder::open(path, options);
  ASSERT_TRUE(dec.is_ok()) << dec.status().to_string();
  DecodedFrame frame;
  size_t matched = 0;
  while (true) {
    auto got = (*dec)->next(frame);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    if (!*got) break;
    const Seen& k = keyframes.at(frame.index);
    EXPECT_TRUE(frame.key_frame) << "frame " << frame.index;
    EXPECT_DOUBLE_EQ(frame.pts_seconds, k.pts) << "frame " << frame.index;
    EXPECT_EQ(pixel_checksum(frame), k.checksum) << "frame " << frame.index;
    ++matched;
  }
  EXPECT_EQ(matched, keyframes.size());
  EXPECT_EQ((*dec)->frames_decoded(), 564);
}

TEST(VideoDecoder, OpenMemoryEqualsOpenFile) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "test-padded-dimensions");
  const std::vector<char> bytes = read_bytes(path);
  auto mem = VideoDecoder::open_memory(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "memory.mp4");
  ASSERT_TRUE(mem.is_ok()) << mem.status().to_string();
  auto file = VideoDecoder::open(path);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  EXPECT_EQ((*mem)->info().url, "memory.mp4");
  DecodedFrame a, b;
  int64_t n = 0;
  while (true) {
    auto ga = (*mem)->next(a);
    auto gb = (*file)->next(b);
    ASSERT_TRUE(ga.is_ok() && gb.is_ok());
    ASSERT_EQ(*ga, *gb);
    if (!*ga) break;
    if (n % 10 == 0) {
      EXPECT_EQ(pixel_checksum(a), pixel_checksum(b)) << "frame " << n;
    }
    ++n;
  }
  EXPECT_EQ(n, 150);
}

TEST(VideoDecoder, VideoNotInStreamZeroKeepsItsLastFrames) {
  VHM_REQUIRE_CORPUS(corpus);
  if (!have_ffmpeg_cli()) GTEST_SKIP() << "ffmpeg CLI not available";
  TempDir dir;
  const std::string out = dir.file("audio-first.mp4");
  const auto r = test::run_command("ffmpeg -nostdin -v error -f lavfi -i sine=d=5 -i '" +
                                   video_path(corpus, "test-padded-dimensions") +
                                   "' -map 0:a -map 1:v -c:v copy -c:a aac -shortest '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto dec = VideoDecoder::open(out);
  ASSERT_TRUE(dec.is_ok()) << dec.status().to_string();
  EXPECT_EQ((*dec)->info().stream_index, 1);
  int64_t frames = 0;
  ASSERT_TRUE(decode_all(out, &frames).is_ok());
  EXPECT_EQ(frames, 150);  // the reference would lose the frames held for reordering
}

// Every broken input gives a non-OK Status that names the input; nothing crashes.
void expect_failure(const std::string& path, const std::string& why, const VideoDecoderOptions& options = {}) {
  const Status s = decode_all(path, nullptr, options);
  EXPECT_FALSE(s.is_ok()) << why;
  EXPECT_NE(s.to_string().find(path), std::string::npos) << why << ": " << s.to_string();
  std::cerr << "  [" << why << "] " << s.to_string() << "\n";
}

TEST(VideoDecoder, BadInputsGiveStatusesNamingTheFile) {
  TempDir dir;
  expect_failure(dir.file("does-not-exist.mp4"), "missing file");
  EXPECT_EQ(decode_all(dir.file("does-not-exist.mp4")).code(), StatusCode::kNotFound);

  write_bytes(dir.file("empty.mp4"), {});
  expect_failure(dir.file("empty.mp4"), "zero-byte file");
  EXPECT_EQ(decode_all(dir.file("empty.mp4")).code(), StatusCode::kCorrupt);

  std::mt19937 rng(1234);
  std::vector<char> garbage(100000);
  for (char& c : garbage) c = static_cast<char>(rng());
  write_bytes(dir.file("garbage.mp4"), garbage);
  expect_failure(dir.file("garbage.mp4"), "random bytes");

  expect_failure(dir.path.string(), "a directory");

  auto empty_mem = VideoDecoder::open_memory({}, "nothing");
  ASSERT_FALSE(empty_mem.is_ok());
  EXPECT_NE(empty_mem.status().to_string().find("nothing"), std::string::npos);
}

TEST(VideoDecoder, CorpusBasedBadInputs) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  // moov before mdat: opens, then ends early.
  std::vector<char> bytes = read_bytes(video_path(corpus, "chair-19-sd-bar"));
  bytes.resize(bytes.size() / 2);
  write_bytes(dir.file("truncated-front.mp4"), bytes);
  expect_failure(dir.file("truncated-front.mp4"), "truncated mp4, index first");
  EXPECT_EQ(decode_all(dir.file("truncated-front.mp4")).code(), StatusCode::kCorrupt);

  // moov after mdat: the index is gone, nothing opens.
  bytes = read_bytes(video_path(corpus, "test-padded-dimensions"));
  bytes.resize(bytes.size() / 2);
  write_bytes(dir.file("truncated-end.mp4"), bytes);
  expect_failure(dir.file("truncated-end.mp4"), "truncated mp4, index last");

  const std::string png = corpus + "/threatexchange/pdq/data/reg-test-input/pen-and-coaster.png";
  fs::copy_file(png, dir.file("picture.mp4"));
  expect_failure(dir.file("picture.mp4"), "PNG renamed .mp4");

  VideoDecoderOptions small;
  small.media.limits.max_side = 100;
  expect_failure(video_path(corpus, "doorknob-hd-no-bar"), "absurd dimensions", small);
  const Status s = decode_all(video_path(corpus, "doorknob-hd-no-bar"), nullptr, small);
  EXPECT_NE(s.message().find("absurd frame size 1280x720"), std::string::npos) << s.to_string();
}

TEST(VideoDecoder, AudioOnlyFileHasNoVideoStream) {
  if (!have_ffmpeg_cli()) GTEST_SKIP() << "ffmpeg CLI not available";
  TempDir dir;
  const std::string out = dir.file("x.m4a");
  const auto r = test::run_command("ffmpeg -nostdin -v error -f lavfi -i sine=d=1 '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_failure(out, "audio only");
  const Status s = decode_all(out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("no video stream"), std::string::npos) << s.to_string();
}

TEST(VideoDecoder, UnsupportedCodecIsNamed) {
  if (!have_ffmpeg_cli()) GTEST_SKIP() << "ffmpeg CLI not available";
  TempDir dir;
  // a64multi has an encoder and no decoder: the file holds a video nothing here decodes.
  const std::string out = dir.file("c64.mkv");
  const auto r =
      test::run_command("ffmpeg -nostdin -v error -f lavfi -i testsrc=s=320x200:d=1 -c:v a64multi '" + out + "'");
  if (r.exit_code != 0) GTEST_SKIP() << "this ffmpeg cannot write a64multi: " << r.err;
  expect_failure(out, "unsupported codec");
  const Status s = decode_all(out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("no decoder for codec"), std::string::npos) << s.to_string();
}

// ------------------------------------------------------------------ fast pixels

TEST(VideoDecoder, LimitedRangeTableStretches16To235OntoTheFullRange) {
  const std::array<uint8_t, 256>& t = limited_to_full_range_table();
  for (int y = 0; y <= 16; ++y) EXPECT_EQ(t[y], 0) << y;
  for (int y = 235; y < 256; ++y) EXPECT_EQ(t[y], 255) << y;
  EXPECT_EQ(t[126], 128);  // round(110 * 255 / 219) = round(128.08)
  for (int y = 0; y < 256; ++y) {
    EXPECT_EQ(t[y], static_cast<uint8_t>(std::clamp<long>(std::lround((y - 16) * 255.0 / 219.0), 0, 255))) << y;
    // The CPU path's vectorisable arithmetic gives the table's bytes (the GPU reads the table).
    EXPECT_EQ(expand_limited_range(static_cast<uint8_t>(y)), t[y]) << y;
    if (y > 0) EXPECT_GE(t[y], t[y - 1]);
  }
}

// Fast pixels: a grey view of the decoder's own luma plane (no copy) when the bytes are
// kept as stored, a remapped copy when limited range is expanded; the same frames, in the
// same order, at the same times as exact pixels.
TEST(VideoDecoder, FastPixelsAreTheDecodersLumaPlane) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "test-padded-dimensions");
  VideoDecoderOptions stored_options, expand_options, exact_options;
  stored_options.pixels = PixelPath::kFast;
  stored_options.fast_range = LumaRange::kAsStored;
  expand_options.pixels = PixelPath::kFast;
  expand_options.fast_range = LumaRange::kExpand;
  auto stored = VideoDecoder::open(path, stored_options);
  auto expand = VideoDecoder::open(path, expand_options);
  auto exact = VideoDecoder::open(path, exact_options);
  ASSERT_TRUE(stored.is_ok() && expand.is_ok() && exact.is_ok());
  const std::array<uint8_t, 256>& table = limited_to_full_range_table();
  DecodedFrame s, e, x;
  int64_t n = 0;
  while (true) {
    auto gs = (*stored)->next(s);
    auto ge = (*expand)->next(e);
    auto gx = (*exact)->next(x);
    ASSERT_TRUE(gs.is_ok() && ge.is_ok() && gx.is_ok());
    ASSERT_EQ(*gs, *gx);
    ASSERT_EQ(*ge, *gx);
    if (!*gx) break;
    EXPECT_EQ(s.index, x.index);
    EXPECT_EQ(e.index, x.index);
    EXPECT_DOUBLE_EQ(s.pts_seconds, x.pts_seconds);
    EXPECT_EQ(s.key_frame, x.key_frame);
    EXPECT_EQ(s.path, PixelPath::kFast);
    EXPECT_EQ(x.path, PixelPath::kExact);
    EXPECT_FALSE(s.on_device);
    const ImageView vs = s.view(), ve = e.view();
    EXPECT_EQ(vs.format, PixelFormat::kGray8);
    EXPECT_EQ(vs.width, 1080);
    EXPECT_EQ(vs.height, 1080);
    ASSERT_TRUE(s.decoded);
    EXPECT_EQ(vs.data, s.decoded->data[0]);  // the decoder's plane itself
    EXPECT_EQ(vs.stride, s.decoded->linesize[0]);
    EXPECT_FALSE(s.luma_remapped);
    EXPECT_TRUE(e.luma_remapped);  // yuv420p: limited range, stretched into e.luma
    EXPECT_EQ(ve.data, e.luma.data());
    EXPECT_EQ(ve.stride, 1080);
    if (n % 25 == 0) {
      for (int y = 0; y < vs.height; y += 7)
        for (int c = 0; c < vs.width; ++c)
          ASSERT_EQ(ve.data[y * ve.stride + c], table[vs.data[y * vs.stride + c]]) << "frame " << n << " row " << y;
    }
    ++n;
  }
  EXPECT_EQ(n, 150);
  EXPECT_EQ((*stored)->fast_frames(), 150);
  EXPECT_TRUE((*stored)->pixel_note().empty());
}

// Pixel formats: RGB has no luma plane (exact path, with a note); grey and yuvj* are full
// range (no stretch, the plane itself); more than 8 bits takes the exact path.
TEST(VideoDecoder, FastPixelsByPixelFormat) {
  if (!have_ffmpeg_cli()) GTEST_SKIP() << "ffmpeg CLI not available";
  TempDir dir;
  struct Case {
    const char* name;
    const char* codec;  // ffmpeg arguments
    bool fast;          // hashed from luma
    bool remapped;      // limited range stretched
  };
  const Case cases[] = {
      {"rgb.mkv", "-c:v png", false, false},
      {"gray.mkv", "-c:v ffv1 -pix_fmt gray", true, false},
      {"jpeg.mkv", "-c:v mjpeg -pix_fmt yuvj420p", true, false},
      {"yuv444.mkv", "-c:v ffv1 -pix_fmt yuv444p", true, true},
      {"p10.mkv", "-c:v ffv1 -pix_fmt yuv420p10le", false, false},
  };
  for (const Case& c : cases) {
    const std::string out = dir.file(c.name);
    const auto r = test::run_command(std::string("ffmpeg -nostdin -v error -f lavfi -i testsrc=s=64x48:d=0.5:r=10 ") +
                                     c.codec + " '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << c.name << ": " << r.err;
    VideoDecoderOptions fast;
    fast.pixels = PixelPath::kFast;
    auto f = VideoDecoder::open(out, fast);
    auto x = VideoDecoder::open(out);
    ASSERT_TRUE(f.is_ok() && x.is_ok()) << c.name;
    DecodedFrame a, b;
    int n = 0;
    while (true) {
      auto ga = (*f)->next(a);
      auto gb = (*x)->next(b);
      ASSERT_TRUE(ga.is_ok() && gb.is_ok()) << c.name;
      ASSERT_EQ(*ga, *gb) << c.name;
      if (!*ga) break;
      EXPECT_EQ(a.index, b.index) << c.name;
      EXPECT_EQ(a.path, c.fast ? PixelPath::kFast : PixelPath::kExact) << c.name;
      EXPECT_EQ(a.view().format, c.fast ? PixelFormat::kGray8 : PixelFormat::kRgb24) << c.name;
      EXPECT_EQ(a.luma_remapped, c.remapped) << c.name;
      if (c.fast && !c.remapped) {
        EXPECT_EQ(a.view().data, a.decoded->data[0]) << c.name;
      }
      if (!c.fast) {
        EXPECT_EQ(pixel_checksum(a), pixel_checksum(b)) << c.name << ": the exact path's pixels";
      }
      ++n;
    }
    EXPECT_EQ(n, 5) << c.name;
    EXPECT_EQ((*f)->fast_frames(), c.fast ? 5 : 0) << c.name;
    EXPECT_EQ((*f)->pixel_note().empty(), c.fast) << c.name << ": " << (*f)->pixel_note();
    if (!c.fast) std::cerr << "  [" << c.name << "] " << (*f)->pixel_note() << "\n";
  }
}

// Hardware decoding is set up at open, or refused with kUnavailable naming why (here: no
// GPU, no driver); it needs fast pixels.
TEST(VideoDecoder, HardwareDecodingIsSetUpOrRefusedWithAReason) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string path = video_path(corpus, "pattern-sd-grey-bar");
  VideoDecoderOptions options;
  options.hardware = HardwareDecode::kCuda;
  auto exact = VideoDecoder::open(path, options);
  ASSERT_FALSE(exact.is_ok());
  EXPECT_EQ(exact.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(exact.status().message().find("fast pixels"), std::string::npos) << exact.status().to_string();

  options.pixels = PixelPath::kFast;
  auto dec = VideoDecoder::open(path, options);
  if (dec.is_ok()) {  // a machine with NVDEC (tests/kernels/video_gpu_test.cpp checks the pixels)
    EXPECT_TRUE((*dec)->hardware_active());
    EXPECT_NE((*dec)->cuda_context(), nullptr);
    return;
  }
  EXPECT_EQ(dec.status().code(), StatusCode::kUnavailable) << dec.status().to_string();
  EXPECT_NE(dec.status().message().find("GPU decoding"), std::string::npos) << dec.status().to_string();
  EXPECT_NE(dec.status().to_string().find(path), std::string::npos) << dec.status().to_string();
  std::cerr << "  [no GPU] " << dec.status().to_string() << "\n";
}

}  // namespace
}  // namespace vhm
