// Shared by the vhm serve suites: a temporary bank of corpus videos (made with the
// CLI, as an operator would) and a `vhm serve` on it (the built binary, --port 0).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "serve/serve_process.h"
#include "support/test_support.h"

namespace vhm::test {

inline std::string sample_videos(const std::string& corpus) { return corpus + "/threatexchange/tmk/sample-videos"; }

// A fresh bank in the temp dir holding doorknob-hd-no-bar.mp4 as `external_id`.
// Empty (with a test failure recorded) when the CLI fails.
inline std::string make_doorknob_bank(const std::string& corpus, const std::string& tag,
                                      const std::string& external_id = "te:doorknob") {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("vhm_serve_" + tag + "_" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  const auto created = run_vhm("bank create " + dir);
  EXPECT_EQ(created.exit_code, 0) << created.err;
  const auto added =
      run_vhm("bank add " + dir + " " + sample_videos(corpus) + "/doorknob-hd-no-bar.mp4 --external-id " + external_id);
  EXPECT_EQ(added.exit_code, 0) << added.err;
  return created.exit_code == 0 && added.exit_code == 0 ? dir : std::string();
}

// `vhm serve --bank BANK --port 0 ARGS...`, waited for until it listens; null (with a
// test failure recorded, quoting its output) when it does not.
inline std::unique_ptr<serve::ServeProcess> start_serve(const std::string& bank, std::vector<std::string> args = {}) {
  std::vector<std::string> all{"serve", "--bank", bank, "--port", "0"};
  all.insert(all.end(), args.begin(), args.end());
  auto p = serve::ServeProcess::start(VHM_BINARY, all);
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return p ? std::move(p).value() : nullptr;
}

}  // namespace vhm::test
