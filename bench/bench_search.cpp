// vhm bench search: every HashIndex side by side on banks of frame hashes.
//
// A bank of N codes is generated once per size (deterministic in --seed):
//   synthetic  uniform random codes; planted clusters (a base and one variant at each
//              --planted-distances from it, 5% of the bank); and every real frame hash
//              of the corpus (--corpus-frames) mixed in at random rows.
//   clustered  corpus-derived, shaped like a bank of videos: scenes start from a real
//              frame hash moved by 40..90 bits, frames walk 0..3 bits from the previous
//              one (kept within 24 bits of the scene root), 20..150 frames a scene,
//              100..600 a video. Real frame hashes are biased and clustered; so are these.
// Queries come in video-sized batches (--batch, 300 frames): for synthetic banks a third
// are planted bases (known matches at known distances), a third real frames moved by
// 0..16 bits, a third random; for clustered banks half are bank frames moved by 0..24
// bits and half fresh frames of unseen scenes.
//
// The truth is an exhaustive scan (the flat kernels) at --radius. Each index then runs in
// a forked child, so its memory is its own: build (one add() of the whole bank) time,
// RSS growth (VmRSS after - before) and build peak (VmHWM, reset through clear_refs),
// memory_bytes(), then query frames/s and per-batch latency at each --threads, recall
// against the truth and hits beyond it (both must be perfect for exact indexes). With
// --save-dir the index is saved and loaded again in a fresh process (this binary with
// --load-probe), which reports load time and its peak RSS.
#include <faiss/Index.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "bench/plot.h"
#include "index/hamming_scan.h"
#include "index/hash_index.h"
#include "index/index_flat.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------- memory

long rss_kib() { return proc_status_kib("VmRSS:"); }
long hwm_kib() { return proc_status_kib("VmHWM:"); }
// Resets VmHWM to the current RSS (Linux: "5" > /proc/self/clear_refs).
bool reset_hwm() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

// ---------------------------------------------------------------------------- banks

using Rng = SplitMix64;

Hash256 flip(const Hash256& code, int d, Rng& rng) {  // exactly d distinct bits flipped
  Hash256 out = code;
  int done = 0;
  while (done < d) {
    const int b = static_cast<int>(rng.below(256));
    if (out.bit(b) != code.bit(b)) continue;
    out.words[b >> 6] ^= uint64_t{1} << (b & 63);
    ++done;
  }
  return out;
}

std::vector<Hash256> read_corpus_frames(const std::string& dir, std::string& note) {
  std::vector<Hash256> out;
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".txt") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    for (std::string line; std::getline(in, line);) {
      // frame,quality,hex,timestamp
      const size_t a = line.find(','), b = a == std::string::npos ? a : line.find(',', a + 1);
      if (b == std::string::npos) continue;
      const size_t c = line.find(',', b + 1);
      if (auto h = Hash256::from_hex(line.substr(b + 1, c == std::string::npos ? c : c - b - 1))) out.push_back(*h);
    }
  }
  note = std::to_string(out.size()) + " real frame hashes from " + std::to_string(files.size()) + " files in " + dir;
  return out;
}

struct Bank {
  std::string kind;
  std::vector<Hash256> codes;
  std::vector<HashId> ids;
  std::vector<Hash256> queries;
  std::vector<std::string> query_kind;  // per query
  // Planted: for planted-base queries, (query, id) pairs that must match at the radius.
  std::vector<std::pair<uint32_t, HashId>> planted_expected;
  std::string description;
};

