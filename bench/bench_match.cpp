// vhm bench match: end to end, videos in -> verdicts out, against a bank of a given size.
//
// 1. A bank (a temp dir, or --bank-dir) of --n background frame hashes: uniform random
//    256-bit codes, added as synthetic "videos" of --frames-per-content frames each
//    (Bank::add_contents in batches of --batch-frames, one transaction each), plus the
//    corpus's reference contents (vPDQ every-frame hashes of chair-orig-22-sd-bar,
//    pattern-hd-no-bar, doorknob-hd-no-bar). Adding runs in a forked child with no index
//    (load_index=false); the main index is then built from SQLite and its cache written
//    in a second child ("index build"); this process opens the bank from that cache
//    ("open"), so its peak RSS is the serving state plus the queries.
// 2. Each query video goes through Matcher::match_input with `vhm match`'s defaults
//    (bar variants on, no dihedral, 31 / 50 / 80% / 0%) except --sample and --threads.
//    Hash time is the VideoHash's elapsed time, lookup time InputMatch::lookup_seconds,
//    total the wall time of match_input.
// 3. Each verdict is checked against the video's family: chair-* must match
//    chair-orig-22-sd-bar, pattern-* pattern-hd-no-bar, doorknob-* doorknob-hd-no-bar,
//    anything else nothing; large-logo variants are known hard cases (reported, not
//    failed). Any other content matched is a FALSE-POSITIVE.
#include <stdlib.h>
#include <unistd.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bank/bank.h"
#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "hash/vpdq_format.h"
#include "index/hash_index.h"
#include "match/matcher.h"
#include "pipeline/inputs.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace {

using Clock = std::chrono::steady_clock;

using Rng = SplitMix64;

const char* const kReferences[] = {"chair-orig-22-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"};

std::string corpus_dir() {
  const char* env = std::getenv("VHM_CORPUS");
  return env && *env ? std::string(env) : std::string(VHM_SOURCE_DIR) + "/../shared/corpus";
}

// The content a video of the corpus must match ("" for none), from its file name.
std::string expected_for(const std::string& file) {
  if (file.starts_with("chair")) return "chair-orig-22-sd-bar";
  if (file.starts_with("pattern")) return "pattern-hd-no-bar";
  if (file.starts_with("doorknob")) return "doorknob-hd-no-bar";
  return "";
}
bool is_hard_case(const std::string& file) { return file.find("large-logo") != std::string::npos; }

struct Options {
  size_t n = 1'000'000;
  size_t frames_per_content = 300;
  size_t batch_frames = 200'000;
  std::string index = "mih";
  std::string bank_dir;
  std::string references_dir;
  uint64_t seed = 1;
};

// In a child: create the bank, add the background and the references (no index).
json build_bank(const std::string& dir, const Options& o) {
  json r;
  const auto t0 = Clock::now();
  if (Status s = Bank::create(dir, BankCreateOptions{o.index}); !s.is_ok()) return {{"error", s.to_string()}};
  BankOptions options;
  options.load_index = false;
  options.save_index = false;
  options.background_merge = false;
  auto bank = Bank::open(dir, options);
  if (!bank) return {{"error", bank.status().to_string()}};
  Rng rng{o.seed};
  size_t done = 0, contents = 0;
  std::vector<NewContent> batch;
  while (done < o.n) {
    batch.clear();
    size_t in_batch = 0;
    while (done < o.n && in_batch < o.batch_frames) {
      NewContent c;
      c.meta.external_id = "background-" + std::to_string(contents++);
      c.meta.label = "synthetic";
      c.meta.source = "vhm bench match";
      const size_t len = std::min(o.frames_per_content, o.n - done);
      c.frames.resize(len);
      for (size_t i = 0; i < len; ++i) {
        FrameHash& f = c.frames[i];
        f.index = static_cast<int>(i);
        f.pts_seconds = static_cast<double>(i) / 30.0;
        f.quality = 100;
        for (auto& w : f.hash.words) w = rng.next();
      }
      done += len;
      in_batch += len;
      batch.push_back(std::move(c));
    }
    if (auto added = (*bank)->add_contents(batch); !added) return {{"error", "add: " + added.status().to_string()}};
  }
  r["background_s"] = seconds_since(t0);
  std::vector<NewContent> refs;
  size_t ref_frames = 0;
  for (const char* name : kReferences) {
    const std::string path = o.references_dir + "/" + name + ".txt";
    auto frames = read_vpdq_file(path);
    if (!frames) return {{"error", frames.status().to_string()}};
    ref_frames += frames->size();
    NewContent ref;  // member by member: a braced temporary here set off gcc 12's -Wmaybe-uninitialized
    ref.meta.external_id = name;
    ref.meta.label = "reference";
    ref.meta.source = path;
    ref.meta.kind = ContentKind::kVideo;
    ref.frames = std::move(*frames);
    refs.push_back(std::move(ref));
  }
  if (auto added = (*bank)->add_contents(refs); !added) return {{"error", "add: " + added.status().to_string()}};
  r["add_s"] = seconds_since(t0);
  r["background_contents"] = contents;
  r["reference_frames"] = ref_frames;
  return r;
}

