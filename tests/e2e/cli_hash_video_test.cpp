// End to end: `vhm hash` on videos as a batch job runs it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string l; std::getline(s, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("vhm_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string videos_dir(const std::string& corpus) { return corpus + "/threatexchange/tmk/sample-videos"; }

TEST(CliHashVideo, VpdqFilesEqualReferenceForEveryCorpusVideo) {
  VHM_REQUIRE_CORPUS(corpus);
  for (const char* mode : {"every-frame", "one-per-second"}) {
    TempDir out;
    const std::string sample = std::string(mode) == "every-frame" ? "every-frame" : "1s";
    const auto r = test::run_vhm("hash --format vpdq --jobs 2 --sample " + sample + " --out-dir " + out.str() + " " +
                                 videos_dir(corpus));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    int compared = 0;
    for (const auto& entry : fs::directory_iterator(videos_dir(corpus))) {
      const std::string name = entry.path().stem().string();
      const std::string expected =
          test::read_text_file(corpus + "/threatexchange/vpdq/reference-debian12/" + mode + "/" + name + ".txt");
      EXPECT_EQ(test::read_text_file(out.file(name + ".txt")), expected) << mode << " " << name;
      ++compared;
    }
    EXPECT_EQ(compared, 14);
  }
}

TEST(CliHashVideo, StdinBytesManifestAndDirectoryGiveTheSameHashes) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string video = videos_dir(corpus) + "/pattern-sd-grey-bar.mp4";
  const std::string expected =
      test::read_text_file(corpus + "/threatexchange/vpdq/reference-debian12/every-frame/pattern-sd-grey-bar.txt");
  // Video bytes on stdin: hashed without a temporary file.
  const auto piped = test::run_command("cat " + video + " | " + VHM_BINARY + " hash --format vpdq pipe:0");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, expected);
  TempDir dir;
  std::ofstream(dir.file("list.txt")) << "# uploads\n\n" << video << "\n";
  const auto listed = test::run_vhm("hash --format vpdq @" + dir.file("list.txt"));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, expected);
}

TEST(CliHashVideo, JsonLinesCarryStreamFactsMd5AndFrames) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string video = videos_dir(corpus) + "/chair-19-sd-bar.mp4";
  const auto r = test::run_vhm("hash --format jsonl --sample 1s " + video);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["path"], video);
  EXPECT_EQ(j["type"], "video");
  EXPECT_EQ(j["codec"], "h264");
  EXPECT_GT(j["width"].get<int>(), 0);
  EXPECT_GT(j["fps"].get<double>(), 0);
  EXPECT_GT(j["duration_s"].get<double>(), 0);
  EXPECT_GE(j["frames_decoded"].get<int>(), j["frames_hashed"].get<int>());
  const auto md5 = test::run_command("md5sum " + video);
  EXPECT_EQ(j["md5"], md5.out.substr(0, 32));
  const auto reference = lines_of(
      test::read_text_file(corpus + "/threatexchange/vpdq/reference-debian12/one-per-second/chair-19-sd-bar.txt"));
  ASSERT_EQ(j["frames"].size(), reference.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    const auto& f = j["frames"][i];
    EXPECT_EQ(reference[i].substr(0, reference[i].rfind(',')), std::to_string(f["frame"].get<int>()) + "," +
                                                                   std::to_string(f["quality"].get<int>()) + "," +
                                                                   f["pdq"].get<std::string>());
    EXPECT_NEAR(f["pts"].get<double>(), std::stod(reference[i].substr(reference[i].rfind(',') + 1)), 0.0015);
  }
}

