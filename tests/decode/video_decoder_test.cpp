// VideoDecoder on the shared corpus and on broken inputs the tests make themselves.
#include <gtest/gtest.h>

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
  small.max_side = 100;
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
  const auto r = test::run_command("ffmpeg -nostdin -v error -f lavfi -i testsrc=s=320x200:d=1 -c:v a64multi '" +
                                   out + "'");
  if (r.exit_code != 0) GTEST_SKIP() << "this ffmpeg cannot write a64multi: " << r.err;
  expect_failure(out, "unsupported codec");
  const Status s = decode_all(out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("no decoder for codec"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace vhm