// In a child: open the bank, building the main index from SQLite, and save its cache.
json build_index(const std::string& dir, const std::string& index) {
  const auto t0 = Clock::now();
  BankOptions options;
  options.background_merge = false;
  options.index_spec = index;
  auto bank = Bank::open(dir, options);
  if (!bank) return {{"error", bank.status().to_string()}};
  const BankIndexInfo info = (*bank)->index_info();
  return {{"index_build_s", seconds_since(t0)}, {"origin", info.origin}, {"spec", info.spec}};
}

struct VideoRow {
  std::string file, error, verdict = "none", expected, status;
  std::vector<std::string> matches;
  int64_t frames = 0;
  size_t codes = 0;
  double hash_s = 0, lookup_s = 0, total_s = 0, duration_s = 0, query_match = 0;
  bool hard = false;
};

}  // namespace

int run_match(int argc, char** argv) {
  Options o;
  std::string n_text = "1000000", sample = "keyframes";
  int threads = 0;
  std::vector<std::string> videos;
  po::options_description desc(R"(vhm bench match: end to end, videos in -> verdicts out, against a bank of --n frames

Usage: vhm bench match [OPTIONS] [VIDEO...]

Builds a bank of --n random background frame hashes (synthetic 'videos' of
--frames-per-content frames) plus the corpus reference contents chair-orig-22-sd-bar,
pattern-hd-no-bar and doorknob-hd-no-bar (vPDQ every-frame), then runs each query video
through the matcher ('vhm match' defaults, except --sample and --threads) and checks its
verdict against the video's family. Without VIDEO arguments every *.mp4 of the corpus's
threatexchange/tmk/sample-videos is used.

Examples:
  vhm bench match
  vhm bench match --n 10M --sample every-frame --markdown
  vhm bench match --n 1M --bank-dir /tmp/bank-1m   # a second run reuses the bank

Options)");
  desc.add_options()("help,h", "this help")("n", po::value(&n_text)->default_value(n_text),
                                            "background frame hashes in the bank (1000000, 1e6, 1M)")(
      "index", po::value(&o.index)->default_value(o.index), "the bank's index spec (make_hash_index factory string)")(
      "sample", po::value(&sample)->default_value(sample), "query frames searched: keyframes, every-frame or <N>s")(
      "threads", po::value(&threads)->default_value(threads), "hashing and search threads (0: all cores)")(
      "videos", po::value(&videos)->multitoken(), "query videos (also positional)")(
      "bank-dir", po::value(&o.bank_dir), "build the bank here and keep it; reused when it already holds a bank")(
      "frames-per-content", po::value(&o.frames_per_content)->default_value(o.frames_per_content),
      "frames of each synthetic background video")(
      "batch-frames", po::value(&o.batch_frames)->default_value(o.batch_frames), "frames per add_contents call")(
      "seed", po::value(&o.seed)->default_value(o.seed), "background seed")(
      "no-bars", "do not search the inside_bars variant")("json", "print JSON")("markdown", "print a Markdown table");
  po::positional_options_description pos;
  pos.add("videos", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "vhm bench match: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const auto n = parse_count(n_text);
  if (!n) {
    std::cerr << "vhm bench match: bad --n '" << n_text << "'\n";
    return 2;
  }
  o.n = *n;
  const auto mode = video::parse_mode(sample);
  if (!mode || mode->prune_distance >= 0) {
    std::cerr << "vhm bench match: --sample must be keyframes, every-frame or <N>s, not '" << sample << "'\n";
    return 2;
  }
  if (threads < 0 || threads > 1024 || o.frames_per_content == 0 || o.batch_frames == 0) {
    std::cerr << "vhm bench match: --threads must be 0..1024, --frames-per-content and --batch-frames > 0\n";
    return 2;
  }
  if (auto probe = make_hash_index(o.index); !probe) {
    std::cerr << "vhm bench match: " << probe.status().to_string() << "\n";
    return 2;
  }
  const int nthreads = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const bool as_json = vm.count("json"), as_md = vm.count("markdown");
  const std::string corpus = corpus_dir();
  o.references_dir = corpus + "/threatexchange/vpdq/reference-debian12/every-frame";
  if (videos.empty()) {
    std::string where;
    videos = video::default_videos(where);
    if (videos.empty()) {
      std::cerr << "vhm bench match: no videos given and none found in " << where << "\n";
      return 2;
    }
  }
  for (const char* name : kReferences)
    if (!std::filesystem::exists(o.references_dir + "/" + name + ".txt")) {
      std::cerr << "vhm bench match: reference hashes not found: " << o.references_dir << "/" << name << ".txt\n";
      return 2;
    }

  const Environment env = read_environment();
  const std::string header = to_text(env);
  if (!as_json) std::cout << header << std::flush;

  // ---- 1. the bank
  std::string dir = o.bank_dir;
  bool temp = false, reused = false;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vhm-bench-match-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      std::cerr << "vhm bench match: mkdtemp failed\n";
      return 1;
    }
    dir = tmpl + "/bank";
    temp = true;
  }
  auto cleanup = [&] {
    if (temp) {
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::path(dir).parent_path(), ec);
    }
  };
  json jbank{{"n", o.n}, {"index", o.index}, {"dir", temp ? std::string("(temporary)") : dir}};
  reused = std::filesystem::exists(std::filesystem::path(dir) / kBankDatabaseFile);
  jbank["reused"] = reused;
  if (!reused) {
    if (!as_json)
      std::cout << "building a bank of " << human_n(o.n) << " background frames + 3 references...\n" << std::flush;
    auto c = video::run_in_child([&] { return build_bank(dir, o); });
    if (!c.ok) {
      std::cerr << "vhm bench match: bank build: " << c.error << "\n";
      cleanup();
      return 1;
    }
    jbank["add_s"] = c.value["add_s"];
    jbank["background_contents"] = c.value["background_contents"];
    jbank["add_peak_rss_mib"] = static_cast<double>(c.max_rss_kib) / 1024.0;
  }
  if (reused || !std::filesystem::exists(std::filesystem::path(dir) / kBankIndexFile)) {
    auto c = video::run_in_child([&] { return build_index(dir, o.index); });
    if (!c.ok) {
      std::cerr << "vhm bench match: index build: " << c.error << "\n";
      cleanup();
      return 1;
    }
    jbank["index_build_s"] = c.value["index_build_s"];
    jbank["index_origin"] = c.value["origin"];
    jbank["index_build_peak_rss_mib"] = static_cast<double>(c.max_rss_kib) / 1024.0;
  }
  auto t0 = Clock::now();
  BankOptions open_options;
  open_options.search_threads = nthreads;
  auto opened = Bank::open(dir, open_options);
  if (!opened) {
    std::cerr << "vhm bench match: open: " << opened.status().to_string() << "\n";
    cleanup();
    return 1;
  }
  Bank& bank = **opened;
  jbank["open_s"] = seconds_since(t0);
  const BankIndexInfo info = bank.index_info();
  jbank["open_origin"] = info.origin;
  jbank["index_spec"] = info.spec;
  jbank["index_memory_mib"] = static_cast<double>(info.memory_bytes) / (1024.0 * 1024.0);
  if (auto st = bank.stats()) {
    jbank["frames_live"] = st->frames_live;
    jbank["contents_live"] = st->contents_live;
    jbank["database_mib"] = static_cast<double>(st->database_bytes) / (1024.0 * 1024.0);
  }
  jbank["open_rss_mib"] = static_cast<double>(proc_status_kib("VmRSS:")) / 1024.0;
  if (!as_json) {
    std::cout << "bank: " << jbank.value("frames_live", int64_t{0}) << " frames, "
              << jbank.value("contents_live", int64_t{0}) << " contents, index " << info.spec << " ("
              << fmt(jbank["index_memory_mib"], 0) << " MiB)";
    if (jbank.contains("add_s")) std::cout << "; add " << fmt(jbank["add_s"], 1) << " s";
    if (jbank.contains("index_build_s")) std::cout << ", index build " << fmt(jbank["index_build_s"], 1) << " s";
    std::cout << ", open " << fmt(jbank["open_s"], 2) << " s (" << info.origin << ")"
              << (reused ? ", reused " + dir : std::string()) << "\n"
              << std::flush;
  }

  // ---- 2. the queries
  MatchConfig config;
  config.hashing.video = mode->config(nthreads, Device::kCpu);
  config.hashing.video.crop_bars = !vm.count("no-bars");
  config.hashing.video.timestamps = TimestampMode::kPresentation;
  av_log_set_level(AV_LOG_FATAL);
  const Matcher matcher(bank, config);
  std::vector<VideoRow> rows;
  for (const auto& path : videos) {
    video::warm_page_cache(path);
    VideoRow row;
    row.file = video::base_name(path);
    row.expected = expected_for(row.file);
    row.hard = is_hard_case(row.file);
    const Input input{path, kind_of(path), row.file};
    t0 = Clock::now();
    const InputMatch m = matcher.match_input(input);
    row.total_s = seconds_since(t0);
    row.lookup_s = m.lookup_seconds;
    row.codes = m.codes_searched;
    row.frames = static_cast<int64_t>(m.frames.size());
    if (m.hashed.video) {
      row.hash_s = m.hashed.video->elapsed_seconds;
      row.duration_s = m.hashed.video->info.duration_seconds;
    }
    if (!m.ok()) {
      row.error = m.status.to_string();
      row.status = "ERROR";
    } else {
      for (const auto& v : m.verdicts)
        if (v.verdict.match)
          row.matches.push_back(v.external_id.empty() ? "#" + std::to_string(v.verdict.content) : v.external_id);
      if (!row.matches.empty()) {
        row.verdict = row.matches.front();
        for (const auto& v : m.verdicts)
          if (v.verdict.match) {
            row.query_match = v.verdict.query_match_percent;
            break;
          }
      }
      const bool wrong = std::any_of(row.matches.begin(), row.matches.end(),
                                     [&](const std::string& id) { return id != row.expected; });
      const bool found =
          !row.expected.empty() && std::find(row.matches.begin(), row.matches.end(), row.expected) != row.matches.end();
      if (wrong) row.status = "FALSE-POSITIVE";
      else if (row.expected.empty() || found) row.status = "OK";
      else row.status = row.hard ? "hard case" : "MISS";
    }
    if (!as_json) {
      std::cout << row.file << ": " << row.frames << " frames / " << row.codes << " codes, hash " << fmt(row.hash_s, 3)
                << " s, lookup " << fmt(row.lookup_s, 4) << " s -> " << row.verdict << " (expected "
                << (row.expected.empty() ? "none" : row.expected) << "): " << row.status;
      if (!row.error.empty()) std::cout << " " << row.error;
      std::cout << "\n" << std::flush;
    }
    rows.push_back(std::move(row));
  }

  // ---- 3. report
  json jvideos = json::array();
  std::vector<double> totals;
  double sum_total = 0, sum_lookup = 0, sum_hash = 0, sum_duration = 0;
  int64_t sum_frames = 0;
  size_t sum_codes = 0, ok = 0, miss = 0, fp = 0, hard = 0, errors = 0;
  for (const auto& r : rows) {
    jvideos.push_back({{"file", r.file},
                       {"frames_searched", r.frames},
                       {"codes_searched", r.codes},
                       {"hash_s", r.hash_s},
                       {"lookup_s", r.lookup_s},
                       {"total_s", r.total_s},
                       {"duration_s", r.duration_s},
                       {"x_realtime", r.total_s > 0 ? r.duration_s / r.total_s : 0.0},
                       {"matched", !r.matches.empty()},
                       {"verdict", r.verdict},
                       {"matches", r.matches},
                       {"query_match_percent", r.query_match},
                       {"expected", r.expected.empty() ? "none" : r.expected},
                       {"hard_case", r.hard},
                       {"status", r.status},
                       {"error", r.error}});
    totals.push_back(r.total_s);
    sum_total += r.total_s, sum_lookup += r.lookup_s, sum_hash += r.hash_s, sum_duration += r.duration_s;
    sum_frames += r.frames, sum_codes += r.codes;
    ok += r.status == "OK", miss += r.status == "MISS", fp += r.status == "FALSE-POSITIVE";
    hard += r.status == "hard case", errors += r.status == "ERROR";
  }
  double mean = 0;
  for (double t : totals) mean += t;
  mean = totals.empty() ? 0 : mean / static_cast<double>(totals.size());
  const json jtotals{{"videos", rows.size()},
                     {"ok", ok},
                     {"miss", miss},
                     {"false_positive", fp},
                     {"hard_case", hard},
                     {"errors", errors},
                     {"frames_searched", sum_frames},
                     {"codes_searched", sum_codes},
                     {"hash_s", sum_hash},
                     {"lookup_s", sum_lookup},
                     {"total_s", sum_total},
                     {"duration_s", sum_duration},
                     {"x_realtime", sum_total > 0 ? sum_duration / sum_total : 0.0},
                     {"videos_per_s", sum_total > 0 ? static_cast<double>(rows.size()) / sum_total : 0.0},
                     {"lookup_frames_per_s", sum_lookup > 0 ? static_cast<double>(sum_frames) / sum_lookup : 0.0},
                     {"lookup_codes_per_s", sum_lookup > 0 ? static_cast<double>(sum_codes) / sum_lookup : 0.0},
                     {"latency_mean_s", mean},
                     {"latency_p50_s", percentile(totals, 50)},
                     {"latency_p95_s", percentile(totals, 95)},
                     {"peak_rss_mib", static_cast<double>(proc_status_kib("VmHWM:")) / 1024.0}};
  const json report{{"benchmark", "match"},
                    {"environment", to_json(env)},
                    {"bank", jbank},
                    {"config",
                     {{"sample", mode->name},
                      {"threads", nthreads},
                      {"inside_bars", config.hashing.video.crop_bars},
                      {"dihedral", config.dihedral},
                      {"distance", config.thresholds.distance},
                      {"quality", config.thresholds.quality},
                      {"query_threshold", config.thresholds.query_threshold},
                      {"bank_threshold", config.thresholds.bank_threshold}}},
                    {"videos", jvideos},
                    {"totals", jtotals}};
  bank.wait_for_merge();
  opened->reset();
  cleanup();

  auto bank_line = [&] {
    std::string s = "bank: " + human_n(o.n) + " background frames (" + std::to_string(o.frames_per_content) +
                    "-frame synthetic videos) + 3 reference videos, index " + o.index;
    if (jbank.contains("add_s")) s += "; add " + fmt(jbank["add_s"], 1) + " s";
    if (jbank.contains("index_build_s")) s += ", index build " + fmt(jbank["index_build_s"], 1) + " s";
    s += ", open (index load) " + fmt(jbank["open_s"], 2) + " s; index " + fmt(jbank["index_memory_mib"], 0) + " MiB";
    return s;
  };
  auto table = [&](std::ostream& out) {
    out << "| video | frames | codes | hash s | lookup s | total s | x real time | verdict | expected | |\n"
        << "|---|---:|---:|---:|---:|---:|---:|---|---|---|\n";
    for (const auto& r : rows)
      out << "| " << r.file << " | " << r.frames << " | " << r.codes << " | " << fmt(r.hash_s, 3) << " | "
          << fmt(r.lookup_s, 4) << " | " << fmt(r.total_s, 3) << " | "
          << fmt(r.total_s > 0 ? r.duration_s / r.total_s : 0.0, 1) << " | " << r.verdict << " | "
          << (r.expected.empty() ? "none" : r.expected) << " | " << r.status << " |\n";
    out << "| **total** | " << sum_frames << " | " << sum_codes << " | " << fmt(sum_hash, 3) << " | "
        << fmt(sum_lookup, 4) << " | " << fmt(sum_total, 3) << " | "
        << fmt(sum_total > 0 ? sum_duration / sum_total : 0.0, 1) << " | " << ok << " OK, " << miss << " MISS, " << fp
        << " FP, " << hard << " hard | | |\n";
  };
  auto totals_line = [&] {
    return std::to_string(rows.size()) + " videos in " + fmt(sum_total, 2) + " s: " + fmt(jtotals["videos_per_s"], 2) +
           " videos/s, " + fmt(jtotals["lookup_frames_per_s"], 0) + " query frames/s through lookup (" +
           fmt(jtotals["lookup_codes_per_s"], 0) + " codes/s), latency mean/p50/p95 " + fmt(mean * 1000, 0) + "/" +
           fmt(percentile(totals, 50) * 1000, 0) + "/" + fmt(percentile(totals, 95) * 1000, 0) + " ms, peak RSS " +
           fmt(jtotals["peak_rss_mib"], 0) + " MiB";
  };
  if (as_json) {
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << "\n"
              << bank_line() << "\nsample " << mode->name << ", " << nthreads << " thread(s), bar variants "
              << (config.hashing.video.crop_bars ? "on" : "off") << "\n\n";
    table(std::cout);
    std::cout << "\n" << totals_line() << "\n";
  }
  if (as_md) {
    std::cout << "\n```\n"
              << header << "```\n\n"
              << bank_line() << ". Sample " << mode->name << ", " << nthreads << " thread(s).\n\n";
    table(std::cout);
    std::cout << "\n" << totals_line() << ".\n";
  }
  return (miss || fp || errors) ? 1 : 0;
}

}  // namespace vhm::bench
