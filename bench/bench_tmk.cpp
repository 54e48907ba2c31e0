// vhm bench tmk: TMK+PDQF lookup at bank scale, per level-1 VectorIndex spec.
//
// A bank of --contents N (100k, 1M) synthetic contents derived from the corpus's .tmk
// files (threatexchange/tmk/sample-hashes, 15 files of 263,344 bytes), deterministic in
// --seed:
//   near       --variants per corpus file: its features (pure average, every cos and
//              sin cell) plus Gaussian noise of sigma times each array's RMS, sigma
//              uniform in [0.1, 1.2] (level-1 with its source about 0.99 .. 0.64, so
//              both sides of the 0.7 threshold);
//   unrelated  the rest: a random unit direction mixed with a random corpus file's
//              pure average at weight a, a uniform in [0, 0.6] (cosines with the corpus
//              spread over 0 .. 0.6: hard negatives, not only orthogonal noise).
// A million .tmk files are 257 GB, so only the level-1 vectors (the normalised pure
// averages, 1 KiB each) are resident, as in the bank. Level-2 runs on real-size
// features: a near content's own (15 x variants of them), an unrelated content's from
// a pool of --pool sets (a corpus file with its 256 dimensions permuted, plus noise),
// content i taking pool entry i mod --pool.
// Queries: the 15 corpus files and --query-copies perturbed copies of each (sigma
// uniform in [0.05, 0.5]).
//
// The truth is a brute-force scan (double sums) of every vector: per query the best
// --candidates at level-1 >= threshold - 0.001 (the bank's first-cut slack). Each spec
// then runs in a forked child (its memory its own): build (add in chunks of 64k, a
// progress line each), RSS growth and build peak, memory_bytes(), then per query video
// the level-1 search alone and level-1 + level-2 on the short list (the bank's
// lookup_signals less the SQLite reads), candidates, matches, and recall against the
// truth: of the level-1 short list and of the final matches.
//
// Then a real SQLite bank (--bank-contents, 2,000 by default: 10% near, the rest
// unrelated, each a whole .tmk value added through Bank::add_contents) answers the same
// queries through Bank::lookup_signals: its p50/p99 and time per candidate show what
// reading and parsing each 257 KiB value costs beside level-2 in memory.
#include <faiss/Index.h>
#include <unistd.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "core/tmk_features.h"
#include "index/vector_index.h"
#include "signal/tmk_signal.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr float kSlack = 1e-3f;  // as bank_signals.cpp's first cut
constexpr int kDim = 256;

struct Options {
  std::vector<size_t> sizes;
  std::vector<std::string> specs;
  std::string corpus;
  int variants = 5, query_copies = 3, candidates = 100, repeat = 3;
  size_t pool = 256, bank_contents = 2000;
  double level1 = 0.7, level2 = 0.7;
  uint64_t seed = 1;
  std::string format = "table";
};

// ---------------------------------------------------------------------------- data

struct Rng {
  std::mt19937_64 gen;
  std::normal_distribution<float> normal{0.0f, 1.0f};
  explicit Rng(uint64_t seed) : gen(seed) {}
  float gauss() { return normal(gen); }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen); }
  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(gen); }
};

float rms(const std::vector<float>& v) {
  double s = 0;
  for (float e : v) s += double(e) * e;
  return v.empty() ? 0.0f : static_cast<float>(std::sqrt(s / static_cast<double>(v.size())));
}

void add_noise(std::vector<float>& v, double sigma, Rng& rng) {
  const float scale = static_cast<float>(sigma) * rms(v);
  for (float& e : v) e += scale * rng.gauss();
}

TmkFeatures perturbed(const TmkFeatures& f, double sigma, Rng& rng) {
  TmkFeatures out = f;
  add_noise(out.pure_average, sigma, rng);
  add_noise(out.cos_features, sigma, rng);
  add_noise(out.sin_features, sigma, rng);
  return out;
}

// f with its feature dimensions permuted (an unrelated video of the same statistics).
TmkFeatures permuted(const TmkFeatures& f, Rng& rng) {
  std::vector<int> perm(static_cast<size_t>(f.feature_dimension()));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng.gen);
  TmkFeatures out = f;
  const size_t d = perm.size();
  for (size_t k = 0; k < d; ++k) out.pure_average[k] = f.pure_average[static_cast<size_t>(perm[k])];
  for (size_t cell = 0; cell * d < f.cos_features.size(); ++cell)
    for (size_t k = 0; k < d; ++k) {
      out.cos_features[cell * d + k] = f.cos_features[cell * d + static_cast<size_t>(perm[k])];
      out.sin_features[cell * d + k] = f.sin_features[cell * d + static_cast<size_t>(perm[k])];
    }
  return out;
}