Bank synthetic_bank(size_t n, size_t nq, const std::vector<Hash256>& real, const std::vector<int>& planted_d,
                    int radius, uint64_t seed) {
  Rng rng{seed};
  Bank b;
  b.kind = "synthetic";
  b.codes.resize(n);
  for (auto& c : b.codes) c = rng.code();
  // Planted clusters: base + one variant per planted distance, 5% of the bank.
  const size_t per = 1 + planted_d.size();
  const size_t clusters = n / 20 / per;
  std::vector<size_t> bases;
  size_t row = 0;
  for (size_t c = 0; c < clusters; ++c) {
    const Hash256 base = b.codes[row];
    bases.push_back(row);
    ++row;
    for (int d : planted_d) b.codes[row++] = flip(base, d, rng);
  }
  // Real frames at random rows after the planted ones.
  const size_t nreal = std::min(real.size(), n / 4);
  for (size_t i = 0; i < nreal && row < n; ++i) b.codes[row + rng.below(n - row)] = real[i];
  b.ids.resize(n);
  for (size_t i = 0; i < n; ++i) b.ids[i] = static_cast<HashId>(i) * 3 + 1;  // ids are not rows
  for (size_t i = 0; i < nq; ++i) {
    const int kind = static_cast<int>(i % 3);
    if (kind == 0 && !bases.empty()) {
      const size_t c = rng.below(bases.size());
      b.queries.push_back(b.codes[bases[c]]);
      b.query_kind.push_back("planted");
      for (size_t j = 0; j <= planted_d.size(); ++j)
        if (j == 0 || planted_d[j - 1] <= radius)
          b.planted_expected.emplace_back(static_cast<uint32_t>(i), b.ids[bases[c] + j]);
    } else if (kind == 1 && nreal > 0) {
      b.queries.push_back(flip(real[rng.below(nreal)], static_cast<int>(rng.below(17)), rng));
      b.query_kind.push_back("real");
    } else {
      b.queries.push_back(rng.code());
      b.query_kind.push_back("random");
    }
  }
  char buf[300];
  std::snprintf(buf, sizeof buf,
                "%zu codes: %zu planted clusters (base + variants at the planted distances), %zu real frame "
                "hashes, the rest uniform random; %zu queries (1/3 planted bases, 1/3 real frames moved 0..16 "
                "bits, 1/3 random)",
                n, clusters, nreal, nq);
  b.description = buf;
  return b;
}

Bank clustered_bank(size_t n, size_t nq, const std::vector<Hash256>& real, uint64_t seed) {
  Rng rng{seed};
  Bank b;
  b.kind = "clustered";
  b.codes.reserve(n);
  auto scene_root = [&]() {
    const Hash256 from = real.empty() ? rng.code() : real[rng.below(real.size())];
    return flip(from, 40 + static_cast<int>(rng.below(51)), rng);
  };
  size_t videos = 0, scenes = 0;
  while (b.codes.size() < n) {
    ++videos;
    size_t video_left = 100 + rng.below(501);
    while (video_left > 0 && b.codes.size() < n) {
      ++scenes;
      const Hash256 root = scene_root();
      Hash256 frame = root;
      for (size_t f = 20 + rng.below(131); f > 0 && video_left > 0 && b.codes.size() < n; --f, --video_left) {
        Hash256 next = flip(frame, static_cast<int>(rng.below(4)), rng);
        if (next.hamming(root) <= 24) frame = next;
        b.codes.push_back(frame);
      }
    }
  }
  b.ids.resize(n);
  for (size_t i = 0; i < n; ++i) b.ids[i] = static_cast<HashId>(i) * 3 + 1;
  for (size_t i = 0; i < nq; ++i) {
    if (i % 2 == 0) {
      b.queries.push_back(flip(b.codes[rng.below(n)], static_cast<int>(rng.below(25)), rng));
      b.query_kind.push_back("near-bank");
    } else {
      b.queries.push_back(flip(scene_root(), static_cast<int>(rng.below(4)), rng));
      b.query_kind.push_back("unseen");
    }
  }
  char buf[300];
  std::snprintf(buf, sizeof buf,
                "%zu corpus-derived codes: %zu videos, %zu scenes (root = a real frame hash moved 40..90 bits, "
                "frames walk 0..3 bits within 24 of it); %zu queries (1/2 bank frames moved 0..24 bits, 1/2 frames "
                "of unseen scenes)",
                n, videos, scenes, nq);
  b.description = buf;
  return b;
}

// The exhaustive truth: sorted ids per query. On std::threads, not OpenMP: the indexes
// run in forked children, and libgomp's thread pool does not survive a fork (a child
// of a parent that used it hangs in its first parallel region).
std::vector<std::vector<HashId>> truth_of(const Bank& bank, int radius) {
  const size_t nq = bank.queries.size(), workers = std::max(1u, std::thread::hardware_concurrency());
  constexpr size_t kChunk = 16;
  std::vector<std::vector<RangeHit>> parts((nq + kChunk - 1) / kChunk);
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w)
    pool.emplace_back([&] {
      for (size_t c; (c = next++) < parts.size();)
        index_detail::scan_range_chunk(bank.codes.data(), bank.ids.data(), bank.codes.size(), bank.queries, c * kChunk,
                                       std::min(nq, (c + 1) * kChunk), radius, parts[c]);
    });
  for (auto& t : pool) t.join();
  std::vector<std::vector<HashId>> t(nq);
  for (const auto& part : parts)
    for (const auto& h : part) t[h.query].push_back(h.id);
  for (auto& v : t) std::sort(v.begin(), v.end());
  return t;
}

