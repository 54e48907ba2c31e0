// vhm bench decode: demux + decode + hash throughput of real videos per sampling mode,
// side by side with `ffmpeg -threads 1 -i F -f null -` (pure decode, the baseline) and,
// where the Python package is importable, Meta's reference vPDQ (`vpdq`).
//
// Every vhm run happens in a forked child that calls vhm::hash_video, so the peak RSS
// (wait4's ru_maxrss) belongs to that run alone; the child sends its figures back
// through a pipe as JSON. ffmpeg and Python run as child processes (posix_spawn).
//
// Also home of the helpers both video workloads share (bench.h, namespace video).
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "bench/plot.h"
#include "decode/tmk_frames.h"
#include "hash/tmk_hasher.h"
#include "hash/video_hasher.h"

extern char** environ;

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace video {

VideoHashConfig Mode::config(int threads, Device device) const {
  VideoHashConfig c;
  c.sampling = sampling;
  c.seconds = sampling == VideoSampling::kEverySeconds ? seconds : 1.0;
  c.prune_distance = prune_distance;
  c.compute_tmk = tmk;
  c.threads = threads;
  c.device = device;
  return c;
}

std::optional<Mode> parse_mode(const std::string& text) {
  Mode m;
  m.name = text;
  std::string base = text;
  // Suffixes: +prune<D> (or prune=D), +tmk.
  if (const auto plus = text.find('+'); plus != std::string::npos) {
    base = text.substr(0, plus);
    std::stringstream rest(text.substr(plus + 1));
    for (std::string suffix; std::getline(rest, suffix, '+');) {
      if (suffix == "tmk") {
        m.tmk = true;
        continue;
      }
      if (!suffix.starts_with("prune")) return std::nullopt;
      std::string prune = suffix.substr(5);
      if (!prune.empty() && (prune[0] == '=' || prune[0] == ':')) prune = prune.substr(1);
      if (prune.empty() || prune.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      m.prune_distance = std::atoi(prune.c_str());
      if (m.prune_distance > 256) return std::nullopt;
    }
  }
  if (base == "tmk") {
    if (m.tmk || m.prune_distance >= 0) return std::nullopt;
    m.vpdq = false;
    m.tmk = true;
    return m;
  }
  if (base == "every-frame" || base == "all") {
    m.sampling = VideoSampling::kEveryFrame;
  } else if (base == "keyframes" || base == "key") {
    m.sampling = VideoSampling::kKeyframes;
  } else if (base.size() > 1 && base.back() == 's') {
    char* end = nullptr;
    const std::string number = base.substr(0, base.size() - 1);
    const double s = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !(s > 0) || !std::isfinite(s)) return std::nullopt;
    m.sampling = VideoSampling::kEverySeconds;
    m.seconds = s;
  } else {
    return std::nullopt;
  }
  return m;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string p; std::getline(in, p, ',');) {
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    if (!p.empty()) parts.push_back(p);
  }
  return parts;
}

std::optional<std::vector<Mode>> parse_modes(const std::string& list, std::string& error) {
  std::vector<Mode> modes;
  for (const auto& item : split_list(list)) {
    auto m = parse_mode(item);
    if (!m) {
      error = "cannot read mode '" + item + "' (every-frame, keyframes or <N>s, optionally +prune<D> and +tmk; or tmk)";
      return std::nullopt;
    }
    if (std::none_of(modes.begin(), modes.end(), [&](const Mode& x) { return x.name == m->name; })) modes.push_back(*m);
  }
  if (modes.empty()) {
    error = "no modes given";
    return std::nullopt;
  }
  return modes;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::vector<std::string> default_videos(std::string& where) {
  const char* env = std::getenv("VHM_CORPUS");
  const std::string corpus = env && *env ? std::string(env) : std::string(VHM_SOURCE_DIR) + "/../shared/corpus";
  where = corpus + "/threatexchange/tmk/sample-videos";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(where, ec))
    if (e.is_regular_file() && e.path().extension() == ".mp4") files.push_back(e.path().lexically_normal().string());
  std::sort(files.begin(), files.end());
  return files;
}