void normalize(float* v, int d) {
  double s = 0;
  for (int k = 0; k < d; ++k) s += double(v[k]) * v[k];
  if (s <= 0) return;
  const double inv = 1.0 / std::sqrt(s);
  for (int k = 0; k < d; ++k) v[k] = static_cast<float>(v[k] * inv);
}

struct Corpus {
  std::vector<std::string> names;
  std::vector<TmkFeatures> files;
};

Result<Corpus> read_corpus(const std::string& dir) {
  Corpus c;
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".tmk") paths.push_back(e.path().string());
  if (ec) return Status(StatusCode::kNotFound, "cannot list " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto f = parse_tmk(bytes);
    if (!f) return Status(StatusCode::kCorrupt, p + ": " + f.status().message());
    if (f->feature_dimension() != kDim) return Status(StatusCode::kInvalidArgument, p + ": not 256-d PDQF");
    c.names.push_back(std::filesystem::path(p).stem().string());
    c.files.push_back(std::move(f).value());
  }
  if (c.files.empty()) return Status(StatusCode::kNotFound, "no .tmk files in " + dir);
  return c;
}

struct Query {
  std::string name;
  TmkFeatures features;
  std::vector<float> unit;  // normalised pure average
};

// The synthetic bank: vectors resident, level-2 features by content id.
struct SyntheticBank {
  size_t n = 0;
  std::vector<float> vectors;  // n * 256, normalised
  std::vector<int64_t> ids;
  std::vector<int32_t> near_entry;  // per content: index into near_pool, or -1
  std::vector<TmkFeatures> near_pool, far_pool;
  size_t near_count = 0;
  const TmkFeatures& features(int64_t id) const {
    const int32_t e = near_entry[static_cast<size_t>(id)];
    return e >= 0 ? near_pool[static_cast<size_t>(e)] : far_pool[static_cast<size_t>(id) % far_pool.size()];
  }
};

std::vector<Query> make_queries(const Corpus& c, int copies, Rng& rng) {
  std::vector<Query> q;
  for (size_t f = 0; f < c.files.size(); ++f) q.push_back({c.names[f], c.files[f], {}});
  for (int k = 0; k < copies; ++k)
    for (size_t f = 0; f < c.files.size(); ++f)
      q.push_back({c.names[f] + "~" + std::to_string(k + 1), perturbed(c.files[f], rng.uniform(0.05, 0.5), rng), {}});
  for (auto& e : q) {
    e.unit = e.features.pure_average;
    normalize(e.unit.data(), kDim);
  }
  return q;
}

SyntheticBank make_bank(const Corpus& c, const Options& o, size_t n, Rng& rng) {
  SyntheticBank b;
  b.n = n;
  b.vectors.resize(n * kDim);
  b.ids.resize(n);
  std::iota(b.ids.begin(), b.ids.end(), int64_t{0});
  b.near_entry.assign(n, -1);
  // Near contents at random rows.
  const size_t want_near = std::min(n, c.files.size() * static_cast<size_t>(o.variants));
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), size_t{0});
  for (size_t i = 0; i < want_near; ++i) std::swap(rows[i], rows[i + rng.below(n - i)]);
  for (size_t i = 0; i < want_near; ++i) {
    const size_t f = i % c.files.size();
    b.near_pool.push_back(perturbed(c.files[f], rng.uniform(0.1, 1.2), rng));
    b.near_entry[rows[i]] = static_cast<int32_t>(i);
    std::copy_n(b.near_pool.back().pure_average.data(), kDim, b.vectors.data() + rows[i] * kDim);
    normalize(b.vectors.data() + rows[i] * kDim, kDim);
  }
  b.near_count = want_near;
  for (size_t p = 0; p < o.pool; ++p)
    b.far_pool.push_back(perturbed(permuted(c.files[rng.below(c.files.size())], rng), 0.3, rng));
  std::vector<std::vector<float>> corpus_units;
  for (const auto& f : c.files) {
    corpus_units.push_back(f.pure_average);
    normalize(corpus_units.back().data(), kDim);
  }
  const auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    if (b.near_entry[i] >= 0) continue;
    float* v = b.vectors.data() + i * kDim;
    for (int k = 0; k < kDim; ++k) v[k] = rng.gauss();
    normalize(v, kDim);
    const double a = rng.uniform(0.0, 0.6);
    const std::vector<float>& mix = corpus_units[rng.below(corpus_units.size())];
    const float keep = static_cast<float>(std::sqrt(1 - a * a));
    for (int k = 0; k < kDim; ++k) v[k] = keep * v[k] + static_cast<float>(a) * mix[static_cast<size_t>(k)];
    normalize(v, kDim);
    if (i % 250000 == 249999)
      std::fprintf(stderr, "  generating: %zu / %zu contents (%.0f s)\n", i + 1, n, seconds_since(t0));
  }
  return b;
}