// ---------------------------------------------------------------------------- runs

struct Options {
  std::vector<size_t> sizes;
  std::vector<std::string> indexes;
  std::vector<int> threads;
  size_t queries = 3000, batch = 300;
  int radius = 31;
  std::vector<int> planted;
  std::string corpus_frames, bank_kind = "synthetic", save_dir, plot_dir;
  double max_seconds = 15;
  uint64_t seed = 1;
};

std::string file_name_for(const std::string& spec, size_t n) {
  std::string s = spec;
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s + "_" + std::to_string(n) + ".vhmidx";
}

// In the child: build, measure, search at each thread count, save.
json run_index(const std::string& spec, const Bank& bank, const std::vector<std::vector<HashId>>& truth,
               const Options& o) {
  json r;
  r["spec"] = spec;
  const long rss0 = rss_kib();
  const bool hwm_ok = reset_hwm();
  auto made = make_hash_index(spec);
  if (!made) return {{"error", made.status().to_string()}};
  std::unique_ptr<HashIndex> index = std::move(made).value();
  auto t0 = Clock::now();
  if (Status s = index->add(bank.codes, bank.ids); !s.is_ok()) return {{"error", "add: " + s.to_string()}};
  r["build_s"] = seconds_since(t0);
  const long rss1 = rss_kib(), hwm1 = hwm_kib();
  r["rss_growth_mib"] = static_cast<double>(rss1 - rss0) / 1024.0;
  r["build_peak_mib"] = hwm_ok ? static_cast<double>(hwm1 - rss0) / 1024.0 : -1.0;
  r["memory_bytes_mib"] = static_cast<double>(index->memory_bytes()) / (1024.0 * 1024.0);
  r["exact"] = index->exact();
  r["description"] = index->description();
  r["size"] = index->size();
  json runs = json::array();
  const size_t nq = bank.queries.size();
  for (const int threads : o.threads) {
    std::vector<RangeHit> hits;
    // Warm-up (thread pool, scratch buffers): a few queries, untimed.
    (void)index->range_search(std::span(bank.queries).subspan(0, std::min<size_t>(16, nq)), o.radius, hits,
                              {.threads = threads});
    std::vector<double> lat;
    size_t done = 0, expected = 0, found_true = 0, extra = 0, total_hits = 0;
    double busy = 0;
    for (size_t b0 = 0; b0 < nq; b0 += o.batch) {
      const size_t len = std::min(o.batch, nq - b0);
      hits.clear();
      const auto t = Clock::now();
      if (Status s =
              index->range_search(std::span(bank.queries).subspan(b0, len), o.radius, hits, {.threads = threads});
          !s.is_ok())
        return {{"error", "range_search: " + s.to_string()}};
      const double dt = seconds_since(t);
      busy += dt;
      lat.push_back(dt * 1000.0);
      done += len;
      total_hits += hits.size();
      // Recall against the truth, query by query.
      std::vector<std::vector<HashId>> got(len);
      for (const auto& h : hits) got[h.query].push_back(h.id);
      for (size_t q = 0; q < len; ++q) {
        auto& g = got[q];
        std::sort(g.begin(), g.end());
        g.erase(std::unique(g.begin(), g.end()), g.end());
        const auto& want = truth[b0 + q];
        std::vector<HashId> common;
        std::set_intersection(g.begin(), g.end(), want.begin(), want.end(), std::back_inserter(common));
        expected += want.size();
        found_true += common.size();
        extra += g.size() - common.size();
      }
      if (busy > o.max_seconds) break;
    }
    runs.push_back({{"threads", threads},
                    {"queries", done},
                    {"seconds", busy},
                    {"qps", busy > 0 ? static_cast<double>(done) / busy : 0.0},
                    {"batch_ms_p50", percentile(lat, 50)},
                    {"batch_ms_p95", percentile(lat, 95)},
                    {"batch_ms_p99", percentile(lat, 99)},
                    {"hits", total_hits},
                    {"expected", expected},
                    {"recall", expected ? static_cast<double>(found_true) / static_cast<double>(expected) : 1.0},
                    {"extra", extra}});
  }
  r["runs"] = runs;
  if (!o.save_dir.empty()) {
    const std::string path = (std::filesystem::path(o.save_dir) / file_name_for(spec, bank.codes.size())).string();
    t0 = Clock::now();
    if (Status s = index->save(path); !s.is_ok()) return {{"error", "save: " + s.to_string()}};
    r["save_s"] = seconds_since(t0);
    r["file_mib"] = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);
    r["file"] = path;
  }
  return r;
}

