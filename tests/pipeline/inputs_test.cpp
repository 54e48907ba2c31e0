#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "pipeline/inputs.h"
#include "pipeline/ordered_pool.h"
#include "pipeline/progress.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

class InputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("vhm_inputs_" + std::to_string(::getpid()));
    fs::create_directories(root_ / "b" / "deep");
    for (const char* f : {"z.mp4", "a.MOV", "b/deep/c.webm", "b/photo.JPG", "b/notes.txt", "b/x.png"})
      std::ofstream(root_ / f) << "x";
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string p(const std::string& rel) const { return (root_ / rel).string(); }
  fs::path root_;
};

TEST_F(InputsTest, DirectoriesAreRecursiveSortedAndFilteredByExtension) {
  std::istringstream none;
  auto r = expand_inputs({root_.string()}, {}, none);
  ASSERT_TRUE(r.is_ok());
  std::vector<std::string> urls;
  for (const auto& in : *r) urls.push_back(in.url);
  EXPECT_EQ(urls,
            (std::vector<std::string>{p("a.MOV"), p("b/deep/c.webm"), p("b/photo.JPG"), p("b/x.png"), p("z.mp4")}));
  EXPECT_EQ((*r)[1].kind, InputKind::kVideo);
  EXPECT_EQ((*r)[2].kind, InputKind::kImage);
  EXPECT_EQ((*r)[1].out_name, "b/deep/c");  // output files mirror the tree
}

TEST_F(InputsTest, ManifestsStdinNamesAndUrls) {
  std::ofstream(p("list.txt")) << "# comment\n\n  " << p("z.mp4") << "  \r\n"
                               << p("b") << "\nhttp://example.invalid/v.mp4\n";
  std::istringstream names(p("a.MOV") + "\n");
  auto r = expand_inputs({"@" + p("list.txt"), "-", "pipe:0", p("nonexistent.mp4")}, {}, names);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  std::vector<std::string> urls;
  for (const auto& in : *r) urls.push_back(in.url);
  EXPECT_EQ(urls,
            (std::vector<std::string>{p("z.mp4"), p("b/deep/c.webm"), p("b/photo.JPG"), p("b/x.png"),
                                      "http://example.invalid/v.mp4", p("a.MOV"), "pipe:0", p("nonexistent.mp4")}));
  EXPECT_TRUE(is_url("pipe:0"));
  EXPECT_TRUE(is_url("https://x/y.mp4"));
  EXPECT_FALSE(is_url("dir/file.mp4"));
  auto missing = expand_inputs({"@" + p("no-such-list.txt")}, {}, names);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().to_string().find("no-such-list.txt"), std::string::npos);
}

TEST(Shard, ParsesAndPartitions) {
  EXPECT_TRUE(parse_shard("0/1").is_ok());
  EXPECT_EQ(parse_shard("3/8")->index, 3);
  for (const char* bad : {"", "8/8", "-1/4", "1/0", "a/b", "1/2/3", "1", "1/2x"})
    EXPECT_FALSE(parse_shard(bad).is_ok()) << bad;
  std::vector<Input> inputs;
  for (int i = 0; i < 1000; ++i) inputs.push_back({"video-" + std::to_string(i) + ".mp4", InputKind::kVideo, ""});
  std::multiset<std::string> seen;
  for (int k = 0; k < 7; ++k) {
    const auto part = select_shard(inputs, {k, 7});
    EXPECT_GT(part.size(), 100u);  // roughly 1000/7 each
    EXPECT_LT(part.size(), 190u);
    for (const auto& in : part) seen.insert(in.url);
    // Membership depends on the name only, not on the rest of the list.
    const std::vector<Input> first_half(inputs.begin(), inputs.begin() + 500);
    for (const auto& in : select_shard(first_half, {k, 7}))
      EXPECT_TRUE(std::find_if(part.begin(), part.end(), [&](const Input& x) { return x.url == in.url; }) !=
                  part.end());
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1000u);
}

TEST(OrderedPool, ResultsComeBackInOrderWithBoundedLookahead) {
  std::atomic<int> running{0}, max_running{0};
  std::atomic<size_t> max_taken{0};
  std::vector<size_t> emitted;
  std::atomic<size_t> emitted_count{0};
  std::atomic<size_t> ahead{0};
  run_ordered<size_t>(
      200, 4,
      [&](size_t i) {
        const int now = ++running;
        for (int m = max_running; now > m && !max_running.compare_exchange_weak(m, now);) {
        }
        const size_t done = emitted_count;
        ahead = std::max<size_t>(ahead, i - std::min(i, done));
        std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 500));
        --running;
        return i * i;
      },
      [&](size_t i, size_t v) {
        EXPECT_EQ(v, i * i);
        emitted.push_back(i);
        emitted_count = emitted.size();
      });
  ASSERT_EQ(emitted.size(), 200u);
  for (size_t i = 0; i < emitted.size(); ++i) EXPECT_EQ(emitted[i], i);
  EXPECT_LE(max_running.load(), 4);
  EXPECT_LE(ahead.load(), 8u + 1u);  // window = 2 * jobs
}

TEST(Progress, FormatsDurationsAndStaysSilentOffTerminal) {
  EXPECT_EQ(format_duration(5), "5s");
  EXPECT_EQ(format_duration(125), "2m05s");
  EXPECT_EQ(format_duration(3 * 3600 + 120), "3h02m");
  EXPECT_EQ(format_duration(-1), "?");
  ProgressLine line(10, true);  // stderr is not a terminal under ctest
  if (!::isatty(2)) EXPECT_FALSE(line.enabled());
}

}  // namespace
}  // namespace vhm