// ---------------------------------------------------------------------------- truth

struct Truth {
  std::vector<std::vector<int64_t>> short_list;  // per query: ids, best first
  std::vector<std::vector<int64_t>> matches;     // per query: sorted ids passing level-2
  std::vector<size_t> eligible;                  // per query: vectors at level-1 >= threshold - slack
};

float dot(const float* a, const float* b) {
  double s = 0;
  for (int k = 0; k < kDim; ++k) s += double(a[k]) * b[k];
  return static_cast<float>(s);
}

// Level-2 on a short list as lookup_signals does (level-1 of the resident vector, then
// the reference's level-2 on the features); the ids passing both, sorted.
std::vector<int64_t> level2(const SyntheticBank& b, const Query& q, std::span<const VectorHit> hits, const Options& o) {
  std::vector<int64_t> out;
  for (const VectorHit& h : hits) {
    if (h.score < static_cast<float>(o.level1)) continue;
    const TmkFeatures& f = b.features(h.id);
    if (!tmk_check_comparable(f, q.features).is_ok()) continue;
    if (tmk_level2_alignment(f, q.features).score >= static_cast<float>(o.level2)) out.push_back(h.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Truth truth_of(const SyntheticBank& b, const std::vector<Query>& queries, const Options& o) {
  Truth t;
  const float cut = static_cast<float>(o.level1) - kSlack;
  for (const Query& q : queries) {
    std::vector<VectorHit> all;
    for (size_t i = 0; i < b.n; ++i) {
      const float s = dot(b.vectors.data() + i * kDim, q.unit.data());
      if (s >= cut) all.push_back({0, b.ids[i], s});
    }
    t.eligible.push_back(all.size());
    std::sort(all.begin(), all.end(), [](const VectorHit& x, const VectorHit& y) {
      return x.score != y.score ? x.score > y.score : x.id < y.id;
    });
    if (all.size() > static_cast<size_t>(o.candidates)) all.resize(static_cast<size_t>(o.candidates));
    std::vector<int64_t> ids;
    for (const auto& h : all) ids.push_back(h.id);
    t.short_list.push_back(ids);
    t.matches.push_back(level2(b, q, all, o));
  }
  return t;
}

size_t overlap(std::vector<int64_t> a, std::vector<int64_t> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<int64_t> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return both.size();
}

// ---------------------------------------------------------------------------- runs

long rss_kib() { return proc_status_kib("VmRSS:"); }
long hwm_kib() { return proc_status_kib("VmHWM:"); }
bool reset_hwm() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

// In the child: build the index, then every query video `repeat` times.
json run_spec(const std::string& spec, const SyntheticBank& b, const std::vector<Query>& queries, const Truth& truth,
              const Options& o) {
  json r{{"spec", spec}};
  const long rss0 = rss_kib();
  const bool hwm_ok = reset_hwm();
  auto made = make_vector_index(spec, kDim);
  if (!made) return {{"error", made.status().to_string()}};
  std::unique_ptr<VectorIndex> index = std::move(made).value();
  const auto t0 = Clock::now();
  constexpr size_t kChunk = 65536;
  double last_note = 0;
  for (size_t from = 0; from < b.n; from += kChunk) {
    const size_t len = std::min(kChunk, b.n - from);
    if (Status s =
            index->add(std::span(b.ids).subspan(from, len), std::span(b.vectors).subspan(from * kDim, len * kDim));
        !s.is_ok())
      return {{"error", "add: " + s.to_string()}};
    const double now = seconds_since(t0);
    if (now - last_note > 10 || from + len == b.n) {
      std::fprintf(stderr, "  %s: added %zu / %zu (%.0f s)\n", spec.c_str(), from + len, b.n, now);
      last_note = now;
    }
  }
  r["build_s"] = seconds_since(t0);
  r["rss_growth_mib"] = static_cast<double>(rss_kib() - rss0) / 1024.0;
  r["build_peak_mib"] = hwm_ok ? static_cast<double>(hwm_kib() - rss0) / 1024.0 : -1.0;
  r["memory_bytes_mib"] = static_cast<double>(index->memory_bytes()) / (1024.0 * 1024.0);
  r["exact"] = index->exact();
  r["canonical_spec"] = index->spec();
  r["size"] = index->size();
  const float cut = static_cast<float>(o.level1) - kSlack;
  {
    std::vector<VectorHit> warm;
    (void)index->search(queries[0].unit, cut, o.candidates, warm);
  }
  std::vector<double> l1_ms, total_ms, l2_per_candidate_us;
  size_t truth_short = 0, found_short = 0, truth_matches = 0, found_matches = 0, candidates = 0, max_candidates = 0,
         matches = 0;
  for (int pass = 0; pass < o.repeat; ++pass)
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      std::vector<VectorHit> hits;
      const auto q0 = Clock::now();
      if (Status s = index->search(queries[qi].unit, cut, o.candidates, hits); !s.is_ok())
        return {{"error", "search: " + s.to_string()}};
      const double l1 = seconds_since(q0);
      const std::vector<int64_t> m = level2(b, queries[qi], hits, o);
      const double total = seconds_since(q0);
      l1_ms.push_back(1e3 * l1);
      total_ms.push_back(1e3 * total);
      if (!hits.empty()) l2_per_candidate_us.push_back(1e6 * (total - l1) / static_cast<double>(hits.size()));
      if (pass > 0) continue;  // the answers are the same each pass
      std::vector<int64_t> ids;
      for (const auto& h : hits) ids.push_back(h.id);
      truth_short += truth.short_list[qi].size();
      found_short += overlap(ids, truth.short_list[qi]);
      truth_matches += truth.matches[qi].size();
      found_matches += overlap(m, truth.matches[qi]);
      candidates += hits.size();
      max_candidates = std::max(max_candidates, hits.size());
      matches += m.size();
    }
  r["level1_ms_p50"] = percentile(l1_ms, 50);
  r["level1_ms_p99"] = percentile(l1_ms, 99);
  r["total_ms_p50"] = percentile(total_ms, 50);
  r["total_ms_p99"] = percentile(total_ms, 99);
  r["level2_us_per_candidate"] = percentile(l2_per_candidate_us, 50);
  r["timed_lookups"] = l1_ms.size();
  r["candidates_mean"] = static_cast<double>(candidates) / static_cast<double>(queries.size());
  r["candidates_max"] = max_candidates;
  r["matches_mean"] = static_cast<double>(matches) / static_cast<double>(queries.size());
  r["recall_level1"] = truth_short ? static_cast<double>(found_short) / static_cast<double>(truth_short) : 1.0;
  r["recall_matches"] = truth_matches ? static_cast<double>(found_matches) / static_cast<double>(truth_matches) : 1.0;
  r["rss_end_mib"] = static_cast<double>(rss_kib()) / 1024.0;
  return r;
}

// A real bank of whole .tmk values in SQLite, looked up through Bank::lookup_signals.
json run_sqlite_bank(const Corpus& c, const std::vector<Query>& queries, const Options& o, Rng& rng) {
  json r{{"contents", o.bank_contents}};
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("vhm-bench-tmk-" + std::to_string(::getpid()) + "-" + std::to_string(o.seed)))
                              .string();
  std::filesystem::remove_all(dir);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  if (Status s = Bank::create(dir); !s.is_ok()) return {{"error", s.to_string()}};
  auto bank = Bank::open(dir);
  if (!bank) return {{"error", bank.status().to_string()}};
  std::vector<std::vector<float>> units;  // the bank's normalised pure averages, for the candidate counts
  const size_t near = o.bank_contents / 10;
  const auto t0 = Clock::now();
  constexpr size_t kBatch = 200;
  for (size_t from = 0; from < o.bank_contents; from += kBatch) {
    std::vector<NewContent> batch;
    for (size_t i = from; i < std::min(o.bank_contents, from + kBatch); ++i) {
      const TmkFeatures f = i < near ? perturbed(c.files[i % c.files.size()], rng.uniform(0.1, 1.2), rng)
                                     : perturbed(permuted(c.files[rng.below(c.files.size())], rng), 0.3, rng);
      units.push_back(f.pure_average);
      normalize(units.back().data(), kDim);
      NewContent nc;
      nc.meta.external_id = "tmk-" + std::to_string(i);
      nc.meta.kind = ContentKind::kVideo;
      nc.signals.push_back({SignalId::kTmk, serialize_tmk(f)});
      batch.push_back(std::move(nc));
    }
    if (auto added = (*bank)->add_contents(batch); !added) return {{"error", "add: " + added.status().to_string()}};
    if ((from / kBatch) % 5 == 4 || from + kBatch >= o.bank_contents)
      std::fprintf(stderr, "  sqlite bank: added %zu / %zu (%.0f s)\n", std::min(o.bank_contents, from + kBatch),
                   o.bank_contents, seconds_since(t0));
  }
  r["add_s"] = seconds_since(t0);
  std::error_code ec;
  int64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file()) bytes += static_cast<int64_t>(e.file_size());
  r["bank_mib"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  std::vector<std::vector<uint8_t>> values;
  for (const Query& q : queries) values.push_back(serialize_tmk(q.features));
  SignalLookupOptions options;
  options.tmk_level1 = o.level1;
  options.tmk_level2 = o.level2;
  options.tmk_candidates = o.candidates;
  {
    const SignalQuery first{SignalId::kTmk, values[0]};
    const auto f0 = Clock::now();
    auto hits = (*bank)->lookup_signals(std::span(&first, 1), options);
    if (!hits) return {{"error", "lookup: " + hits.status().to_string()}};
    r["first_lookup_s"] = seconds_since(f0);  // reads every pure average into the vector index
  }
  std::vector<double> ms, per_candidate_ms;
  size_t candidates = 0, hits_total = 0;
  for (int pass = 0; pass < o.repeat; ++pass)
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      size_t cands = 0;
      for (const auto& u : units)
        cands += dot(u.data(), queries[qi].unit.data()) >= static_cast<float>(o.level1) - kSlack;
      cands = std::min(cands, static_cast<size_t>(o.candidates));
      const SignalQuery sq{SignalId::kTmk, values[qi]};
      const auto q0 = Clock::now();
      auto hits = (*bank)->lookup_signals(std::span(&sq, 1), options);
      const double t = seconds_since(q0);
      if (!hits) return {{"error", "lookup: " + hits.status().to_string()}};
      ms.push_back(1e3 * t);
      if (cands) per_candidate_ms.push_back(1e3 * t / static_cast<double>(cands));
      if (pass == 0) candidates += cands, hits_total += hits->size();
    }
  r["lookup_ms_p50"] = percentile(ms, 50);
  r["lookup_ms_p99"] = percentile(ms, 99);
  r["ms_per_candidate_p50"] = percentile(per_candidate_ms, 50);
  r["candidates_mean"] = static_cast<double>(candidates) / static_cast<double>(queries.size());
  r["matches_mean"] = static_cast<double>(hits_total) / static_cast<double>(queries.size());
  r["timed_lookups"] = ms.size();
  return r;
}