// The fresh process that loads a saved index (vhm bench search --load-probe FILE).
int load_probe(const std::string& path, int radius) {
  const auto t0 = Clock::now();
  auto loaded = load_hash_index(path);
  const double load_s = seconds_since(t0);
  json r;
  if (!loaded) {
    r["error"] = loaded.status().to_string();
  } else {
    Rng rng{99};
    std::vector<Hash256> q(300);
    for (auto& c : q) c = rng.code();
    std::vector<RangeHit> hits;
    const auto t1 = Clock::now();
    Status s = (*loaded)->range_search(q, radius, hits);
    r = {{"load_s", load_s},          {"size", (*loaded)->size()},
         {"spec", (*loaded)->spec()}, {"batch_ms", seconds_since(t1) * 1000.0},
         {"search_ok", s.is_ok()},    {"peak_rss_mib", static_cast<double>(hwm_kib()) / 1024.0}};
  }
  std::cout << r.dump() << "\n";
  return r.contains("error") ? 1 : 0;
}

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("vhm") : p.string();
}

// Index specs split at commas, except inside "ivf:...,nprobe=P".
std::vector<std::string> split_specs(const std::string& list) {
  std::vector<std::string> out;
  for (const auto& item : video::split_list(list)) {
    if (!out.empty() && item.rfind("nprobe=", 0) == 0) out.back() += "," + item;
    else out.push_back(item);
  }
  return out;
}

// ---------------------------------------------------------------------------- plots

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// search-throughput (q/s against threads, a line per index, per bank when several) and
// search-recall (lowest recall over the thread counts, as the Markdown table reports it).
std::vector<plot::Chart> search_charts(const json& report, const Options& o) {
  plot::Chart qps;
  qps.name = "search-throughput";
  qps.title = "vhm bench search: radius " + std::to_string(o.radius) + " range search, batches of " +
              std::to_string(o.batch) + " query frames";
  qps.xlabel = "search threads";
  qps.ylabel = "query frames/s";
  qps.kind = plot::ChartKind::kLines;
  qps.log_x = true;
  for (const int t : o.threads) qps.xs.push_back(t);
  qps.values.resize(o.threads.size());
  plot::Chart recall;
  recall.name = "search-recall";
  recall.title = "vhm bench search: recall against the exhaustive scan (radius " + std::to_string(o.radius) + ")";
  recall.xlabel = "index";
  recall.ylabel = "recall % (lowest over the thread counts)";
  recall.kind = plot::ChartKind::kBars;
  recall.y_min = 0.0;
  recall.y_max = 100.0;
  recall.row_labels = o.indexes;
  recall.values.assign(o.indexes.size(), {});
  const bool several_banks = report["banks"].size() > 1;
  for (const auto& jb : report["banks"]) {
    const std::string bank = human_n(jb["n"].get<size_t>());
    recall.series.push_back(bank + " " + jb["kind"].get<std::string>() + " codes");
    for (size_t i = 0; i < o.indexes.size(); ++i) {
      const json& ji = jb["indexes"][i];
      const bool ok = !ji.contains("error");
      qps.series.push_back(several_banks ? o.indexes[i] + " @ " + bank : o.indexes[i]);
      double lowest = kNoValue;  // stays NaN (no bar) for an index that failed
      for (size_t t = 0; t < o.threads.size(); ++t) {
        if (!ok) {
          qps.values[t].push_back(kNoValue);
          continue;
        }
        const json& run = ji["runs"][t];  // one run per --threads entry, in order
        qps.values[t].push_back(run["qps"].get<double>());
        lowest = std::fmin(lowest, run["recall"].get<double>());  // fmin skips the NaN
      }
      recall.values[i].push_back(100.0 * lowest);
    }
  }
  plot::choose_y_axis(qps);  // q/s of a scan and of MIH differ by orders of magnitude
  return {qps, recall};
}

}  // namespace

