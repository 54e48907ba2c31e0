// vhm bench sampling: what each sampling mode costs and what it keeps of vPDQ matching,
// measured against every-frame hashing on the corpus families.
//
// For each mode M and each ordered pair of videos (A, B): A hashed with M is the query,
// B hashed every frame is the target. As vPDQ's matcher counts them (frames of quality
// >= 50, two frames matching when their Hamming distance is <= 31):
//   query-match %  = share of A's M-frames that match at least one frame of B,
//   target-match % = share of B's frames that match at least one of A's M-frames.
// Same-family pairs (A != B) should match (recall); different-family pairs should not
// (the maximum is the false-positive risk). A video's family is its file name up to
// the first '-' (chair-*, pattern-*; doorknob and test-padded-dimensions stand alone).
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "hash/video_hasher.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace {

using video::Mode;

struct Frame {
  int quality = 0;
  Hash256 hash;
};

struct Run {  // one video hashed with one mode
  bool ok = false;
  std::string error;
  std::vector<Frame> frames;
  int64_t frames_decoded = 0;
  double wall = 0;
  long max_rss_kib = 0;
};

struct Pair {
  size_t query, target;
  bool same_family;
  double query_match, target_match;  // percent
  bool query_empty;                  // A had no frame of quality >= the threshold
};

struct ModeStats {
  std::string mode;
  bool ok = true;
  int64_t frames_hashed = 0, frames_decoded = 0;
  double wall = 0;
  long max_rss_kib = 0;
  double share_of_every_frame = 0, time_vs_every_frame = 0;
  int same_pairs = 0, cross_pairs = 0, self_pairs = 0;
  double same_mean = 0, same_min = 0, same_target_mean = 0;
  double cross_max = 0, cross_target_max = 0;
  double self_min = 0;
  double same_max_drop = 0;  // largest fall of a same-family pair's query-match from every-frame's
  std::vector<Pair> pairs;
};

Run hash_in_child(const std::string& file, const VideoHashConfig& config) {
  const auto c = video::run_in_child([&]() -> json {
    auto h = hash_video(file, config);
    if (!h) return {{"error", h.status().to_string()}};
    json frames = json::array();
    for (const FrameHash& f : h->frames) frames.push_back({f.quality, f.hash.to_hex()});
    return {{"frames_decoded", h->frames_decoded}, {"frames", std::move(frames)}};
  });
  Run r;
  r.wall = c.wall_seconds;
  r.max_rss_kib = c.max_rss_kib;
  if (!c.ok) {
    r.error = c.error;
    return r;
  }
  r.frames_decoded = c.value["frames_decoded"].get<int64_t>();
  for (const auto& f : c.value["frames"]) {
    auto h = Hash256::from_hex(f[1].get<std::string>());
    if (!h) {
      r.error = "child sent a bad hash";
      return r;
    }
    r.frames.push_back({f[0].get<int>(), *h});
  }
  r.ok = true;
  return r;
}

std::vector<Hash256> good_frames(const Run& run, int quality) {
  std::vector<Hash256> out;
  for (const Frame& f : run.frames)
    if (f.quality >= quality) out.push_back(f.hash);
  return out;
}

// Query- and target-match percentages of query frames `a` against target frames `b`.
void match(const std::vector<Hash256>& a, const std::vector<Hash256>& b, int distance, double& query_pct,
           double& target_pct) {
  std::vector<char> b_hit(b.size(), 0);
  size_t a_hits = 0;
  for (const Hash256& x : a) {
    bool hit = false;
    for (size_t j = 0; j < b.size(); ++j) {
      if (x.hamming(b[j]) <= distance) {
        hit = true;
        b_hit[j] = 1;
      }
    }
    a_hits += hit;
  }
  const size_t b_hits = static_cast<size_t>(std::count(b_hit.begin(), b_hit.end(), 1));
  query_pct = a.empty() ? 0 : 100.0 * static_cast<double>(a_hits) / static_cast<double>(a.size());
  target_pct = b.empty() ? 0 : 100.0 * static_cast<double>(b_hits) / static_cast<double>(b.size());
}

