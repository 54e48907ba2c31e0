// Runs a fuzz target's entry point over saved inputs, without libFuzzer, so that every
// build (gcc Release included) replays the regression inputs of tests/fuzz/regressions
// through the very code libFuzzer runs: `fuzz_replay_NAME FILE_OR_DIR...`.
//
// Each input is named on stderr before it runs, so a crash says which one. A finding
// ends the process as it would under libFuzzer (abort, signal, sanitizer report);
// exit 0 means every input ran through. No input at all is an error: a replay of
// nothing would pass without testing anything.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace fs = std::filesystem;

// Under ASan, one allocation over 1 GiB is a finding, as scripts/fuzz.sh tells libFuzzer
// (-malloc_limit_mb=1024): a decompression bomb replayed here fails here too. (Without
// ASan, in the gcc Release build, nothing bounds it: those replays catch crashes and
// oracle failures.) ASAN_OPTIONS from the environment still override this default.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" const char* __asan_default_options() { return "max_allocation_size_mb=1024:allocator_may_return_null=0"; }
#endif
#endif

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(arg))
        if (e.is_regular_file() && e.path().filename().string().front() != '.') files.push_back(e.path());
      std::sort(files.begin(), files.end());  // a stable order: the same run every time
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", argv[i]);
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR... (no input found)\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) {
      std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
      return 2;
    }
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", p.c_str(), bytes.size());
    // A copy of exactly `size` bytes on the heap, as libFuzzer passes them, so that a
    // read one past the end is caught by ASan here too.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, no finding\n", inputs.size());
  return 0;
}