int run_search(int argc, char** argv) {
  Options o;
  std::string sizes = "1000000", indexes = "flat,faiss-flat,faiss-mih,mih,ivf", threads = "1,2",
              planted = "0,2,4,8,16,24,31,32,40", load_probe_path;
  const std::string default_corpus =
      std::string(VHM_SOURCE_DIR) + "/../shared/corpus/threatexchange/vpdq/reference-debian12/every-frame";
  po::options_description desc(
      "vhm bench search: HashIndex build, memory, save/load, exact radius search throughput and recall");
  desc.add_options()("help,h", "this help")("n", po::value(&sizes)->default_value(sizes),
                                            "bank sizes, comma-separated (1000000, 1e6, 1M, 10M)")(
      "index", po::value(&indexes)->default_value(indexes),
      "index factory strings, comma-separated (flat, faiss-flat, faiss-mih[:BITS], mih[:TxB], ivf[:NLIST][,nprobe=P], "
      "gpu-flat)")("threads", po::value(&threads)->default_value(threads), "search threads, comma-separated")(
      "queries", po::value(&o.queries)->default_value(o.queries), "query frames")(
      "batch", po::value(&o.batch)->default_value(o.batch), "query frames per range_search call (one video)")(
      "radius", po::value(&o.radius)->default_value(o.radius), "max Hamming distance, inclusive (PDQ: 31)")(
      "planted-distances", po::value(&planted)->default_value(planted),
      "distances of the planted near-duplicates from their base")(
      "corpus-frames", po::value(&o.corpus_frames)->default_value(default_corpus),
      "directory of vPDQ every-frame .txt files (frame,quality,hex,ts) mixed into the bank; 'none' for none")(
      "bank", po::value(&o.bank_kind)->default_value(o.bank_kind), "synthetic | clustered (corpus-derived)")(
      "save-dir", po::value(&o.save_dir), "save each index here and load it in a fresh process")(
      "max-seconds", po::value(&o.max_seconds)->default_value(o.max_seconds),
      "search time per index and thread count; slow indexes answer a prefix of the queries")(
      "seed", po::value(&o.seed)->default_value(o.seed), "bank and query seed")("json", "print JSON")(
      "markdown", "print Markdown tables")("plot", po::value(&o.plot_dir)->value_name("DIR"),
                                           "write SVG charts (gnuplot) of the figures to DIR")(
      "load-probe", po::value(&load_probe_path), "(internal) load FILE, print JSON");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "vhm bench search: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (vm.count("load-probe")) return load_probe(load_probe_path, o.radius);
  for (const auto& s : video::split_list(sizes)) {
    auto n = parse_count(s);
    if (!n || *n < 1) {
      std::cerr << "vhm bench search: bad --n '" << s << "'\n";
      return 2;
    }
    o.sizes.push_back(*n);
  }
  o.indexes = split_specs(indexes);
  for (const auto& spec : o.indexes)
    if (auto probe = make_hash_index(spec); !probe && probe.status().code() != StatusCode::kUnavailable) {
      std::cerr << "vhm bench search: " << probe.status().to_string() << "\n";
      return 2;
    }
  for (const auto& t : video::split_list(threads)) o.threads.push_back(std::max(1, std::atoi(t.c_str())));
  for (const auto& d : video::split_list(planted)) o.planted.push_back(std::atoi(d.c_str()));
  if (o.bank_kind != "synthetic" && o.bank_kind != "clustered") {
    std::cerr << "vhm bench search: --bank is synthetic or clustered\n";
    return 2;
  }
  if (o.batch == 0 || o.queries == 0) {
    std::cerr << "vhm bench search: --batch and --queries must be > 0\n";
    return 2;
  }
  if (!o.save_dir.empty()) std::filesystem::create_directories(o.save_dir);
  const bool as_json = vm.count("json"), as_md = vm.count("markdown");

  const Environment env = read_environment();
  std::vector<Hash256> real;
  std::string corpus_note = "no real frames";
  if (o.corpus_frames != "none") real = read_corpus_frames(o.corpus_frames, corpus_note);
  std::string header = to_text(env);
  header += "faiss: " + std::to_string(FAISS_VERSION_MAJOR) + "." + std::to_string(FAISS_VERSION_MINOR) + "." +
            std::to_string(FAISS_VERSION_PATCH) + " (Debian, static)  vhm Hamming kernels: " + hamming::kernels().name +
            "\n";
  header += "corpus: " + corpus_note + "\n";
  if (!as_json) std::cout << header << std::flush;

  json report{{"environment", to_json(env)},
              {"hamming_kernels", hamming::kernels().name},
              {"corpus", corpus_note},
              {"radius", o.radius},
              {"batch", o.batch},
              {"banks", json::array()}};
  bool all_ok = true;
  for (const size_t n : o.sizes) {
    auto t0 = Clock::now();
    Bank bank = o.bank_kind == "synthetic" ? synthetic_bank(n, o.queries, real, o.planted, o.radius, o.seed)
                                           : clustered_bank(n, o.queries, real, o.seed);
    const double gen_s = seconds_since(t0);
    t0 = Clock::now();
    const auto truth = truth_of(bank, o.radius);
    const double truth_s = seconds_since(t0);
    size_t truth_hits = 0, with_match = 0;
    for (const auto& t : truth) truth_hits += t.size(), with_match += !t.empty();
    // The planted matches must all be in the truth (a check of the scan itself).
    size_t planted_missing = 0;
    for (const auto& [q, id] : bank.planted_expected)
      planted_missing += !std::binary_search(truth[q].begin(), truth[q].end(), id);
    json jb{{"n", n},
            {"kind", bank.kind},
            {"description", bank.description},
            {"generate_s", gen_s},
            {"truth_s", truth_s},
            {"truth_hits", truth_hits},
            {"queries_with_match", with_match},
            {"planted_expected", bank.planted_expected.size()},
            {"planted_missing", planted_missing},
            {"indexes", json::array()}};
    if (!as_json) {
      std::cout << "\n== bank " << human_n(n) << " (" << bank.kind << "): " << bank.description << "\n"
                << "truth (exhaustive scan, radius " << o.radius << "): " << truth_hits << " hits, " << with_match
                << "/" << bank.queries.size() << " queries match, " << fmt(truth_s)
                << " s; planted matches missing: " << planted_missing << " of " << bank.planted_expected.size() << "\n"
                << std::flush;
    }
    if (planted_missing) all_ok = false;
    for (const auto& spec : o.indexes) {
      auto c = video::run_in_child([&]() { return run_index(spec, bank, truth, o); });
      json ji = c.ok ? c.value : json{{"spec", spec}, {"error", c.error}};
      ji["child_peak_rss_mib"] = static_cast<double>(c.max_rss_kib) / 1024.0;
      if (c.ok && ji.contains("file")) {
        const auto p = video::run_process({self_exe(), "bench", "search", "--load-probe", ji["file"].get<std::string>(),
                                           "--radius", std::to_string(o.radius)});
        try {
          const json l = json::parse(p.out);
          if (l.contains("error")) ji["load_error"] = l["error"];
          else ji["load"] = l;
        } catch (...) {
          ji["load_error"] = "load probe failed: " + p.err;
        }
        std::filesystem::remove(ji["file"].get<std::string>());
      }
      if (!c.ok) all_ok = false;
      if (!as_json) {
        if (!c.ok) {
          std::cout << spec << ": " << c.error << "\n";
        } else {
          std::cout << spec << ": " << ji["description"].get<std::string>() << "\n  build " << fmt(ji["build_s"], 2)
                    << " s, RSS +" << fmt(ji["rss_growth_mib"], 0) << " MiB (build peak +"
                    << fmt(ji["build_peak_mib"], 0) << ", memory_bytes " << fmt(ji["memory_bytes_mib"], 0) << " MiB)";
          if (ji.contains("save_s"))
            std::cout << ", save " << fmt(ji["save_s"], 2) << " s (" << fmt(ji["file_mib"], 0) << " MiB)";
          if (ji.contains("load"))
            std::cout << ", load " << fmt(ji["load"]["load_s"], 2) << " s (fresh process, peak RSS "
                      << fmt(ji["load"]["peak_rss_mib"], 0) << " MiB)";
          if (ji.contains("load_error")) std::cout << ", LOAD FAILED: " << ji["load_error"].get<std::string>();
          std::cout << "\n";
          for (const auto& r : ji["runs"])
            std::cout << "  " << r["threads"].get<int>() << " thread(s): " << fmt(r["qps"], 0) << " query frames/s ("
                      << r["queries"].get<size_t>() << " queries), batch of " << o.batch << " p50/p95/p99 "
                      << fmt(r["batch_ms_p50"]) << "/" << fmt(r["batch_ms_p95"]) << "/" << fmt(r["batch_ms_p99"])
                      << " ms, recall " << fmt(100.0 * r["recall"].get<double>(), 3) << "%, extra hits "
                      << r["extra"].get<size_t>() << "\n";
        }
        std::cout << std::flush;
      }
      if (c.ok && ji["exact"].get<bool>())
        for (const auto& r : ji["runs"])
          if (r["recall"].get<double>() < 1.0 || r["extra"].get<size_t>() > 0) all_ok = false;
      jb["indexes"].push_back(ji);
    }
    report["banks"].push_back(jb);
  }

  if (as_json) std::cout << report.dump(2) << "\n";
  if (as_md) {
    std::cout << "\n```\n" << header << "```\n";
    for (const auto& jb : report["banks"]) {
      std::cout << "\n**" << human_n(jb["n"].get<size_t>()) << " codes, " << jb["kind"].get<std::string>()
                << "**: " << jb["description"].get<std::string>() << ". Truth: " << jb["truth_hits"].get<size_t>()
                << " hits at radius " << o.radius << ".\n\n";
      std::cout << "| index | exact | build s | RSS MiB | build peak MiB | save s | file MiB | load s | load RSS MiB |";
      for (int t : o.threads) std::cout << " q/s " << t << "T |";
      std::cout << " batch p50/p95/p99 ms (" << o.threads.back()
                << "T) | recall |\n|---|---|---|---|---|---|---|---|---|";
      for (size_t i = 0; i < o.threads.size(); ++i) std::cout << "---|";
      std::cout << "---|---|\n";
      for (const auto& ji : jb["indexes"]) {
        if (ji.contains("error")) {
          std::cout << "| " << ji["spec"].get<std::string>() << " | " << ji["error"].get<std::string>() << " |\n";
          continue;
        }
        auto opt = [&](const char* key, int prec) { return ji.contains(key) ? fmt(ji[key], prec) : std::string("-"); };
        std::cout << "| " << ji["spec"].get<std::string>() << " | " << (ji["exact"].get<bool>() ? "yes" : "no") << " | "
                  << fmt(ji["build_s"], 2) << " | " << fmt(ji["rss_growth_mib"], 0) << " | "
                  << fmt(ji["build_peak_mib"], 0) << " | " << opt("save_s", 2) << " | " << opt("file_mib", 0) << " | "
                  << (ji.contains("load") ? fmt(ji["load"]["load_s"], 2) : "-") << " | "
                  << (ji.contains("load") ? fmt(ji["load"]["peak_rss_mib"], 0) : "-") << " |";
        double recall = 1.0;
        for (const auto& r : ji["runs"]) {
          std::cout << " " << fmt(r["qps"], 0) << " |";
          recall = std::min(recall, r["recall"].get<double>());
        }
        const auto& last = ji["runs"].back();
        std::cout << " " << fmt(last["batch_ms_p50"]) << " / " << fmt(last["batch_ms_p95"]) << " / "
                  << fmt(last["batch_ms_p99"]) << " | " << fmt(100.0 * recall, 2) << "% |\n";
      }
      std::cout << "\n";
      for (const auto& ji : jb["indexes"])
        if (ji.contains("description"))
          std::cout << "- `" << ji["spec"].get<std::string>() << "`: " << ji["description"].get<std::string>() << "\n";
    }
  }
  if (!o.plot_dir.empty() && !plot::render_and_report("search", o.plot_dir, search_charts(report, o))) all_ok = false;
  return all_ok ? 0 : 1;
}

}  // namespace vhm::bench
