#include "fuzz/target_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/log.h>
}

namespace vhm::fuzz {
namespace fs = std::filesystem;

namespace {

std::string* g_scratch = nullptr;

void remove_scratch() {
  if (!g_scratch) return;
  std::error_code ec;
  fs::remove_all(*g_scratch, ec);
}

}  // namespace

const std::string& scratch_dir() {
  if (!g_scratch) {
    std::string tmpl = (fs::temp_directory_path() / "vhm-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) fail("cannot create a scratch directory under " + fs::temp_directory_path().string());
    g_scratch = new std::string(tmpl);  // reachable from a global: not a leak at exit
    std::atexit(remove_scratch);
  }
  return *g_scratch;
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void fail(const std::string& what) {
  std::fprintf(stderr, "\n==vhm-fuzz== oracle failed: %s\n", what.c_str());
  std::fflush(stderr);
  // libFuzzer's fork mode (scripts/fuzz.sh VHM_FUZZ_KEEP_GOING=1) keeps no job's output:
  // the message goes to this file too, so that a long run says what it found.
  if (const char* log = std::getenv("VHM_FUZZ_ORACLE_LOG"); log && *log)
    if (std::FILE* f = std::fopen(log, "a")) {
      std::fprintf(f, "%s\n", what.c_str());
      std::fclose(f);
    }
  std::abort();
}

void quiet_logs() {
  spdlog::set_level(spdlog::level::off);
  av_log_set_level(AV_LOG_QUIET);
}

void export_seeds(const std::vector<std::pair<std::string, std::string>>& seeds) {
  const char* dir = std::getenv("VHM_FUZZ_SEED_DIR");
  if (!dir || !*dir) return;
  fs::create_directories(dir);
  for (const auto& [name, bytes] : seeds) write_file((fs::path(dir) / name).string(), bytes);
}

}  // namespace vhm::fuzz
