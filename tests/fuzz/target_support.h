// What every fuzz target shares (docs/FUZZING.md): a scratch directory of its own, the
// way an oracle reports a bug, quiet logs, and the seeds only code can make.
//
// A target is one file, tests/fuzz/fuzz_<name>.cpp, defining LLVMFuzzerTestOneInput
// (and optionally LLVMFuzzerInitialize). It must be deterministic, keep no state that
// changes what a later input does, and treat every error vhm returns as a pass: a
// finding is a crash, a sanitizer report, an uncaught exception, a hang, or an oracle
// that calls fail().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vhm::fuzz {

// The input as text (vhm's parsers take string_view).
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A fresh directory under $TMPDIR owned by this process, removed at exit.
const std::string& scratch_dir();

// Writes `bytes` to `path` (whole file, truncated first); aborts when it cannot, since
// a target that cannot set up its input tests nothing.
void write_file(const std::string& path, std::string_view bytes);
std::string read_file(const std::string& path);

// An oracle found a bug: prints `what` and aborts, so that libFuzzer (or the replay
// driver) reports it with the input.
[[noreturn]] void fail(const std::string& what);

// vhm's log (spdlog) and FFmpeg's log off: every rejected input would print a line.
void quiet_logs();

// Seeds only code can make (index files, the meta of a bank made here, requests that
// name its contents): written as files NAME into $VHM_FUZZ_SEED_DIR when that is set
// (scripts/fuzz.sh sets it once before fuzzing); nothing otherwise.
void export_seeds(const std::vector<std::pair<std::string, std::string>>& seeds);

}  // namespace vhm::fuzz