// ---------------------------------------------------------------------------- output

// Specs split at commas, an "key=value" item joining the spec before it ("hnsw32,ef=64").
std::vector<std::string> split_specs(const std::string& list) {
  std::vector<std::string> out;
  for (const auto& item : video::split_list(list)) {
    if (!out.empty() && item.find('=') != std::string::npos) out.back() += "," + item;
    else out.push_back(item);
  }
  return out;
}

void print_table(const json& bank, bool markdown) {
  const std::string sep = markdown ? " | " : "  ";
  if (markdown)
    std::cout
        << "\n| spec | exact | build s | RSS +MiB | build peak +MiB | index MiB | L1 p50 / p99 ms | L1+L2 p50 / p99 "
           "ms | L2 µs/cand | cands mean / max | matches | recall L1 | recall matches |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  else
    std::printf("%-22s %5s %8s %9s %9s %9s %17s %17s %8s %11s %7s %9s %9s\n", "spec", "exact", "build s", "RSS +MiB",
                "peak +MiB", "index MiB", "L1 p50/p99 ms", "L1+L2 p50/p99 ms", "L2 us/c", "cands m/max", "matches",
                "recall L1", "recall m");
  for (const auto& ji : bank["indexes"]) {
    const std::string spec = ji["spec"].get<std::string>();
    if (ji.contains("error")) {
      std::cout << (markdown ? "| " : "") << spec << sep << "FAILED: " << ji["error"].get<std::string>()
                << (markdown ? " |" : "") << "\n";
      continue;
    }
    const std::string exact = ji["exact"].get<bool>() ? "yes" : "no";
    const std::string l1 = fmt(ji["level1_ms_p50"], 3) + " / " + fmt(ji["level1_ms_p99"], 3);
    const std::string tot = fmt(ji["total_ms_p50"], 3) + " / " + fmt(ji["total_ms_p99"], 3);
    const std::string cands =
        fmt(ji["candidates_mean"], 1) + " / " + std::to_string(ji["candidates_max"].get<size_t>());
    const std::string r1 = fmt(100.0 * ji["recall_level1"].get<double>(), 2) + "%";
    const std::string rm = fmt(100.0 * ji["recall_matches"].get<double>(), 2) + "%";
    if (markdown)
      std::cout << "| `" << spec << "` | " << exact << " | " << fmt(ji["build_s"], 1) << " | "
                << fmt(ji["rss_growth_mib"], 0) << " | " << fmt(ji["build_peak_mib"], 0) << " | "
                << fmt(ji["memory_bytes_mib"], 0) << " | " << l1 << " | " << tot << " | "
                << fmt(ji["level2_us_per_candidate"], 0) << " | " << cands << " | " << fmt(ji["matches_mean"], 1)
                << " | " << r1 << " | " << rm << " |\n";
    else
      std::printf("%-22s %5s %8.1f %9.0f %9.0f %9.0f %17s %17s %8.0f %11s %7.1f %9s %9s\n", spec.c_str(), exact.c_str(),
                  ji["build_s"].get<double>(), ji["rss_growth_mib"].get<double>(), ji["build_peak_mib"].get<double>(),
                  ji["memory_bytes_mib"].get<double>(), l1.c_str(), tot.c_str(),
                  ji["level2_us_per_candidate"].get<double>(), cands.c_str(), ji["matches_mean"].get<double>(),
                  r1.c_str(), rm.c_str());
  }
  std::cout << std::flush;
}

}  // namespace

