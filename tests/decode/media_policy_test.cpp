// What an input may make vhm read, and how much it may take (decode/media_policy.h):
// the repros of hostile inputs, as test inputs.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "decode/image_decoder.h"
#include "decode/media_policy.h"
#include "decode/video_decoder.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("vhm_media_policy_test_" + std::to_string(rd()) + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string sample_video(const std::string& corpus) {
  return corpus + "/threatexchange/tmk/sample-videos/doorknob-hd-no-bar.mp4";
}

// Decodes every frame; the status of the first failure (open or next), else OK.
Status decode_all(Result<std::unique_ptr<VideoDecoder>> opened, int64_t* frames = nullptr) {
  if (!opened) return opened.status();
  DecodedFrame f;
  int64_t n = 0;
  while (true) {
    auto got = (*opened)->next(f);
    if (!got) return got.status();
    if (!*got) break;
    ++n;
  }
  if (frames) *frames = n;
  return Status::ok();
}

int64_t max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(MediaPolicy, LocatesInputsAndAppliesTheAccessRules) {
  MediaAccess all;
  auto f = locate_media("dir/clip.mp4", all);
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(f->protocol, MediaProtocol::kFile);
  EXPECT_EQ(f->path, "dir/clip.mp4");
  EXPECT_EQ(locate_media("file:/a/b.mp4", all)->path, "/a/b.mp4");
  EXPECT_EQ(locate_media("-", all)->protocol, MediaProtocol::kPipe);
  EXPECT_EQ(locate_media("pipe:0", all)->protocol, MediaProtocol::kPipe);
  EXPECT_EQ(locate_media("https://x/y.mp4", all)->protocol, MediaProtocol::kHttps);
  // Protocols FFmpeg has and vhm does not read: never handed on.
  for (const char* url :
       {"concat:a.mp4|b.mp4", "subfile:,start,0,end,10,:/etc/passwd", "data:,hello", "tcp://h:1", "rtmp://h/app"}) {
    auto r = locate_media(url, all);
    ASSERT_FALSE(r.is_ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << url;
  }
  const MediaAccess none = MediaAccess::memory_only();
  for (const char* url : {"clip.mp4", "-", "http://x/y.mp4"}) {
    auto r = locate_media(url, none);
    ASSERT_FALSE(r.is_ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << url;
    EXPECT_NE(r.status().message().find("are off here"), std::string::npos) << r.status().to_string();
  }
  MediaAccess files_only;
  files_only.protocols = {MediaProtocol::kFile};
  EXPECT_TRUE(locate_media("clip.mp4", files_only).is_ok());
  for (const char* url : {"-", "http://x/y.mp4", "https://x/y.mp4"}) {
    auto r = locate_media(url, files_only);
    ASSERT_FALSE(r.is_ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << url;
    EXPECT_NE(r.status().message().find("not allowed"), std::string::npos) << r.status().to_string();
  }

  auto parsed = parse_media_protocols("file,https");
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_EQ(media_protocols_text(*parsed), "file,https");
  EXPECT_TRUE(parse_media_protocols("none")->empty());
  auto bad = parse_media_protocols("file,gopher");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("gopher"), std::string::npos);
}

TEST(MediaPolicy, LocalFilesMustLieInsideTheRoots) {
  TempDir dir;
  fs::create_directories(dir.path / "allowed");
  fs::create_directories(dir.path / "other");
  write_file(dir.file("allowed/a.mp4"), "x");
  write_file(dir.file("other/b.mp4"), "x");
  fs::create_symlink(dir.path / "other" / "b.mp4", dir.path / "allowed" / "link.mp4");
  MediaAccess access;
  access.roots = {dir.file("allowed")};
  EXPECT_TRUE(locate_media(dir.file("allowed/a.mp4"), access).is_ok());
  for (const std::string& p : {dir.file("other/b.mp4"), dir.file("allowed/link.mp4"),
                               dir.file("allowed/../other/b.mp4"), dir.file("allowed-not/x.mp4")}) {
    auto r = locate_media(p, access);
    ASSERT_FALSE(r.is_ok()) << p;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << p;
    EXPECT_NE(r.status().message().find("--allow-paths"), std::string::npos) << r.status().to_string();
  }
}

TEST(MediaPolicy, OnlyRegularFilesAreOpenedAndNothingBlocks) {
  TempDir dir;
  const std::string fifo = dir.file("fifo.mp4");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::string path;
    const char* what;
  };
  for (const Case& c : {Case{fifo, "FIFO"}, Case{"/dev/zero", "character device"},
                        Case{"/dev/urandom", "character device"}, Case{dir.path.string(), "directory"}}) {
    // Videos, images, and the plain file check all refuse it without reading (a FIFO
    // with no writer would block forever here: the test would hang, not pass).
    auto opened = open_regular_file(c.path, 0);
    ASSERT_FALSE(opened.is_ok()) << c.path;
    EXPECT_NE(opened.status().message().find(c.what), std::string::npos) << opened.status().to_string();
    auto video = VideoDecoder::open(c.path);
    ASSERT_FALSE(video.is_ok()) << c.path;
    EXPECT_NE(video.status().message().find(c.what), std::string::npos) << video.status().to_string();
    EXPECT_EQ(video.status().subject(), c.path);
    auto image = decode_image_file(c.path);
    ASSERT_FALSE(image.is_ok()) << c.path;
    EXPECT_NE(image.status().message().find(c.what), std::string::npos) << image.status().to_string();
  }
  // A bounded file larger than its bound is refused unread.
  write_file(dir.file("big.jpg"), std::string(5000, 'x'));
  auto big = open_regular_file(dir.file("big.jpg"), 4096);
  ASSERT_FALSE(big.is_ok());
  EXPECT_EQ(big.status().code(), StatusCode::kLimitExceeded);
  MediaPolicy small;
  small.limits.max_image_bytes = 4096;
  auto image = decode_image_file(dir.file("big.jpg"), small);
  ASSERT_FALSE(image.is_ok());
  EXPECT_EQ(image.status().code(), StatusCode::kLimitExceeded);
}

// An upload that is a playlist or a concat list names other files: vhm must not read
// them, from memory or from a path, and must say why.
TEST(MediaPolicy, PlaylistsAndConcatListsAreNotFollowed) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  const std::string video = sample_video(corpus);
  // Copied next to the lists, so that a relative entry would resolve too.
  fs::copy_file(video, dir.path / "v.mp4");
  const std::vector<std::pair<std::string, std::string>> lists = {
      {"hls-master", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://127.0.0.1:9/v.m3u8\n"},
      {"hls-file", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:" + video + "\n#EXT-X-ENDLIST\n"},
      {"ffconcat", "ffconcat version 1.0\nfile v.mp4\n"},
      {"ffconcat-abs", "ffconcat version 1.0\nfile '" + video + "'\n"},
      {"ffconcat-bad-utf8", "ffconcat version 1.0\nfile \xff\xfe.mp4\n"},
  };
  for (const auto& [name, text] : lists) {
    const Status from_memory = decode_all(VideoDecoder::open_memory(as_bytes(text), name));
    ASSERT_FALSE(from_memory.is_ok()) << name;
    EXPECT_EQ(from_memory.code(), StatusCode::kUnsupported) << name << ": " << from_memory.to_string();
    EXPECT_NE(from_memory.message().find("own bytes"), std::string::npos) << from_memory.to_string();
    const std::string path = dir.file(name + ".mp4");
    write_file(path, text);
    const Status from_path = decode_all(VideoDecoder::open(path));
    ASSERT_FALSE(from_path.is_ok()) << name;
    EXPECT_EQ(from_path.code(), StatusCode::kUnsupported) << name << ": " << from_path.to_string();
  }
  // The sample itself still decodes from memory and from its path.
  int64_t frames = 0;
  const std::string bytes = read_file(video);
  EXPECT_TRUE(decode_all(VideoDecoder::open_memory(as_bytes(bytes), "v"), &frames).is_ok());
  EXPECT_GT(frames, 0);
  EXPECT_TRUE(decode_all(VideoDecoder::open(dir.file("v.mp4"))).is_ok());
}

TEST(MediaPolicy, PathInputsFollowTheAccessPolicy) {
  VHM_REQUIRE_CORPUS(corpus);
  VideoDecoderOptions memory_only;
  memory_only.media.access = MediaAccess::memory_only();
  auto r = VideoDecoder::open(sample_video(corpus), memory_only);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  VideoDecoderOptions rooted;
  rooted.media.access.roots = {fs::temp_directory_path().string()};
  r = VideoDecoder::open(sample_video(corpus), rooted);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  rooted.media.access.roots = {corpus};
  EXPECT_TRUE(VideoDecoder::open(sample_video(corpus), rooted).is_ok());
}

TEST(MediaPolicy, VideoBudgetsEndTheInputWithATypedError) {
  VHM_REQUIRE_CORPUS(corpus);
  VideoDecoderOptions few_bytes;
  few_bytes.media.limits.max_input_bytes = 100000;  // the sample is ~700 KB
  Status s = decode_all(VideoDecoder::open(sample_video(corpus), few_bytes));
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.to_string();
  EXPECT_NE(s.message().find("--max-input-mb"), std::string::npos) << s.to_string();

  VideoDecoderOptions no_time;
  no_time.media.limits.max_seconds = 1e-9;
  const std::string bytes = read_file(sample_video(corpus));
  s = decode_all(VideoDecoder::open_memory(as_bytes(bytes), "upload", no_time));
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.to_string();
  EXPECT_NE(s.message().find("--max-input-seconds"), std::string::npos) << s.to_string();

  VideoDecoderOptions few_pixels;
  few_pixels.media.limits.max_pixels = 320 * 240;  // the sample is 1280x720
  s = decode_all(VideoDecoder::open(sample_video(corpus), few_pixels));
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.to_string();
  EXPECT_NE(s.message().find("1280x720"), std::string::npos) << s.to_string();
}

// The JPEG of the corpus with its frame header claiming 65500 x 65500: 342 bytes of
// header made a 6 GB allocation before the limit.
std::string jpeg_bomb(const std::string& corpus) {
  std::string jpeg = read_file(corpus + "/threatexchange/pdq/data/bridge-mods/aaa-orig.jpg");
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    const auto b = static_cast<uint8_t>(jpeg[i + 1]);
    if (static_cast<uint8_t>(jpeg[i]) == 0xFF && (b == 0xC0 || b == 0xC1 || b == 0xC2)) {
      for (size_t k : {i + 5, i + 7}) {  // height, then width, big-endian
        jpeg[k] = static_cast<char>(0xFF);
        jpeg[k + 1] = static_cast<char>(0xDC);
      }
      return jpeg;
    }
  }
  return {};
}

uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (const char ch : bytes) {
    c ^= static_cast<uint8_t>(ch);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A PNG whose header says 20000 x 20000 (400 Mpx) and whose data is a few bytes.
std::string png_bomb() {
  const std::string ihdr_body = "IHDR" + be32(20000) + be32(20000) + std::string("\x08\x02\x00\x00\x00", 5);
  const std::string idat_body = std::string("IDAT") + std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
  auto chunk = [](const std::string& body) {
    return be32(static_cast<uint32_t>(body.size() - 4)) + body + be32(crc32(body));
  };
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk(ihdr_body) + chunk(idat_body) + chunk("IEND");
}

// A 35-byte GIF whose logical screen is 16000 x 16000 (1.76 GB once allocated).
std::string gif_bomb() {
  return std::string(
      "GIF89a\x80\x3e\x80\x3e\x00\x00\x00"
      "\x2c\x00\x00\x00\x00\x80\x3e\x80\x3e\x00"
      "\x02\x02\x44\x01\x00\x3b",
      26);
}

TEST(MediaPolicy, ImageBombsAreRefusedBeforeAllocation) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string jpeg = jpeg_bomb(corpus);
  ASSERT_FALSE(jpeg.empty()) << "no frame header in the sample JPEG";
  const int64_t rss_before = max_rss_kib();
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"bomb.jpg", jpeg}, {"bomb.png", png_bomb()}, {"bomb.gif", gif_bomb()}}) {
    auto r = decode_image(as_bytes(bytes), name);
    ASSERT_FALSE(r.is_ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::kLimitExceeded) << r.status().to_string();
    EXPECT_NE(r.status().message().find("--max-pixels"), std::string::npos) << r.status().to_string();
    EXPECT_EQ(r.status().subject(), name);
  }
  // Nothing near the pictures' size was ever allocated (each would be >= 1 GB).
  EXPECT_LT(max_rss_kib() - rss_before, 512 * 1024);
  // The same limit, lowered, refuses an ordinary photo; raised, the bomb's header is
  // read past and the JPEG fails as the truncated data it is.
  MediaLimits tiny;
  tiny.max_pixels = 100;
  auto ordinary = decode_image_file(corpus + "/threatexchange/pdq/data/bridge-mods/aaa-orig.jpg");
  ASSERT_TRUE(ordinary.is_ok());
  const std::string photo = read_file(corpus + "/threatexchange/pdq/data/bridge-mods/aaa-orig.jpg");
  auto refused = decode_image(as_bytes(photo), "photo.jpg", tiny);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kLimitExceeded);
}

TEST(MediaPolicy, DemuxerAllowList) {
  EXPECT_TRUE(demuxer_allowed("mov,mp4,m4a,3gp,3g2,mj2", kVideoDemuxers));
  EXPECT_TRUE(demuxer_allowed("matroska,webm", kVideoDemuxers));
  EXPECT_TRUE(demuxer_allowed("yuv4mpegpipe", kVideoDemuxers));
  for (const char* refused : {"hls", "concat", "image2", "dash", "lavfi", "sdp", "rtsp", "imf", "video4linux2,v4l2",
                              "ffmetadata", "png_pipe"})
    EXPECT_FALSE(demuxer_allowed(refused, kVideoDemuxers)) << refused;
  EXPECT_TRUE(demuxer_allowed("png_pipe", kImageDemuxers));
  EXPECT_FALSE(demuxer_allowed("svg_pipe", kImageDemuxers));
  EXPECT_FALSE(demuxer_allowed("image2", kImageDemuxers));
}

}  // namespace
}  // namespace vhm