void warm_page_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
  }
}

namespace {

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads the given pipes to their ends (concurrently, so neither writer blocks).
void drain(std::vector<std::pair<int, std::string*>> pipes) {
  while (!pipes.empty()) {
    std::vector<pollfd> fds;
    for (auto& p : pipes) fds.push_back({p.first, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t i = fds.size(); i-- > 0;) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        pipes[i].second->append(buf, static_cast<size_t>(n));
      } else {
        ::close(pipes[i].first);
        pipes.erase(pipes.begin() + static_cast<long>(i));
      }
    }
  }
}

}  // namespace

ChildResult run_in_child(const std::function<json()>& work) {
  ChildResult r;
  int fds[2];
  if (::pipe(fds) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::fflush(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return r;
  }
  if (pid == 0) {
    ::close(fds[0]);
    json j;
    try {
      j = work();
    } catch (const std::exception& e) {
      j = {{"error", std::string("exception: ") + e.what()}};
    } catch (...) {
      j = {{"error", "unknown exception"}};
    }
    const bool written = write_all(fds[1], j.dump());
    ::_exit(written ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  drain({{fds[0], &out}});
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  r.wall_seconds = seconds_since(t0);
  r.max_rss_kib = usage.ru_maxrss;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.error = WIFSIGNALED(status) ? std::string("child killed by signal ") + std::to_string(WTERMSIG(status))
                                  : "child exited with status " + std::to_string(WEXITSTATUS(status));
    return r;
  }
  try {
    r.value = json::parse(out);
  } catch (const std::exception& e) {
    r.error = std::string("child sent unreadable JSON: ") + e.what();
    return r;
  }
  if (r.value.contains("error")) {
    r.error = r.value["error"].get<std::string>();
    return r;
  }
  r.ok = true;
  return r;
}

ProcessResult run_process(const std::vector<std::string>& argv) {
  ProcessResult r;
  int out[2], err[2];
  if (::pipe(out) != 0) return r;
  if (::pipe(err) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  posix_spawn_file_actions_addclose(&actions, err[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    r.err = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  r.started = true;
  drain({{out[0], &r.out}, {err[0], &r.err}});
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  r.wall_seconds = seconds_since(t0);
  r.max_rss_kib = usage.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool program_exists(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream in(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return true;
  }
  return false;
}

}  // namespace video

namespace {

using video::Mode;

// Times vpdq.computeHash (the reference C++ behind Meta's bindings) inside Python, so
// the interpreter's start and the import are not counted; prints seconds and frames.
constexpr const char* kVpdqScript = R"(import sys, time
import vpdq
t = time.perf_counter()
h = vpdq.computeHash(input_video_filename=sys.argv[1], seconds_per_hash=0, thread_count=int(sys.argv[2]))
print(time.perf_counter() - t, len(h))
)";

struct Row {
  std::string file, tool, mode;
  bool ok = false;
  std::string error;
  std::vector<double> walls;
  double wall = 0;
  int64_t frames_decoded = -1, frames_hashed = -1;
  long max_rss_kib = 0;
  double duration = 0;
  double vs_ffmpeg = -1;      // -1: no baseline
  double vs_ffmpeg_net = -1;  // totals: against the baseline less ffmpeg's start-up per run
  static Row make(std::string file, std::string tool, std::string mode) {
    Row r;
    r.file = std::move(file);
    r.tool = std::move(tool);
    r.mode = std::move(mode);
    return r;
  }
  std::string label() const { return tool + " " + mode; }
  double frames_per_s() const { return wall > 0 && frames_decoded >= 0 ? frames_decoded / wall : 0; }
  double x_realtime() const { return wall > 0 ? duration / wall : 0; }
};

// Frames ffmpeg's final "-stats" line reports ("frame=  564 fps=..."), or -1.
int64_t ffmpeg_frames(const std::string& err) {
  const auto at = err.rfind("frame=");
  if (at == std::string::npos) return -1;
  size_t i = at + 6;
  while (i < err.size() && err[i] == ' ') ++i;
  if (i >= err.size() || !std::isdigit(static_cast<unsigned char>(err[i]))) return -1;
  return std::strtoll(err.c_str() + i, nullptr, 10);
}

std::string last_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  const auto nl = s.find_last_of("\r\n");
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

std::string cell(double v, const char* fmt, bool have = true) {
  if (!have) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

void print_rows(const std::vector<Row>& rows, bool markdown, bool totals) {
  const char* header[] = {"file",     "run",         "wall s",    "frames decoded", "frames hashed",
                          "frames/s", "x real time", "vs ffmpeg", "max RSS MiB"};
  if (markdown) {
    std::printf("|");
    for (const char* h : header) std::printf(" %s |", h);
    std::printf("\n|---|---|---|---|---|---|---|---|---|\n");
  } else {
    std::printf("%-34s  %-22s  %8s  %8s  %8s  %9s  %9s  %9s  %8s\n", header[0], header[1], header[2], "decoded",
                "hashed", header[5], "x realtm", header[7], "RSS MiB");
  }
  for (const Row& r : rows) {
    std::vector<std::string> c{totals ? "**total**" : r.file, r.label()};
    if (!r.ok) {
      c.insert(c.end(), {"failed", "-", "-", "-", "-", "-", "-"});
    } else {
      c.push_back(cell(r.wall, "%.3f"));
      c.push_back(r.frames_decoded >= 0 ? std::to_string(r.frames_decoded) : "-");
      c.push_back(r.frames_hashed >= 0 ? std::to_string(r.frames_hashed) : "-");
      c.push_back(cell(r.frames_per_s(), "%.0f", r.frames_decoded >= 0));
      c.push_back(cell(r.x_realtime(), "%.1fx", r.duration > 0));
      c.push_back(cell(r.vs_ffmpeg, "%.2fx", r.vs_ffmpeg >= 0));
      c.push_back(cell(r.max_rss_kib / 1024.0, "%.1f"));
    }
    if (!markdown && totals) c[0] = "TOTAL";
    if (markdown) {
      std::printf("|");
      for (const auto& s : c) std::printf(" %s |", s.c_str());
      std::printf("\n");
    } else {
      std::printf("%-34s  %-22s  %8s  %8s  %8s  %9s  %9s  %9s  %8s\n", c[0].c_str(), c[1].c_str(), c[2].c_str(),
                  c[3].c_str(), c[4].c_str(), c[5].c_str(), c[6].c_str(), c[7].c_str(), c[8].c_str());
    }
  }
}

json row_json(const Row& r) {
  json j{{"file", r.file}, {"tool", r.tool}, {"mode", r.mode}, {"ok", r.ok}};
  if (!r.ok) {
    j["error"] = r.error;
    return j;
  }
  j["wall_seconds"] = r.wall;
  j["wall_seconds_each"] = r.walls;
  j["frames_decoded"] = r.frames_decoded >= 0 ? json(r.frames_decoded) : json(nullptr);
  j["frames_hashed"] = r.frames_hashed >= 0 ? json(r.frames_hashed) : json(nullptr);
  j["frames_per_s"] = r.frames_per_s();
  j["x_realtime"] = r.x_realtime();
  j["vs_ffmpeg"] = r.vs_ffmpeg >= 0 ? json(r.vs_ffmpeg) : json(nullptr);
  j["max_rss_kib"] = r.max_rss_kib;
  j["duration_seconds"] = r.duration;
  return j;
}

// decode-speed: x real time of the totals (all files' duration / all files' wall time),
// a cluster per sampling mode. ffmpeg (decode only) and vpdq see every frame, so their
// bars stand in the every-frame cluster, the one like-for-like comparison; that cluster
// is added when vhm did not run every-frame itself.
plot::Chart decode_chart(const std::vector<Row>& totals, const std::vector<Mode>& modes, size_t files,
                         const std::string& device) {
  plot::Chart c;
  c.name = "decode-speed";
  c.title = "vhm bench decode: x real time, totals over " + std::to_string(files) + " video(s)";
  c.xlabel = "sampling mode";
  c.ylabel = "x real time (video seconds / wall second)";
  c.kind = plot::ChartKind::kBars;
  std::string every_frame;  // the cluster where the peers stand
  for (const Mode& m : modes) {
    c.row_labels.push_back(m.name);
    if (every_frame.empty() && m.sampling == VideoSampling::kEveryFrame && m.prune_distance < 0) every_frame = m.name;
  }
  const auto ran = [&](const char* tool) {
    return std::any_of(totals.begin(), totals.end(), [&](const Row& t) { return t.tool == tool; });
  };
  const bool peers = ran("ffmpeg") || ran("vpdq");
  if (peers && every_frame.empty()) c.row_labels.push_back(every_frame = "every-frame");
  c.series.push_back("vhm (decode + hash, " + device + ")");
  if (ran("ffmpeg")) c.series.push_back("ffmpeg -threads 1 (decode only)");
  if (ran("vpdq")) c.series.push_back("vpdq (reference, decode + hash)");
  c.values.assign(c.row_labels.size(), std::vector<double>(c.series.size(), std::numeric_limits<double>::quiet_NaN()));
  for (const Row& t : totals) {
    if (!t.ok || t.duration <= 0) continue;  // a failed run has no bar
    const std::string& cluster = t.tool == "vhm" ? t.mode : every_frame;
    const size_t series = t.tool == "vhm" ? 0 : t.tool == "ffmpeg" ? 1 : c.series.size() - 1;
    const size_t row =
        static_cast<size_t>(std::find(c.row_labels.begin(), c.row_labels.end(), cluster) - c.row_labels.begin());
    c.values[row][series] = t.x_realtime();
  }
  plot::choose_y_axis(c);  // key frames run tens of times faster than every frame
  return c;
}

}  // namespace

int run_decode(int argc, char** argv) {
  std::string modes_arg = "every-frame,1s,keyframes", ffmpeg = "ffmpeg", python = "python3", device = "cpu", plot_dir;
  std::vector<std::string> files;
  int repeat = 1, threads = 0;
  bool json_out = false, markdown = false, no_ffmpeg = false, no_vpdq = false;
  po::options_description opts(R"(Usage: vhm bench decode [OPTIONS] [VIDEO...]

Demux + decode + vPDQ hash throughput of real videos for each sampling mode, side by
side with 'ffmpeg -threads 1 -i VIDEO -f null -' (pure decode: the baseline) and, where
'python3 -c "import vpdq"' works, Meta's reference vPDQ (vpdq.computeHash, every frame).
Each vhm run is a forked child calling hash_video, so its peak RSS is its own. Without
VIDEO arguments every *.mp4 of the corpus's threatexchange/tmk/sample-videos is used.
Progress goes to stderr.

Modes: every-frame, keyframes, <N>s (every N seconds: 1s, 0.5s, 2s), each optionally
+prune<D> (drop frames within D bits of the last kept one), e.g. 1s+prune8, and +tmk
(TMK+PDQF too, from the same decode; not with keyframes); tmk alone: TMK+PDQF only.

Examples:
  vhm bench decode
  vhm bench decode --modes every-frame,0.5s,keyframes --repeat 3 --markdown
  vhm bench decode --modes every-frame,every-frame+tmk,tmk --no-vpdq   # TMK's cost
  vhm bench decode clip.mp4 --threads 1 --json

Options)");
  opts.add_options()("help,h", "show this help")("modes", po::value(&modes_arg)->default_value(modes_arg),
                                                 "sampling modes, comma-separated")(
      "repeat", po::value(&repeat)->default_value(repeat),
      "runs of each (median wall time reported, peak RSS the max)")(
      "threads", po::value(&threads)->default_value(threads),
      "vhm hashing/decoder threads (0 = all cores); also vpdq's thread_count")(
      "device", po::value(&device)->default_value(device), "PDQ device for vhm: cpu | gpu | auto | reference")(
      "ffmpeg", po::value(&ffmpeg)->default_value(ffmpeg), "the ffmpeg program for the baseline")(
      "no-ffmpeg", po::bool_switch(&no_ffmpeg), "skip the ffmpeg baseline")(
      "python", po::value(&python)->default_value(python), "the Python that may import vpdq")(
      "no-vpdq", po::bool_switch(&no_vpdq), "skip the reference vpdq")("json", po::bool_switch(&json_out),
                                                                       "print one JSON object instead of a table")(
      "markdown", po::bool_switch(&markdown), "print Markdown tables (for docs/BENCHMARKS.md)")(
      "plot", po::value(&plot_dir)->value_name("DIR"), "write SVG charts (gnuplot) of the figures to DIR");
  if (auto stop = parse_workload_args(argc, argv, opts, files, "decode")) return *stop;
  if (repeat < 1 || threads < 0) {
    std::fprintf(stderr, "vhm bench decode: --repeat must be >= 1 and --threads >= 0\n");
    return 2;
  }
  std::string error;
  const auto modes = video::parse_modes(modes_arg, error);
  if (!modes) {
    std::fprintf(stderr, "vhm bench decode: --modes: %s\n", error.c_str());
    return 2;
  }
  const auto pdq_device = parse_device(device);
  if (!pdq_device) {
    std::fprintf(stderr, "vhm bench decode: --device must be %s, not '%s'\n", kDeviceChoices, device.c_str());
    return 2;
  }
  if (files.empty()) {
    std::string where;
    files = video::default_videos(where);
    if (files.empty()) {
      std::fprintf(stderr, "vhm bench decode: no videos given and none found in %s (set VHM_CORPUS)\n", where.c_str());
      return 2;
    }
  }

  const Environment env = read_environment();
  if (!json_out) std::cerr << to_text(env);
  const bool have_ffmpeg = !no_ffmpeg && video::program_exists(ffmpeg);
  std::string ffmpeg_note = no_ffmpeg     ? "skipped (--no-ffmpeg)"
                            : have_ffmpeg ? ""
                                          : "ffmpeg: not found (" + ffmpeg + "); no baseline column";
  if (!have_ffmpeg && !no_ffmpeg) std::cerr << ffmpeg_note << "\n";
  bool have_vpdq = false;
  std::string vpdq_note = "skipped (--no-vpdq)";
  if (!no_vpdq) {
    const auto probe = video::run_process({python, "-c", "import vpdq"});
    have_vpdq = probe.started && probe.exit_code == 0;
    vpdq_note = have_vpdq ? "" : "vpdq: not installed (" + python + " -c \"import vpdq\" fails)";
    if (!have_vpdq) std::cerr << vpdq_note << "\n";
  }

  // ffmpeg's fixed cost per run (process start, libraries, option parsing): a one-frame
  // 16x16 lavfi input, median of 5. Reported beside the baseline, never subtracted from it.
  double ffmpeg_startup = -1;
  if (have_ffmpeg) {
    std::vector<double> t;
    for (int i = 0; i < 5; ++i) {
      const auto p = video::run_process({ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
                                         "-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-f", "null", "-"});
      if (p.started && p.exit_code == 0) t.push_back(p.wall_seconds);
    }
    if (!t.empty()) ffmpeg_startup = video::median(t);
  }

  std::vector<Row> rows;
  bool vhm_failed = false;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const std::string& file = files[fi];
    const std::string name = video::base_name(file);
    video::warm_page_cache(file);
    std::vector<Row> mine;
    if (have_ffmpeg) mine.push_back(Row::make(name, "ffmpeg", "-threads 1"));
    for (const Mode& m : *modes) mine.push_back(Row::make(name, "vhm", m.name));
    if (have_vpdq) mine.push_back(Row::make(name, "vpdq", "every-frame"));
    for (Row& r : mine) r.ok = true;
    // Round-robin over the runs, so slow drift of the machine hits every run alike.
    for (int rep = 0; rep < repeat; ++rep) {
      size_t k = 0;
      if (have_ffmpeg) {
        Row& r = mine[k++];
        const auto p = video::run_process({ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-stats",
                                           "-threads", "1", "-i", file, "-f", "null", "-"});
        if (!p.started || p.exit_code != 0) {
          r.ok = false;
          r.error = p.started ? "exit " + std::to_string(p.exit_code) + ": " + last_line(p.err) : p.err;
        } else {
          r.walls.push_back(p.wall_seconds);
          r.frames_decoded = ffmpeg_frames(p.err);
          r.max_rss_kib = std::max(r.max_rss_kib, p.max_rss_kib);
        }
      }
      for (const Mode& m : *modes) {
        Row& r = mine[k++];
        const VideoHashConfig config = m.config(threads, *pdq_device);
        const auto c = video::run_in_child([&]() -> json {
          if (!m.vpdq) {
            // TMK alone: the decoder feeds only the TMK sampler.
            const auto started = std::chrono::steady_clock::now();
            TmkAccumulator accumulator;
            auto stats = decode_tmk_frames(file, [&](const uint8_t* rgb) { accumulator.add_rgb64x64(rgb); });
            if (!stats) return {{"error", stats.status().to_string()}};
            const TmkFeatures features = accumulator.finish();
            return {{"frames_decoded", stats->decoded},
                    {"frames_hashed", features.frame_count},
                    {"duration", 0.0},
                    {"hasher", "tmk"},
                    {"elapsed", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
          }
          auto h = hash_video(file, config);
          if (!h) return {{"error", h.status().to_string()}};
          return {{"frames_decoded", h->frames_decoded},
                  {"frames_hashed", h->frames.size()},
                  {"duration", h->info.duration_seconds},
                  {"hasher", h->hasher},
                  {"elapsed", h->elapsed_seconds}};
        });
        if (!c.ok) {
          r.ok = false;
          r.error = c.error;
          vhm_failed = true;
        } else {
          r.walls.push_back(c.wall_seconds);
          r.frames_decoded = c.value["frames_decoded"].get<int64_t>();
          r.frames_hashed = c.value["frames_hashed"].get<int64_t>();
          r.duration = c.value["duration"].get<double>();
          r.max_rss_kib = std::max(r.max_rss_kib, c.max_rss_kib);
        }
        std::fprintf(stderr, "[%zu/%zu] %s  vhm %s: %s\n", fi + 1, files.size(), name.c_str(), m.name.c_str(),
                     c.ok ? cell(c.wall_seconds, "%.3f s").c_str() : c.error.c_str());
      }
      if (have_vpdq) {
        Row& r = mine[k++];
        const auto p = video::run_process({python, "-c", kVpdqScript, file, std::to_string(threads)});
        double t = 0;
        long long n = -1;
        if (p.started && p.exit_code == 0 && std::sscanf(last_line(p.out).c_str(), "%lf %lld", &t, &n) == 2) {
          r.walls.push_back(t);
          r.frames_decoded = r.frames_hashed = n;
          r.max_rss_kib = std::max(r.max_rss_kib, p.max_rss_kib);
        } else {
          r.ok = false;
          r.error = "vpdq failed: " + last_line(p.err.empty() ? p.out : p.err);
        }
      }
    }
    double duration = 0, ffmpeg_wall = -1;
    for (Row& r : mine) {
      if (!r.ok) continue;
      r.wall = video::median(r.walls);
      if (r.tool == "vhm" && duration <= 0) duration = r.duration;
      if (r.tool == "ffmpeg") ffmpeg_wall = r.wall;
    }
    for (Row& r : mine) {
      if (!r.ok) continue;
      r.duration = duration;
      r.vs_ffmpeg = ffmpeg_wall > 0 ? r.wall / ffmpeg_wall : -1;
      if (r.tool == "ffmpeg" && r.frames_decoded < 0) {
        for (const Row& o : mine)
          if (o.ok && o.tool == "vhm" && o.mode == "every-frame") r.frames_decoded = o.frames_decoded;
      }
    }
    rows.insert(rows.end(), mine.begin(), mine.end());
  }

  // Totals per run kind: sums over the files where both it and the baseline succeeded.
  std::vector<Row> totals;
  for (const Row& r : rows) {
    auto it = std::find_if(totals.begin(), totals.end(), [&](const Row& t) { return t.label() == r.label(); });
    if (it == totals.end()) {
      totals.push_back(Row::make("total", r.tool, r.mode));
      it = totals.end() - 1;
      it->ok = true;
      it->frames_decoded = it->frames_hashed = 0;
    }
    if (!r.ok) {
      it->ok = false;
      it->error = "failed on " + r.file;
      continue;
    }
    it->wall += r.wall;
    it->duration += r.duration;
    it->frames_decoded = r.frames_decoded >= 0 && it->frames_decoded >= 0 ? it->frames_decoded + r.frames_decoded : -1;
    it->frames_hashed = r.frames_hashed >= 0 && it->frames_hashed >= 0 ? it->frames_hashed + r.frames_hashed : -1;
    it->max_rss_kib = std::max(it->max_rss_kib, r.max_rss_kib);
  }
  for (Row& t : totals) {
    if (!t.ok) continue;
    double mine = 0, base = 0;
    int n = 0;
    for (const Row& r : rows) {
      if (r.label() != t.label() || !r.ok || r.vs_ffmpeg < 0) continue;
      mine += r.wall;
      base += r.wall / r.vs_ffmpeg;
      ++n;
    }
    t.vs_ffmpeg = base > 0 ? mine / base : -1;
    const double net = base - n * ffmpeg_startup;
    t.vs_ffmpeg_net = ffmpeg_startup > 0 && net > 0 ? mine / net : -1;
  }

  if (json_out) {
    json j{
        {"benchmark", "decode"}, {"environment", to_json(env)}, {"repeat", repeat},         {"threads", threads},
        {"device", device},      {"modes", json::array()},      {"results", json::array()}, {"totals", json::array()}};
    for (const Mode& m : *modes) j["modes"].push_back(m.name);
    j["ffmpeg"] = have_ffmpeg ? json("ffmpeg -threads 1 -i F -f null -") : json(nullptr);
    j["vpdq"] = have_vpdq
                    ? json("vpdq.computeHash(F, seconds_per_hash=0, thread_count=" + std::to_string(threads) + ")")
                    : json(nullptr);
    if (!ffmpeg_note.empty()) j["notes"].push_back(ffmpeg_note);
    if (!vpdq_note.empty()) j["notes"].push_back(vpdq_note);
    for (const Row& r : rows) j["results"].push_back(row_json(r));
    for (const Row& t : totals) {
      j["totals"].push_back(row_json(t));
      if (t.tool != "ffmpeg" && t.vs_ffmpeg_net >= 0) j["totals"].back()["vs_ffmpeg_less_startup"] = t.vs_ffmpeg_net;
    }
    j["ffmpeg_startup_seconds"] = ffmpeg_startup >= 0 ? json(ffmpeg_startup) : json(nullptr);
    std::cout << j.dump(2) << "\n";
  } else {
    print_rows(rows, markdown, false);
    std::printf("\n");
    print_rows(totals, markdown, true);
    if (ffmpeg_startup >= 0 && std::any_of(totals.begin(), totals.end(),
                                           [](const Row& t) { return t.tool != "ffmpeg" && t.vs_ffmpeg_net >= 0; })) {
      std::printf(
          "\nffmpeg start-up (a one-frame 16x16 lavfi run): %.3f s per run, included in the baseline; "
          "against the baseline less it:",
          ffmpeg_startup);
      const char* sep = " ";
      for (const Row& t : totals) {
        if (t.tool == "ffmpeg" || t.vs_ffmpeg_net < 0) continue;
        std::printf("%s%s %.2fx", sep, t.label().c_str(), t.vs_ffmpeg_net);
        sep = ", ";
      }
      std::printf("\n");
    }
    for (const Row& r : rows)
      if (!r.ok) std::fprintf(stderr, "%s %s: %s\n", r.file.c_str(), r.label().c_str(), r.error.c_str());
  }
  bool plotted = true;
  if (!plot_dir.empty()) {
    // Outcome on stderr: stdout may be JSON.
    plotted = plot::render_and_report("decode", plot_dir, {decode_chart(totals, *modes, files.size(), device)});
  }
  return vhm_failed || !plotted ? 1 : 0;
}

}  // namespace vhm::bench