int run_tmk(int argc, char** argv) {
  Options o;
  std::string sizes = "100000", specs = "flat-ip,hnsw32,ef=128,ivf1024,nprobe=16";
  o.corpus = std::string(VHM_SOURCE_DIR) + "/../shared/corpus/threatexchange/tmk/sample-hashes";
  if (const char* env = std::getenv("VHM_CORPUS")) o.corpus = std::string(env) + "/threatexchange/tmk/sample-hashes";
  std::vector<std::string> files;
  po::options_description opts(R"(Usage: vhm bench tmk [OPTIONS]

TMK+PDQF lookup at bank scale: level-1 (cosine of the pure averages) through each
VectorIndex spec, then level-2 on the short list, on --contents synthetic contents
derived from the corpus's .tmk files (near variants of each file and unrelated
contents; only the 1 KiB level-1 vectors are resident, level-2 runs on real-size
features from a pool). Per spec (each in a forked child): build time, RSS, index
memory, level-1 and level-1+level-2 p50/p99 per query video, candidates, and recall
of level-1 and of the final matches against an exact brute-force scan. Then a real
SQLite bank of --bank-contents whole .tmk values answers the same queries through
Bank::lookup_signals (the cost of reading each candidate's 257 KiB value).
Progress goes to stderr. Seeded: the same flags give the same bank and queries.

Specs: flat-ip (exact), hnsw<M>[,ef=E][,efc=C], ivf<NLIST>[,nprobe=P]; in --index a
key=value item belongs to the spec before it.

Examples:
  vhm bench tmk
  vhm bench tmk --contents 1M --index flat-ip,hnsw32,ef=128,ivf4096,nprobe=32
  vhm bench tmk --contents 100k,1M --format markdown
  vhm bench tmk --contents 10k --bank-contents 0 --format jsonl   # no SQLite bank

Options)");
  opts.add_options()("help,h", "show this help")("contents", po::value(&sizes)->default_value(sizes),
                                                 "bank sizes, comma-separated (100000, 100k, 1M)")(
      "index", po::value(&specs)->default_value(specs), "VectorIndex specs, comma-separated")(
      "variants", po::value(&o.variants)->default_value(o.variants), "near contents per corpus file")(
      "pool", po::value(&o.pool)->default_value(o.pool), "real-size feature sets the unrelated contents map onto")(
      "query-copies", po::value(&o.query_copies)->default_value(o.query_copies),
      "perturbed copies of each corpus file among the queries (besides the file itself)")(
      "candidates", po::value(&o.candidates)->default_value(o.candidates), "level-1 short list (tmk_candidates)")(
      "level1", po::value(&o.level1)->default_value(o.level1), "level-1 threshold")(
      "level2", po::value(&o.level2)->default_value(o.level2), "level-2 threshold")(
      "repeat", po::value(&o.repeat)->default_value(o.repeat), "passes over the queries (latencies of all)")(
      "bank-contents", po::value(&o.bank_contents)->default_value(o.bank_contents),
      "TMK contents in the real SQLite bank (0: skip it)")("corpus", po::value(&o.corpus)->default_value(o.corpus),
                                                           "directory of .tmk files")(
      "seed", po::value(&o.seed)->default_value(o.seed), "bank and query seed")(
      "format", po::value(&o.format)->default_value(o.format), "table | markdown | jsonl");
  if (auto stop = parse_workload_args(argc, argv, opts, files, "tmk")) return *stop;
  if (!files.empty()) {
    std::fprintf(stderr, "vhm bench tmk: no positional arguments (got '%s')\n", files[0].c_str());
    return 2;
  }
  for (const auto& s : video::split_list(sizes)) {
    auto n = parse_count(s);
    if (!n || *n < 1) {
      std::fprintf(stderr, "vhm bench tmk: bad --contents '%s'\n", s.c_str());
      return 2;
    }
    o.sizes.push_back(*n);
  }
  o.specs = split_specs(specs);
  for (const auto& spec : o.specs)
    if (auto probe = make_vector_index(spec, kDim); !probe) {
      std::fprintf(stderr, "vhm bench tmk: %s\n", probe.status().to_string().c_str());
      return 2;
    }
  if (o.format != "table" && o.format != "markdown" && o.format != "jsonl") {
    std::fprintf(stderr, "vhm bench tmk: --format is table, markdown or jsonl\n");
    return 2;
  }
  if (o.variants < 0 || o.query_copies < 0 || o.candidates < 1 || o.repeat < 1 || o.pool < 1 || o.specs.empty()) {
    std::fprintf(stderr, "vhm bench tmk: --variants, --query-copies >= 0; --candidates, --repeat, --pool >= 1\n");
    return 2;
  }
  auto corpus = read_corpus(o.corpus);
  if (!corpus) {
    std::fprintf(stderr, "vhm bench tmk: %s\n", corpus.status().to_string().c_str());
    return 2;
  }
  const bool jsonl = o.format == "jsonl", markdown = o.format == "markdown";
  const Environment env = read_environment();
  const std::string faiss = std::to_string(FAISS_VERSION_MAJOR) + "." + std::to_string(FAISS_VERSION_MINOR) + "." +
                            std::to_string(FAISS_VERSION_PATCH);
  Rng qrng(o.seed);
  const std::vector<Query> queries = make_queries(*corpus, o.query_copies, qrng);
  const std::string about = "queries: " + std::to_string(queries.size()) + " (" + std::to_string(corpus->files.size()) +
                            " corpus .tmk files + " + std::to_string(o.query_copies) +
                            " perturbed copies of each); level-1 >= " + fmt(o.level1, 2) + " (first cut " +
                            fmt(o.level1 - kSlack, 3) + "), level-2 >= " + fmt(o.level2, 2) + ", short list " +
                            std::to_string(o.candidates) + "; " + std::to_string(o.repeat) + " passes timed";
  if (jsonl) {
    std::cout << json{{"record", "environment"},     {"benchmark", "tmk"},
                      {"environment", to_json(env)}, {"faiss", faiss},
                      {"corpus", o.corpus},          {"corpus_files", corpus->files.size()},
                      {"queries", queries.size()},   {"level1", o.level1},
                      {"level2", o.level2},          {"candidates", o.candidates},
                      {"repeat", o.repeat},          {"seed", o.seed}}
                     .dump()
              << "\n";
  } else {
    std::cout << (markdown ? "```\n" : "") << to_text(env) << "corpus: " << o.corpus << " (" << corpus->files.size()
              << " files)\n"
              << about << "\n"
              << (markdown ? "```\n" : "") << std::flush;
  }
  bool all_ok = true;
  for (const size_t n : o.sizes) {
    Rng rng(o.seed * 1000003 + n);
    auto t0 = Clock::now();
    std::fprintf(stderr, "bank of %s contents: generating\n", human_n(n).c_str());
    const SyntheticBank b = make_bank(*corpus, o, n, rng);
    const double gen_s = seconds_since(t0);
    t0 = Clock::now();
    std::fprintf(stderr, "bank of %s contents: exact truth (brute force)\n", human_n(n).c_str());
    const Truth truth = truth_of(b, queries, o);
    const double truth_s = seconds_since(t0);
    size_t eligible = 0, truth_matches = 0;
    for (size_t e : truth.eligible) eligible += e;
    for (const auto& m : truth.matches) truth_matches += m.size();
    json jb{{"record", "bank"},
            {"contents", n},
            {"near", b.near_count},
            {"unrelated", n - b.near_count},
            {"near_pool", b.near_pool.size()},
            {"far_pool", b.far_pool.size()},
            {"vectors_mib", static_cast<double>(b.vectors.size() * sizeof(float)) / (1024.0 * 1024.0)},
            {"generate_s", gen_s},
            {"truth_s", truth_s},
            {"eligible_mean", static_cast<double>(eligible) / static_cast<double>(queries.size())},
            {"truth_matches_mean", static_cast<double>(truth_matches) / static_cast<double>(queries.size())},
            {"indexes", json::array()}};
    const std::string desc = human_n(n) + " contents: " + std::to_string(b.near_count) +
                             " near (corpus features + noise), " + std::to_string(n - b.near_count) +
                             " unrelated; level-2 features: " + std::to_string(b.near_pool.size()) +
                             " near + a pool of " + std::to_string(b.far_pool.size()) +
                             " (unrelated contents map onto it); truth: " + fmt(jb["eligible_mean"], 1) +
                             " vectors per query above the first cut, " + fmt(jb["truth_matches_mean"], 1) +
                             " matches per query (" + fmt(truth_s, 1) + " s)";
    if (!jsonl) std::cout << "\n" << (markdown ? "**" : "== ") << desc << (markdown ? "**\n" : "\n") << std::flush;
    for (const auto& spec : o.specs) {
      auto c = video::run_in_child([&]() { return run_spec(spec, b, queries, truth, o); });
      json ji = c.ok ? c.value : json{{"spec", spec}, {"error", c.error}};
      ji["child_peak_rss_mib"] = static_cast<double>(c.max_rss_kib) / 1024.0;
      if (!c.ok) all_ok = false;
      if (c.ok && ji["exact"].get<bool>() &&
          (ji["recall_level1"].get<double>() < 1.0 || ji["recall_matches"].get<double>() < 1.0))
        all_ok = false;  // an exact index must agree with the brute force
      if (jsonl) {
        json line = ji;
        line["record"] = "index";
        line["contents"] = n;
        std::cout << line.dump() << "\n" << std::flush;
      }
      jb["indexes"].push_back(ji);
    }
    if (jsonl) {
      json line = jb;
      line.erase("indexes");
      std::cout << line.dump() << "\n" << std::flush;
    } else {
      print_table(jb, markdown);
    }
  }
  if (o.bank_contents > 0) {
    std::fprintf(stderr, "sqlite bank of %zu TMK contents\n", o.bank_contents);
    Rng rng(o.seed * 7919 + 17);
    json js = run_sqlite_bank(*corpus, queries, o, rng);
    js["record"] = "sqlite_bank";
    if (js.contains("error")) all_ok = false;
    if (jsonl) {
      std::cout << js.dump() << "\n";
    } else if (js.contains("error")) {
      std::cout << "\nsqlite bank: FAILED: " << js["error"].get<std::string>() << "\n";
    } else {
      std::cout << "\n"
                << (markdown ? "**" : "== ") << "real SQLite bank, " << o.bank_contents
                << " TMK contents (10% near, whole .tmk values through Bank::add_contents), default flat-ip"
                << (markdown ? "**\n\n" : "\n") << "add " << fmt(js["add_s"], 1) << " s, " << fmt(js["bank_mib"], 0)
                << " MiB on disk; first lookup (reads every pure average) " << fmt(js["first_lookup_s"], 2)
                << " s; Bank::lookup_signals per query video p50 / p99 " << fmt(js["lookup_ms_p50"], 2) << " / "
                << fmt(js["lookup_ms_p99"], 2) << " ms, " << fmt(js["candidates_mean"], 1) << " candidates and "
                << fmt(js["matches_mean"], 1) << " matches per query, " << fmt(js["ms_per_candidate_p50"], 3)
                << " ms per candidate (p50; read + parse + level-1 + level-2)\n";
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace vhm::bench