TEST(CliHashVideo, BadInputsFailAloneNamedWithTheirReason) {
  VHM_REQUIRE_CORPUS(corpus);
  TempDir dir;
  const std::string good = videos_dir(corpus) + "/chair-19-sd-bar.mp4";
  std::ofstream(dir.file("zero.mp4")).close();
  {
    std::ofstream random(dir.file("random.mp4"), std::ios::binary);
    for (int i = 0; i < 20000; ++i) random.put(static_cast<char>((i * 2654435761u) >> 11));
  }
  const std::string bytes = test::read_text_file(good);
  std::ofstream(dir.file("truncated.mp4"), std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  fs::copy_file(corpus + "/threatexchange/pdq/data/misc-images/modes/L.png", dir.file("picture.mp4"));
  // A raw-video header promising a 40000x40000 picture.
  std::ofstream(dir.file("huge.y4m"), std::ios::binary) << "YUV4MPEG2 W40000 H40000 F30:1 C420jpeg\nFRAME\n"
                                                        << std::string(4096, 'x');
  std::vector<std::string> bad = {dir.file("zero.mp4"),    dir.file("random.mp4"), dir.file("truncated.mp4"),
                                  dir.file("picture.mp4"), dir.file("huge.y4m"),   dir.file("missing.mp4")};
  const bool have_ffmpeg =
      test::run_command("ffmpeg -nostdin -v error -f lavfi -i sine=d=1 " + dir.file("audio.m4a")).exit_code == 0;
  if (have_ffmpeg) bad.push_back(dir.file("audio.m4a"));
  std::string args;
  for (const auto& b : bad) args += " " + b;
  const auto r = test::run_vhm("hash --format jsonl" + args + " " + good);
  EXPECT_EQ(r.exit_code, 1);
  const auto out = lines_of(r.out);
  ASSERT_EQ(out.size(), bad.size() + 1);
  for (size_t i = 0; i < bad.size(); ++i) {
    const auto j = nlohmann::json::parse(out[i]);
    EXPECT_EQ(j["path"], bad[i]);
    ASSERT_TRUE(j.contains("error")) << bad[i];
    EXPECT_FALSE(j["error"].get<std::string>().empty());
    EXPECT_NE(r.err.find(bad[i]), std::string::npos) << "stderr does not name " << bad[i];
  }
  const auto last = nlohmann::json::parse(out.back());
  EXPECT_FALSE(last.contains("error")) << last.dump();
  EXPECT_GT(last["frames"].size(), 100u);
  // The reasons say what is wrong, not just that something is.
  EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a video"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("40000x40000"), std::string::npos) << "the absurd size is named: " << r.err;
  if (have_ffmpeg) EXPECT_NE(r.err.find("no video stream"), std::string::npos) << r.err;
}

TEST(CliHashVideo, ShardsSplitTheInputsDeterministically) {
  VHM_REQUIRE_CORPUS(corpus);
  std::multiset<std::string> seen;
  for (int k = 0; k < 3; ++k) {
    const auto r = test::run_vhm("hash --format jsonl --sample keyframes --shard " + std::to_string(k) + "/3 " +
                                 videos_dir(corpus));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& l : lines_of(r.out)) seen.insert(nlohmann::json::parse(l)["path"].get<std::string>());
    const auto again = test::run_vhm("hash --format jsonl --sample keyframes --shard " + std::to_string(k) + "/3 " +
                                     videos_dir(corpus));
    std::vector<std::string> a, b;
    for (const auto& l : lines_of(r.out)) a.push_back(nlohmann::json::parse(l)["path"]);
    for (const auto& l : lines_of(again.out)) b.push_back(nlohmann::json::parse(l)["path"]);
    EXPECT_EQ(a, b);
  }
  EXPECT_EQ(seen.size(), 14u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 14u) << "an input landed in two shards";
}

TEST(CliHashVideo, CsvLinesPerFrameAndNoProgressWhenPiped) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string video = videos_dir(corpus) + "/test-padded-dimensions.mp4";
  const auto r = test::run_vhm("hash --sample 1s " + video);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  for (const auto& l : lines) {
    EXPECT_EQ(std::count(l.begin(), l.end(), ','), 4) << l;
    EXPECT_NE(l.find(video), std::string::npos);
  }
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "progress drawn to a pipe";
}

}  // namespace
}  // namespace vhm