std::string pct(double v, bool have) {
  if (!have) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string num(double v, const char* fmt) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

int run_sampling(int argc, char** argv) {
  std::string modes_arg = "every-frame,0.5s,1s,2s,keyframes,every-frame+prune8,every-frame+prune16,1s+prune8";
  std::string device = "cpu";
  std::vector<std::string> files;
  int threads = 0, quality = 50, distance = 31;
  double recall_slack = 2.0, fp_slack = 5.0;
  bool json_out = false, markdown = false;
  po::options_description opts(R"(Usage: vhm bench sampling [OPTIONS] [VIDEO...]

Recall and cost of each sampling mode against every-frame hashing. For every ordered
pair of videos (A, B), A hashed with the mode is matched against B hashed every frame,
as vPDQ's matcher counts it (frames of quality >= 50, Hamming distance <= 31):
query-match % (A's frames that match B) and target-match % (B's frames matched by A).
Reported per mode: mean and min query-match over same-family pairs (A != B; the family
is the file name up to its first '-'), max over different-family pairs (false-positive
risk), frames hashed and time against every-frame; then a recommendation computed from
those figures. Without VIDEO arguments every *.mp4 of the corpus's
threatexchange/tmk/sample-videos is used.

Modes: every-frame, keyframes, <N>s (every N seconds), each optionally +prune<D>.

Examples:
  vhm bench sampling
  vhm bench sampling --modes every-frame,1s,keyframes --markdown
  vhm bench sampling a-1.mp4 a-2.mp4 b-1.mp4 --modes 1s,2s --json

Options)");
  opts.add_options()("help,h", "show this help")(
      "modes", po::value(&modes_arg)->default_value(modes_arg),
      "sampling modes, comma-separated (every-frame always runs: it is the target)")(
      "threads", po::value(&threads)->default_value(threads), "hashing/decoder threads (0 = all cores)")(
      "device", po::value(&device)->default_value(device), "PDQ device: cpu | gpu | auto | reference")(
      "quality", po::value(&quality)->default_value(quality), "frames below this quality are ignored")(
      "distance", po::value(&distance)->default_value(distance), "frames match at this Hamming distance or less")(
      "recall-slack", po::value(&recall_slack)->default_value(recall_slack),
      "recommendation: same-family mean may fall this many points below every-frame's")(
      "fp-slack", po::value(&fp_slack)->default_value(fp_slack),
      "recommendation: cross-family max may rise this many points above every-frame's")(
      "json", po::bool_switch(&json_out), "print one JSON object (with every pair) instead of a table")(
      "markdown", po::bool_switch(&markdown), "print a Markdown table (for docs/BENCHMARKS.md)");
  if (auto stop = parse_workload_args(argc, argv, opts, files, "sampling")) return *stop;
  if (threads < 0 || distance < 0 || distance > 256 || quality < 0 || quality > 100) {
    std::fprintf(stderr, "vhm bench sampling: --threads >= 0, --distance 0..256, --quality 0..100\n");
    return 2;
  }
  std::string error;
  auto modes = video::parse_modes(modes_arg, error);
  if (!modes) {
    std::fprintf(stderr, "vhm bench sampling: --modes: %s\n", error.c_str());
    return 2;
  }
  const auto pdq_device = parse_device(device);
  if (!pdq_device) {
    std::fprintf(stderr, "vhm bench sampling: --device must be %s, not '%s'\n", kDeviceChoices, device.c_str());
    return 2;
  }
  // every-frame (no pruning) first: it is the target of every pair and the cost baseline.
  auto ef = std::find_if(modes->begin(), modes->end(), [](const Mode& m) { return m.name == "every-frame"; });
  if (ef != modes->end()) modes->erase(ef);
  modes->insert(modes->begin(), *video::parse_mode("every-frame"));
  if (files.empty()) {
    std::string where;
    files = video::default_videos(where);
    if (files.empty()) {
      std::fprintf(stderr, "vhm bench sampling: no videos given and none found in %s (set VHM_CORPUS)\n",
                   where.c_str());
      return 2;
    }
  }

  const Environment env = read_environment();
  if (!json_out) std::cerr << to_text(env);
  for (const auto& f : files) video::warm_page_cache(f);

  // runs[m][v]: video v hashed with mode m.
  std::vector<std::vector<Run>> runs(modes->size());
  bool failed = false;
  for (size_t mi = 0; mi < modes->size(); ++mi) {
    const Mode& m = (*modes)[mi];
    for (size_t vi = 0; vi < files.size(); ++vi) {
      runs[mi].push_back(hash_in_child(files[vi], m.config(threads, *pdq_device)));
      const Run& r = runs[mi].back();
      failed = failed || !r.ok;
      std::fprintf(
          stderr, "[%s %zu/%zu] %s: %s\n", m.name.c_str(), vi + 1, files.size(), video::base_name(files[vi]).c_str(),
          r.ok ? (num(r.wall, "%.3f s, ") + std::to_string(r.frames.size()) + " frames").c_str() : r.error.c_str());
    }
  }

  std::vector<std::string> families;
  for (const auto& f : files) families.push_back(content_family(f));
  std::vector<std::vector<Hash256>> targets;
  for (const Run& r : runs[0]) targets.push_back(good_frames(r, quality));

  std::vector<ModeStats> stats;
  for (size_t mi = 0; mi < modes->size(); ++mi) {
    ModeStats s;
    s.mode = (*modes)[mi].name;
    double same_sum = 0, same_target_sum = 0;
    s.same_min = s.self_min = std::numeric_limits<double>::infinity();
    for (const Run& r : runs[mi]) {
      s.ok = s.ok && r.ok;
      s.frames_hashed += static_cast<int64_t>(r.frames.size());
      s.frames_decoded += r.frames_decoded;
      s.wall += r.wall;
      s.max_rss_kib = std::max(s.max_rss_kib, r.max_rss_kib);
    }
    for (size_t a = 0; a < files.size(); ++a) {
      if (!runs[mi][a].ok) continue;
      const auto query = good_frames(runs[mi][a], quality);
      for (size_t b = 0; b < files.size(); ++b) {
        if (!runs[0][b].ok) continue;
        Pair p{a, b, families[a] == families[b], 0, 0, query.empty()};
        match(query, targets[b], distance, p.query_match, p.target_match);
        if (a == b) {
          ++s.self_pairs;
          s.self_min = std::min(s.self_min, p.query_match);
        } else if (p.same_family) {
          ++s.same_pairs;
          same_sum += p.query_match;
          same_target_sum += p.target_match;
          s.same_min = std::min(s.same_min, p.query_match);
        } else {
          ++s.cross_pairs;
          s.cross_max = std::max(s.cross_max, p.query_match);
          s.cross_target_max = std::max(s.cross_target_max, p.target_match);
        }
        s.pairs.push_back(p);
      }
    }
    s.same_mean = s.same_pairs ? same_sum / s.same_pairs : 0;
    s.same_target_mean = s.same_pairs ? same_target_sum / s.same_pairs : 0;
    if (!s.same_pairs) s.same_min = 0;
    if (!s.self_pairs) s.self_min = 0;
    stats.push_back(std::move(s));
  }
  for (ModeStats& s : stats) {
    // Pairs are in the same (query, target) order in every mode where all runs succeeded.
    for (const Pair& p : s.pairs)
      for (const Pair& q : stats[0].pairs)
        if (p.same_family && p.query != p.target && q.query == p.query && q.target == p.target)
          s.same_max_drop = std::max(s.same_max_drop, q.query_match - p.query_match);
    s.share_of_every_frame = stats[0].frames_hashed > 0 ? double(s.frames_hashed) / double(stats[0].frames_hashed) : 0;
    s.time_vs_every_frame = stats[0].wall > 0 ? s.wall / stats[0].wall : 0;
  }

  // The recommendation: the cheapest mode (time, then frames) whose same-family mean
  // stays within --recall-slack points of every-frame's and whose cross-family max
  // stays within --fp-slack points of every-frame's.
  std::string recommendation;
  const ModeStats& base = stats[0];
  if (!base.ok) {
    recommendation = "none: every-frame hashing failed on some video";
  } else if (base.same_pairs == 0) {
    recommendation = "none: no two videos of the same family, so recall cannot be measured";
  } else {
    const ModeStats* best = &base;
    for (const ModeStats& s : stats) {
      if (&s == &base || !s.ok) continue;
      if (s.same_mean < base.same_mean - recall_slack || s.cross_max > base.cross_max + fp_slack) continue;
      if (s.wall < best->wall || (s.wall == best->wall && s.frames_hashed < best->frames_hashed)) best = &s;
    }
    char buf[640];
    if (best == &base) {
      std::snprintf(buf, sizeof buf,
                    "every-frame: no cheaper mode keeps the same-family mean query-match within %.1f points of "
                    "every-frame's %.1f%% with the cross-family max within %.1f points of its %.1f%%",
                    recall_slack, base.same_mean, fp_slack, base.cross_max);
    } else {
      std::snprintf(buf, sizeof buf,
                    "%s: the cheapest mode (%.2fx every-frame's time, %.1f%% of its frames) whose same-family mean "
                    "query-match (%.1f%%) is within %.1f points of every-frame's (%.1f%%) and whose cross-family max "
                    "(%.1f%%) is within %.1f points of every-frame's (%.1f%%)",
                    best->mode.c_str(), best->time_vs_every_frame, 100 * best->share_of_every_frame, best->same_mean,
                    recall_slack, base.same_mean, best->cross_max, fp_slack, base.cross_max);
    }
    recommendation = buf;
  }

  if (json_out) {
    json j{{"benchmark", "sampling"},
           {"environment", to_json(env)},
           {"threads", threads},
           {"device", device},
           {"quality", quality},
           {"distance", distance},
           {"recall_slack", recall_slack},
           {"fp_slack", fp_slack},
           {"videos", json::array()},
           {"modes", json::array()},
           {"recommendation", recommendation}};
    for (size_t v = 0; v < files.size(); ++v) {
      json jv{{"file", video::base_name(files[v])}, {"family", families[v]}, {"ok", runs[0][v].ok}};
      if (runs[0][v].ok) {
        jv["frames_decoded"] = runs[0][v].frames_decoded;
        jv["frames_quality_ok"] = targets[v].size();
      } else {
        jv["error"] = runs[0][v].error;
      }
      j["videos"].push_back(jv);
    }
    for (size_t mi = 0; mi < stats.size(); ++mi) {
      const ModeStats& s = stats[mi];
      json jm{{"mode", s.mode},
              {"ok", s.ok},
              {"frames_hashed", s.frames_hashed},
              {"frames_decoded", s.frames_decoded},
              {"share_of_every_frame", s.share_of_every_frame},
              {"wall_seconds", s.wall},
              {"time_vs_every_frame", s.time_vs_every_frame},
              {"max_rss_kib", s.max_rss_kib},
              {"same_family_pairs", s.same_pairs},
              {"same_family_query_match_mean", s.same_mean},
              {"same_family_query_match_min", s.same_min},
              {"same_family_target_match_mean", s.same_target_mean},
              {"cross_family_pairs", s.cross_pairs},
              {"cross_family_query_match_max", s.cross_max},
              {"cross_family_target_match_max", s.cross_target_max},
              {"same_family_query_match_max_drop", s.same_max_drop},
              {"self_query_match_min", s.self_min},
              {"per_video", json::array()},
              {"pairs", json::array()}};
      for (size_t v = 0; v < files.size(); ++v) {
        const Run& r = runs[mi][v];
        json jv{{"file", video::base_name(files[v])}, {"ok", r.ok}};
        if (r.ok) {
          jv["frames_hashed"] = r.frames.size();
          jv["frames_decoded"] = r.frames_decoded;
          jv["wall_seconds"] = r.wall;
          jv["max_rss_kib"] = r.max_rss_kib;
        } else {
          jv["error"] = r.error;
        }
        jm["per_video"].push_back(jv);
      }
      for (const Pair& p : s.pairs)
        jm["pairs"].push_back({{"query", video::base_name(files[p.query])},
                               {"target", video::base_name(files[p.target])},
                               {"same_family", p.same_family},
                               {"query_match", p.query_match},
                               {"target_match", p.target_match},
                               {"query_without_quality_frames", p.query_empty}});
      j["modes"].push_back(jm);
    }
    std::cout << j.dump(2) << "\n";
  } else {
    const char* head[] = {"mode",
                          "frames hashed",
                          "share of every-frame",
                          "time s",
                          "time vs every-frame",
                          "same-family query-match mean %",
                          "same-family min %",
                          "same-family max drop vs every-frame",
                          "same-family target-match mean %",
                          "cross-family max %",
                          "self min %"};
    if (markdown) {
      std::printf("|");
      for (const char* h : head) std::printf(" %s |", h);
      std::printf("\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    } else {
      std::printf("%-22s  %8s  %7s  %8s  %7s  %9s  %8s  %9s  %9s  %9s  %8s\n", "mode", "hashed", "share", "time s",
                  "vs ef", "same mean", "same min", "max drop", "same tgt", "cross max", "self min");
    }
    for (const ModeStats& s : stats) {
      const bool have = s.same_pairs > 0;
      std::vector<std::string> c{s.mode,
                                 std::to_string(s.frames_hashed),
                                 num(100 * s.share_of_every_frame, "%.1f%%"),
                                 num(s.wall, "%.2f"),
                                 num(s.time_vs_every_frame, "%.2fx"),
                                 pct(s.same_mean, have),
                                 pct(s.same_min, have),
                                 pct(s.same_max_drop, have),
                                 pct(s.same_target_mean, have),
                                 pct(s.cross_max, s.cross_pairs > 0),
                                 pct(s.self_min, s.self_pairs > 0)};
      if (!s.ok) c[0] += " (failures)";
      if (markdown) {
        std::printf("|");
        for (const auto& x : c) std::printf(" %s |", x.c_str());
        std::printf("\n");
      } else {
        std::printf("%-22s  %8s  %7s  %8s  %7s  %9s  %8s  %9s  %9s  %9s  %8s\n", c[0].c_str(), c[1].c_str(),
                    c[2].c_str(), c[3].c_str(), c[4].c_str(), c[5].c_str(), c[6].c_str(), c[7].c_str(), c[8].c_str(),
                    c[9].c_str(), c[10].c_str());
      }
    }
    std::printf("\npairs: %d same-family, %d cross-family (over %zu videos); quality >= %d, distance <= %d\n",
                stats[0].same_pairs, stats[0].cross_pairs, files.size(), quality, distance);
    std::printf("recommendation: %s\n", recommendation.c_str());
    for (size_t mi = 0; mi < stats.size(); ++mi)
      for (size_t v = 0; v < files.size(); ++v)
        if (!runs[mi][v].ok)
          std::fprintf(stderr, "%s %s: %s\n", video::base_name(files[v]).c_str(), stats[mi].mode.c_str(),
                       runs[mi][v].error.c_str());
  }
  return failed ? 1 : 0;
}

}  // namespace vhm::bench
