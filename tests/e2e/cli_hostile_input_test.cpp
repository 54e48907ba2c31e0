// End to end: the batch CLI (`vhm hash`, `vhm match`) on the hostile inputs that used
// to abort it, hang it or make it read outside the input. Each fails alone, named, with
// exit 1; the rest of the batch is hashed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("vhm_e2e_hostile_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string photo(const std::string& corpus) { return corpus + "/threatexchange/pdq/data/bridge-mods/aaa-orig.jpg"; }

// The corpus JPEG with its frame header claiming 65500 x 65500.
std::string jpeg_bomb(const std::string& corpus) {
  std::string jpeg = test::read_text_file(photo(corpus));
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    const auto b = static_cast<uint8_t>(jpeg[i + 1]);
    if (static_cast<uint8_t>(jpeg[i]) == 0xFF && (b == 0xC0 || b == 0xC1 || b == 0xC2)) {
      for (size_t k : {i + 5, i + 7}) {
        jpeg[k] = static_cast<char>(0xFF);
        jpeg[k + 1] = static_cast<char>(0xDC);
      }
      break;
    }
  }
  return jpeg;
}

// Under a 4 GB address-space limit, a bomb among good images lost the whole batch
// (abort on bad_alloc). Now it is refused from its header and the batch goes on.
TEST(CliHostileInput, AnImageBombFailsAloneUnderAMemoryLimit) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  write_file(dir.file("bomb.jpg"), jpeg_bomb(corpus));
  fs::copy_file(photo(corpus), dir.file("good.jpg"));
#if defined(__SANITIZE_ADDRESS__)
  const std::string limit;  // ASan reserves far more address space than any limit allows
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  const std::string limit;
#else
  const std::string limit = "ulimit -v 4000000; ";
#endif
#else
  const std::string limit = "ulimit -v 4000000; ";
#endif
  const auto r = test::run_command(limit + VHM_BINARY + std::string(" hash --format jsonl ") + dir.file("bomb.jpg") +
                                   " " + dir.file("good.jpg"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto lines = test::json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out << r.err;
  EXPECT_EQ(lines[0]["code"], "limit exceeded") << lines[0].dump();
  EXPECT_NE(lines[0]["error"].get<std::string>().find("65500x65500"), std::string::npos) << lines[0].dump();
  EXPECT_FALSE(lines[1].contains("error")) << lines[1].dump();
  EXPECT_TRUE(lines[1].contains("pdq")) << lines[1].dump();
}

// A file name that is not UTF-8 aborted `vhm hash --format jsonl`: it is written with
// the bytes replaced (U+FFFD), and the file is hashed.
TEST(CliHostileInput, NonUtf8FileNamesAreWrittenAsValidJson) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  const std::string name = dir.file("caf\xe9.jpg");
  fs::copy_file(photo(corpus), name);
  const auto r = test::run_vhm("hash --format jsonl '" + name + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto lines = test::json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["path"], dir.file("caf\xEF\xBF\xBD.jpg"));
  EXPECT_TRUE(lines[0].contains("pdq")) << lines[0].dump();
}

// FIFOs and devices named as inputs or manifests blocked `vhm hash` forever, and
// /dev/urandom never ended: each is refused unread, named, and the batch goes on.
TEST(CliHostileInput, FifosAndDevicesAreRefusedUnread) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  const std::string fifo = dir.file("upload.mp4");
  const std::string fifo_image = dir.file("upload.jpg");
  const std::string fifo_list = dir.file("list.txt");
  for (const std::string& f : {fifo, fifo_image, fifo_list}) ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0);
  // timeout(1) ends the command should anything block: the test then fails on the code.
  const auto r = test::run_command("timeout 60 " + std::string(VHM_BINARY) + " hash --format jsonl " + fifo + " " +
                                   fifo_image + " /dev/urandom /dev/zero " + photo(corpus));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto lines = test::json_lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out << r.err;
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(lines[i].contains("error")) << lines[i].dump();
  EXPECT_NE(lines[0]["error"].get<std::string>().find("FIFO"), std::string::npos) << lines[0].dump();
  EXPECT_NE(lines[2]["error"].get<std::string>().find("character device"), std::string::npos) << lines[2].dump();
  EXPECT_FALSE(lines[4].contains("error")) << lines[4].dump();

  const auto m = test::run_command("timeout 60 " + std::string(VHM_BINARY) + " hash @" + fifo_list);
  EXPECT_EQ(m.exit_code, 1) << m.err;
  EXPECT_NE(m.err.find("FIFO"), std::string::npos) << m.err;
}

// A local file that is a playlist or a concat list: the CLI reads it as the container
// it claims to be, never the files or URLs it names.
TEST(CliHostileInput, PlaylistFilesAreNotFollowed) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  const std::string video = corpus + "/threatexchange/tmk/sample-videos/doorknob-hd-no-bar.mp4";
  write_file(dir.file("list.mp4"), "ffconcat version 1.0\nfile '" + video + "'\n");
  write_file(dir.file("play.m3u8"),
             "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:" + video + "\n#EXT-X-ENDLIST\n");
  const auto r = test::run_vhm("hash --format jsonl " + dir.file("list.mp4") + " " + dir.file("play.m3u8"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto lines = test::json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (const auto& l : lines) {
    EXPECT_TRUE(l.contains("error")) << l.dump();
    EXPECT_FALSE(l.contains("frames")) << l.dump();
    EXPECT_NE(l["error"].get<std::string>().find("own bytes"), std::string::npos) << l.dump();
  }
}

// A bad y4m size said "Device or resource busy" (FFmpeg's code for it); the reason is
// now FFmpeg's own words.
TEST(CliHostileInput, InvalidY4mSizesSayWhy) {
  TempDir dir;
  write_file(dir.file("zero.y4m"), "YUV4MPEG2 W0 H0 F25:1 C420jpeg\nFRAME\nabc");
  const auto r = test::run_vhm("hash --format jsonl " + dir.file("zero.y4m"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("Device or resource busy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Picture size 0x0 is invalid"), std::string::npos) << r.err;
}

// Limits are flags: a lower --max-pixels refuses an ordinary video, naming the flag.
TEST(CliHostileInput, LimitsAreFlags) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string video = corpus + "/threatexchange/tmk/sample-videos/doorknob-hd-no-bar.mp4";
  auto r = test::run_vhm("hash --format jsonl --max-pixels 1000 " + video);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--max-pixels"), std::string::npos) << r.err;
  r = test::run_vhm("hash --format jsonl --max-input-mb 0.1 " + video);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--max-input-mb"), std::string::npos) << r.err;
  r = test::run_vhm("hash --allow-protocols none " + video);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = test::run_vhm("hash --allow-protocols gopher " + video);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("gopher"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vhm
