// `vhm bench`: one command, every knob a flag, every figure printed (after RocksDB's
// db_bench). Each workload is a function taking its own argv.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hash/video_hasher.h"

namespace vhm::bench {

int run_hash(int argc, char** argv);      // PDQ time per frame: reference, CPU, GPU
int run_decode(int argc, char** argv);    // video demux+decode+hash per sampling mode, beside ffmpeg (and vpdq)
int run_sampling(int argc, char** argv);  // recall and cost of each sampling mode against every-frame
int run_search(int argc, char** argv);    // HashIndex build, memory, save/load, radius-search q/s and recall
int run_match(int argc, char** argv);     // end to end: videos in, verdicts out, against a bank of --n frames
int run_accuracy(int argc, char** argv);  // recall and false positives per re-upload transform (ffmpeg-made variants)
int run_tmk(int argc,
            char** argv);  // TMK+PDQF lookup per level-1 VectorIndex spec at 100k/1M contents: latency, RSS, recall
int run_serve(int argc, char** argv);  // vhm serve under concurrent clients: requests/s, frames/s, latency percentiles

// ---- shared by the video workloads (defined in bench_decode.cpp) ----
namespace video {

// A sampling mode as written on the command line: "every-frame", "keyframes" or "<N>s"
// (every N seconds, e.g. "1s", "0.5s"), each optionally followed by "+prune<D>" (drop a
// frame within Hamming distance D of the last one kept), e.g. "1s+prune8".
struct Mode {
  std::string name;
  VideoSampling sampling = VideoSampling::kEveryFrame;
  double seconds = 0;
  int prune_distance = -1;
  bool vpdq = true;  // false: the mode "tmk", TMK+PDQF alone (every frame decoded, no PDQ)
  bool tmk = false;  // TMK+PDQF too ("+tmk"), from the same decode
  VideoHashConfig config(int threads, Device device) const;
};
std::optional<Mode> parse_mode(const std::string& text);
// Parses a comma-separated list; on error names the bad item in `error`.
std::optional<std::vector<Mode>> parse_modes(const std::string& list, std::string& error);

std::vector<std::string> split_list(const std::string& s);
double median(std::vector<double> values);
std::string base_name(const std::string& path);

// Every *.mp4 of the corpus's threatexchange/tmk/sample-videos, sorted; the corpus is
// env VHM_CORPUS, else <source dir>/../shared/corpus. Empty (and `where` says where it
// looked) when absent.
std::vector<std::string> default_videos(std::string& where);

// Reads a file once so that every timed run finds it in the page cache.
void warm_page_cache(const std::string& path);

// `work` run in a forked child; its JSON comes back through a pipe. wall_seconds is
// fork to exit as the parent sees it; max_rss_kib is the child's peak RSS (wait4).
struct ChildResult {
  bool ok = false;
  std::string error;
  double wall_seconds = 0;
  long max_rss_kib = 0;
  nlohmann::json value;
};
ChildResult run_in_child(const std::function<nlohmann::json()>& work);

// An external program (posix_spawn, PATH searched), stdout/stderr captured.
struct ProcessResult {
  bool started = false;
  int exit_code = -1;  // -1 when killed by a signal
  double wall_seconds = 0;
  long max_rss_kib = 0;
  std::string out, err;
};
ProcessResult run_process(const std::vector<std::string>& argv);
// True when `program` names an executable (a path, or a name found on PATH).
bool program_exists(const std::string& program);

}  // namespace video
}  // namespace vhm::bench
