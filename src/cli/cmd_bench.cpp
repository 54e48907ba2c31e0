// vhm bench: dispatches to the benchmark workloads in bench/.
#include <cstdio>
#include <cstring>
#include <string>

#include "bench/bench.h"
#include "cli/commands.h"

namespace vhm::cli {

int cmd_bench(int argc, char** argv) {
  constexpr const char* kUsage = R"(Usage: vhm bench WORKLOAD [OPTIONS]

Workloads:
  hash      PDQ time per frame at 480p/720p/1080p: reference, CPU (1 and all threads), GPU
  decode    video demux+decode+hash throughput per sampling mode (every frame, 1 s,
            keyframes, ...) beside 'ffmpeg -threads 1' and the reference vpdq; peak RSS
  sampling  recall and cost of each sampling mode against every-frame hashing on the
            corpus families (query/target match %, false-positive risk, recommendation)
  search    HashIndex build time, memory, save/load, radius-search query frames/s per
            thread count and recall against the exhaustive scan, on a bank of --n hashes
  match     end to end against a bank of --n frames (default 1M): bank build and open
            times, then per video hash/lookup/total seconds, verdict vs expected, RSS
  accuracy  recall and false positives per re-upload transform (crop, scale, CRF, logo,
            text, bars, grey, flip, speed, trim, fps, rotation; made with the ffmpeg CLI)
            per sampling mode and search setting, and same- vs different-content
            frame distances
  serve     vhm serve under concurrent clients: requests/s, frames/s, latency p50..p99
  tmk       TMK+PDQF lookup on --contents synthetic contents (100k, 1M) per level-1
            VectorIndex spec (flat-ip, hnsw, ivf): build, RSS, p50/p99 per query video,
            recall against exact; and Bank::lookup_signals on a real SQLite bank

Every report opens with the environment (commit, compiler, CPU, GPU, FFmpeg, FAISS); --json
and --markdown print machine- and docs-ready output; --plot DIR draws SVG charts
(gnuplot) where a workload has pictures. 'vhm bench WORKLOAD --help' for each
workload's flags.

Examples:
  vhm bench hash
  vhm bench hash --sizes 720p --threads 1 --markdown
  vhm bench decode --modes every-frame,1s,keyframes --repeat 3
  vhm bench sampling --modes every-frame,1s,keyframes --markdown
  vhm bench search --n 10M --index mih,flat --threads 1,2
  vhm bench match --n 1M --sample keyframes --markdown
  vhm bench accuracy --markdown --plot plots/
  vhm bench serve --bank banks/known --clients 1,2,4 --seconds 10 --markdown
  vhm bench tmk --contents 100k,1M --format markdown
)";
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string workload = argv[1];
  if (workload == "hash") return bench::run_hash(argc - 1, argv + 1);
  if (workload == "decode") return bench::run_decode(argc - 1, argv + 1);
  if (workload == "sampling") return bench::run_sampling(argc - 1, argv + 1);
  if (workload == "search") return bench::run_search(argc - 1, argv + 1);
  if (workload == "match") return bench::run_match(argc - 1, argv + 1);
  if (workload == "accuracy") return bench::run_accuracy(argc - 1, argv + 1);
  if (workload == "serve") return bench::run_serve(argc - 1, argv + 1);
  if (workload == "tmk") return bench::run_tmk(argc - 1, argv + 1);
  std::fprintf(stderr, "vhm bench: unknown workload '%s' (try 'vhm bench --help')\n", workload.c_str());
  return kExitUsage;
}

}  // namespace vhm::cli
