// vhm: video-hash matching. This file only dispatches to the subcommands.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage = R"(vhm - perceptual hashes (PDQ, vPDQ) of images and videos, matched against hash banks

Usage: vhm COMMAND [OPTIONS] [ARGS...]

Commands:
  hash    PDQ hashes of images and vPDQ hashes of videos (reference-exact), in batch
  match   videos, images or raw hashes against a hash bank: vPDQ verdicts
  bank    hash banks: create, add, remove, stats, export, verify (SQLite + index)
  serve   HTTP daemon: POST uploads (matched from memory) or raw hashes, JSON verdicts
  fetch   keep a bank current from an exchange (StopNCII, NCMEC, ThreatExchange, TCAP)
  feedback  tell an exchange what was done about a matched hash (StopNCII, ThreatExchange)
  enqueue jobs for the Redis Streams workers of 'vhm serve --redis' (one id per line)
  results the workers' results as JSON Lines (--ids: wait for those jobs)
  bench   benchmarks: hash, decode, sampling, search, match, accuracy, serve (every figure printed)

Run 'vhm COMMAND --help' for a command's options and examples.

Examples:
  vhm hash --format vpdq --out-dir hashes/ videos/   # reference vPDQ files
  vhm hash --format jsonl @uploads.txt               # one JSON object per input
  vhm hash photo.jpg                                 # pdq_hex,quality,path
  vhm bank create banks/known && vhm bank add banks/known reported/*.mp4
  vhm match --bank banks/known upload.mp4            # verdicts as JSON Lines
  vhm serve --bank banks/known --port 8080           # the same over HTTP (POST /v1/match)
  vhm fetch stopncii --bank banks/ncii               # new and withdrawn hashes, from a checkpoint
  vhm bench hash --sizes 720p                        # PDQ time per 720p frame

Exit codes: 0 success, 1 some input failed (the rest were processed), 2 usage error,
3 internal error; vhm match --exit-code: 4 when some input matched.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? vhm::cli::kExitUsage : vhm::cli::kExitOk;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::puts("vhm " VHM_VERSION);
    return 0;
  }
  // Logs go to stderr: stdout carries only results, so it can be piped and parsed.
  spdlog::set_default_logger(spdlog::stderr_color_mt("vhm"));
  spdlog::set_pattern("vhm: %v");
  const std::string command = argv[1];
  try {
    if (command == "hash") return vhm::cli::cmd_hash(argc - 1, argv + 1);
    if (command == "bench") return vhm::cli::cmd_bench(argc - 1, argv + 1);
    if (command == "match") return vhm::cli::cmd_match(argc - 1, argv + 1);
    if (command == "bank") return vhm::cli::cmd_bank(argc - 1, argv + 1);
    if (command == "serve") return vhm::cli::cmd_serve(argc - 1, argv + 1);
    if (command == "fetch") return vhm::cli::cmd_fetch(argc - 1, argv + 1);
    if (command == "feedback") return vhm::cli::cmd_feedback(argc - 1, argv + 1);
    if (command == "enqueue") return vhm::cli::cmd_enqueue(argc - 1, argv + 1);
    if (command == "results") return vhm::cli::cmd_results(argc - 1, argv + 1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vhm %s: internal error: %s\n", command.c_str(), e.what());
    return vhm::cli::kExitInternal;
  }
  std::fprintf(stderr, "vhm: unknown command '%s' (try 'vhm --help')\n", command.c_str());
  return vhm::cli::kExitUsage;
}
