// One function per subcommand; main.cpp only dispatches. Each returns the process
// exit code (see docs/CLI.md): 0 all good, 1 some input failed, 2 usage error.
#pragma once

namespace vhm::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInputFailed = 1;  // at least one input could not be processed
inline constexpr int kExitUsage = 2;        // bad flags or arguments: nothing was done
inline constexpr int kExitInternal = 3;     // an unexpected failure inside vhm
inline constexpr int kExitMatched = 4;      // vhm match --exit-code: every input checked, some matched

int cmd_hash(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_match(int argc, char** argv);
int cmd_bank(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_fetch(int argc, char** argv);
int cmd_feedback(int argc, char** argv);
int cmd_enqueue(int argc, char** argv);
int cmd_results(int argc, char** argv);

}  // namespace vhm::cli
