// vhm bench accuracy: what each re-upload transform does to matching, per sampling mode
// and per search setting, against a bank of the source videos.
//
// 1. Each source video is hashed every frame and added to a temporary bank, as
//    `vhm bank add` does it (with the picture inside any bars, unless --bank-no-bars);
//    its content id is the file name without extension, its family the name up to the
//    first '-'.
// 2. The ffmpeg CLI makes each transform of each source (accuracy_transforms.h) into a
//    temporary directory, or into --videos-dir, where existing variants are reused.
// 3. Each variant goes through the Matcher, as `vhm match` runs it, once per sampling
//    mode and per search setting ("plain": the frames alone; "bars": plus the picture
//    inside letterbox/pillarbox bars, vhm match's default; "dihedral": bars plus the 7
//    rotations and flips). A variant is RECALLED when it matches its own source; each
//    match with a source of another family is a FALSE POSITIVE.
// 4. Frame distances (of the every-frame run, else the first mode; frames of quality at
//    least --quality, the frame as hashed, no variants): for each query frame, the
//    Hamming distance to the nearest frame of its own source (same content) and to the
//    nearest frame of any other family's source (different content).
#include <stdlib.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bank/bank.h"
#include "bench/accuracy_transforms.h"
#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "bench/plot.h"
#include "hash/hashing_presets.h"
#include "match/matcher.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Histogram = std::array<int64_t, 257>;  // count of frames per Hamming distance 0..256

const char* const kDefaultSources[] = {"chair-orig-22-sd-bar.mp4", "pattern-hd-no-bar.mp4", "doorknob-hd-no-bar.mp4",
                                       "test-padded-dimensions.mp4"};
const char* const kConfigs[] = {"plain", "bars", "dihedral"};

struct Source {
  std::string path, id, family;
  VideoHash hashed;
  std::vector<Hash256> good;  // frames of quality >= --quality
};

struct Variant {
  size_t source = 0;
  std::string transform, path, error;  // error: ffmpeg could not make it
};

// One variant matched with one mode and setting.
struct Outcome {
  std::string error;
  bool recalled = false;
  double query_match = 0;  // % of the query matching its own source (0 without a verdict)
  std::vector<std::string> false_matches;
  size_t codes = 0;
  double hash_s = 0, lookup_s = 0;
};

struct Row {  // one transform x mode x setting
  std::string transform, mode, config;
  int variants = 0, recalled = 0, false_positive_videos = 0, errors = 0;
  double query_match_sum = 0;
  size_t codes = 0;
  double hash_s = 0, lookup_s = 0;
  json per_video = json::array();
};

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

int64_t total(const Histogram& h) {
  int64_t n = 0;
  for (int64_t c : h) n += c;
  return n;
}

// The smallest distance d with at least q of the frames at d or below (q in 0..1).
int quantile(const Histogram& h, double q) {
  const int64_t n = total(h);
  if (n == 0) return -1;
  const double want = std::max(1.0, std::ceil(q * static_cast<double>(n)));
  int64_t seen = 0;
  for (int d = 0; d <= 256; ++d) {
    seen += h[d];
    if (static_cast<double>(seen) >= want) return d;
  }
  return 256;
}

double share_within(const Histogram& h, int distance) {
  const int64_t n = total(h);
  int64_t in = 0;
  for (int d = 0; d <= std::min(distance, 256); ++d) in += h[d];
  return n ? 100.0 * static_cast<double>(in) / static_cast<double>(n) : 0;
}

json histogram_json(const Histogram& h, int distance) {
  return {{"frames", total(h)},
          {"min", quantile(h, 0)},
          {"p1", quantile(h, 0.01)},
          {"p5", quantile(h, 0.05)},
          {"p50", quantile(h, 0.5)},
          {"p90", quantile(h, 0.9)},
          {"within_distance_percent", share_within(h, distance)},
          {"counts", h}};
}

int nearest(const Hash256& x, const std::vector<Hash256>& frames) {
  int best = 257;
  for (const Hash256& y : frames) best = std::min(best, x.hamming(y));
  return best;
}

std::string make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vhm-bench-accuracy-XXXXXX").string();
  return ::mkdtemp(tmpl.data()) ? tmpl : std::string();
}

std::vector<std::string> split_checked(const std::string& list, const std::vector<std::string>& allowed,
                                       const char* what, std::string& error) {
  std::vector<std::string> out;
  for (const auto& item : video::split_list(list)) {
    if (std::find(allowed.begin(), allowed.end(), item) == allowed.end()) {
      error = std::string("unknown ") + what + " '" + item + "'";
      return {};
    }
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  if (out.empty()) error = std::string("no ") + what + " given";
  return out;
}

std::string cell(const Row& r) {
  std::string s = std::to_string(r.recalled) + "/" + std::to_string(r.variants);
  if (r.variants) s += " " + fmt(r.query_match_sum / r.variants, 0) + "%";
  if (r.false_positive_videos) s += " FP" + std::to_string(r.false_positive_videos);
  if (r.errors) s += " ERR" + std::to_string(r.errors);
  return s;
}

}  // namespace

int run_accuracy(int argc, char** argv) {
  std::vector<std::string> transform_names;
  for (const auto& t : accuracy::all_transforms()) transform_names.push_back(t.name);
  std::string transforms_arg, modes_arg = "every-frame,1s,keyframes", configs_arg = "bars,dihedral";
  for (size_t i = 0; i < transform_names.size(); ++i) transforms_arg += (i ? "," : "") + transform_names[i];
  std::string device = "cpu", videos_dir, plot_dir, ffmpeg = "ffmpeg";
  int threads = 0;
  MatchThresholds thresholds;
  bool json_out = false, markdown = false, bank_no_bars = false;
  std::vector<std::string> files;

  std::string transform_help = "Transforms:\n";
  for (const auto& t : accuracy::all_transforms()) {
    std::string name = t.name;
    name.resize(11, ' ');
    transform_help += "  " + name + t.description + "\n";
  }
  po::options_description opts(R"(Usage: vhm bench accuracy [OPTIONS] [SOURCE_VIDEO...]

Recall and false positives per re-upload transform, sampling mode and search setting.
The source videos are hashed every frame into a temporary bank; the ffmpeg CLI makes
each transform of each source; every variant is matched as 'vhm match' does (vPDQ:
distance <= 31, quality >= 50, query-match >= 80%). A variant is recalled when it
matches its own source; a match with another family's source (family: the file name
up to its first '-') is a false positive. Also reported: the distance from each query
frame to the nearest frame of the same content and of different content.
Without SOURCE_VIDEO arguments: chair-orig-22-sd-bar, pattern-hd-no-bar,
doorknob-hd-no-bar and test-padded-dimensions from the corpus.

Search settings (--configs): plain (the frames alone), bars (also the picture inside
letterbox/pillarbox bars: vhm match's default), dihedral (bars plus the 7 rotations
and flips: vhm match --dihedral).

)" + transform_help + R"(
Examples:
  vhm bench accuracy
  vhm bench accuracy --transforms identity,crop10,hflip,rotate90 --modes every-frame
  vhm bench accuracy --markdown --plot plots/ --videos-dir /tmp/variants
  vhm bench accuracy a-1.mp4 b-1.mp4 --configs plain,bars,dihedral --json

Options)");
  opts.add_options()("help,h", "show this help")(
      "transforms", po::value(&transforms_arg)->default_value(transforms_arg), "transforms to make, comma-separated")(
      "modes", po::value(&modes_arg)->default_value(modes_arg), "query sampling modes: every-frame, keyframes, <N>s")(
      "configs", po::value(&configs_arg)->default_value(configs_arg), "search settings: plain, bars, dihedral")(
      "threads", po::value(&threads)->default_value(threads), "hashing and search threads (0: all cores)")(
      "device", po::value(&device)->default_value(device), "PDQ device: cpu | gpu | auto | reference")(
      "distance", po::value(&thresholds.distance)->default_value(thresholds.distance),
      "frames match at this Hamming distance or less")(
      "quality", po::value(&thresholds.quality)->default_value(thresholds.quality),
      "frames below this quality are ignored")(
      "query-threshold", po::value(&thresholds.query_threshold)->default_value(thresholds.query_threshold),
      "query-match % for a video verdict")("bank-no-bars", po::bool_switch(&bank_no_bars),
                                           "store the sources as hashed only, without the picture inside their bars "
                                           "(as vhm bank add --no-bars, or a bank built from vPDQ lists)")(
      "videos-dir", po::value(&videos_dir), "make the variants here and keep them; variants already there are reused")(
      "ffmpeg", po::value(&ffmpeg)->default_value(ffmpeg), "the ffmpeg program that makes the variants")(
      "json", po::bool_switch(&json_out), "print one JSON object (with every video's outcome)")(
      "markdown", po::bool_switch(&markdown), "print Markdown tables (for docs/BENCHMARKS.md)")(
      "plot", po::value(&plot_dir), "write SVG charts (gnuplot) of the figures to DIR");
  if (auto stop = parse_workload_args(argc, argv, opts, files, "accuracy")) return *stop;

  std::string error;
  const auto transforms = split_checked(transforms_arg, transform_names, "transform", error);
  if (transforms.empty()) {
    std::fprintf(stderr, "vhm bench accuracy: --transforms: %s\n", error.c_str());
    return 2;
  }
  const auto configs = split_checked(configs_arg, {std::begin(kConfigs), std::end(kConfigs)}, "setting", error);
  if (configs.empty()) {
    std::fprintf(stderr, "vhm bench accuracy: --configs: %s\n", error.c_str());
    return 2;
  }
  auto modes = video::parse_modes(modes_arg, error);
  if (!modes) {
    std::fprintf(stderr, "vhm bench accuracy: --modes: %s\n", error.c_str());
    return 2;
  }
  const auto pdq_device = parse_device(device);
  if (!pdq_device) {
    std::fprintf(stderr, "vhm bench accuracy: --device must be %s, not '%s'\n", kDeviceChoices, device.c_str());
    return 2;
  }
  if (threads < 0 || thresholds.distance < 0 || thresholds.distance > 256 || thresholds.quality < 0 ||
      thresholds.quality > 100 || thresholds.query_threshold < 0 || thresholds.query_threshold > 100) {
    std::fprintf(stderr,
                 "vhm bench accuracy: --threads >= 0, --distance 0..256, --quality 0..100, --query-threshold 0..100\n");
    return 2;
  }
  if (!video::program_exists(ffmpeg)) {
    std::fprintf(stderr, "vhm bench accuracy: the ffmpeg CLI ('%s') is needed to make the variants and was not found\n",
                 ffmpeg.c_str());
    return 2;
  }
  if (files.empty()) {
    std::string where;
    const auto corpus = video::default_videos(where);
    for (const char* name : kDefaultSources)
      for (const auto& f : corpus)
        if (video::base_name(f) == name) files.push_back(f);
    if (files.empty()) {
      std::fprintf(stderr, "vhm bench accuracy: no source videos given and none found in %s\n", where.c_str());
      return 2;
    }
  }
  {
    std::set<std::string> ids;
    for (const auto& f : files)
      if (!ids.insert(stem(f)).second) {
        std::fprintf(stderr, "vhm bench accuracy: two sources named '%s': give sources distinct file names\n",
                     stem(f).c_str());
        return 2;
      }
  }
  const int nthreads = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  av_log_set_level(AV_LOG_FATAL);  // failures come back as Status; FFmpeg's own log would interleave

  const Environment env = read_environment();
  if (!json_out) std::cout << to_text(env) << std::flush;

  const std::string work = make_temp_dir();
  if (work.empty()) {
    std::fprintf(stderr, "vhm bench accuracy: cannot create a temporary directory\n");
    return 1;
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{work};
  const bool keep_videos = !videos_dir.empty();
  if (!keep_videos) videos_dir = work + "/variants";

  // ---- 1. the sources, hashed every frame, into a bank
  std::vector<Source> sources;
  const auto t_start = Clock::now();
  for (const auto& f : files) {
    // As `vhm bank add` stores media (its preset): every frame, the reference's
    // timestamps, the picture inside any bars too (unless --bank-no-bars).
    VideoHashConfig c = hashing_preset(HashingPreset::kBank).video;
    c.threads = nthreads;
    c.device = *pdq_device;
    c.crop_bars = !bank_no_bars;
    std::fprintf(stderr, "accuracy: hashing source %s\n", video::base_name(f).c_str());
    auto h = hash_video(f, c);
    if (!h) {
      std::fprintf(stderr, "vhm bench accuracy: source %s\n", h.status().to_string().c_str());
      return 1;
    }
    Source s{f, stem(f), content_family(f), std::move(*h), {}};
    for (const auto& fr : s.hashed.frames)
      if (fr.quality >= thresholds.quality) s.good.push_back(fr.hash);
    sources.push_back(std::move(s));
  }
  const std::string bank_dir = work + "/bank";
  if (Status st = Bank::create(bank_dir); !st.is_ok()) {
    std::fprintf(stderr, "vhm bench accuracy: bank: %s\n", st.to_string().c_str());
    return 1;
  }
  BankOptions bank_options;
  bank_options.search_threads = nthreads;
  bank_options.background_merge = false;
  auto opened = Bank::open(bank_dir, bank_options);
  if (!opened) {
    std::fprintf(stderr, "vhm bench accuracy: bank: %s\n", opened.status().to_string().c_str());
    return 1;
  }
  Bank& bank = **opened;
  {
    std::vector<NewContent> contents;
    for (const Source& s : sources)
      contents.push_back({{s.id, s.family, s.path, ContentKind::kVideo}, s.hashed.frames});
    if (auto added = bank.add_contents(contents); !added) {
      std::fprintf(stderr, "vhm bench accuracy: bank add: %s\n", added.status().to_string().c_str());
      return 1;
    }
  }

  // ---- 2. the variants
  std::vector<Variant> variants;
  int encoded = 0, reused = 0;
  const auto t_encode = Clock::now();
  for (size_t si = 0; si < sources.size(); ++si) {
    const std::string dir = videos_dir + "/" + sources[si].id;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    for (const auto& t : transforms) {
      Variant v{si, t, dir + "/" + t + ".mp4", ""};
      if (keep_videos && std::filesystem::exists(v.path, ec) && std::filesystem::file_size(v.path, ec) > 0) {
        ++reused;
      } else {
        std::fprintf(stderr, "accuracy: making %s of %s (%zu/%zu)\n", t.c_str(), sources[si].id.c_str(),
                     variants.size() + 1, sources.size() * transforms.size());
        const auto cmd = accuracy::ffmpeg_command(ffmpeg, t, sources[si].path, sources[si].hashed.info, v.path);
        const auto p = video::run_process(*cmd);
        if (!p.started || p.exit_code != 0) {
          std::string why = p.err;
          while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
          v.error = "ffmpeg failed (exit " + std::to_string(p.exit_code) + ")" + (why.empty() ? "" : ": " + why);
          std::filesystem::remove(v.path, ec);
          std::fprintf(stderr, "vhm bench accuracy: %s: %s\n", v.path.c_str(), v.error.c_str());
        } else {
          ++encoded;
        }
      }
      variants.push_back(std::move(v));
    }
  }
  const double encode_s = seconds_since(t_encode);

  // ---- 3. matching, per mode and setting
  size_t distance_mode = 0;
  for (size_t m = 0; m < modes->size(); ++m)
    if ((*modes)[m].name == "every-frame") distance_mode = m;
  std::vector<std::vector<QueryFrame>> distance_frames(variants.size());
  // outcomes[mode][config][variant]
  std::vector<std::vector<std::vector<Outcome>>> outcomes(
      modes->size(), std::vector<std::vector<Outcome>>(configs.size(), std::vector<Outcome>(variants.size())));
  const size_t passes = modes->size() * configs.size();
  size_t pass = 0;
  for (size_t m = 0; m < modes->size(); ++m) {
    for (size_t c = 0; c < configs.size(); ++c) {
      ++pass;
      std::fprintf(stderr, "accuracy: matching %zu variants, %s / %s (%zu/%zu)\n", variants.size(),
                   (*modes)[m].name.c_str(), configs[c].c_str(), pass, passes);
      MatchConfig mc;
      mc.hashing.video = (*modes)[m].config(nthreads, *pdq_device);
      mc.hashing.video.timestamps = TimestampMode::kPresentation;
      mc.hashing.video.compute_md5 = false;
      mc.hashing.video.crop_bars = configs[c] != "plain";
      mc.dihedral = configs[c] == "dihedral";
      mc.hashing.video.dihedral = mc.dihedral;
      mc.thresholds = thresholds;
      const Matcher matcher(bank, mc);
      for (size_t vi = 0; vi < variants.size(); ++vi) {
        const Variant& v = variants[vi];
        Outcome& o = outcomes[m][c][vi];
        if (!v.error.empty()) {
          o.error = v.error;
          continue;
        }
        const InputMatch r = matcher.match_input({v.path, InputKind::kVideo, stem(v.path)});
        if (!r.ok()) {
          o.error = r.status.to_string();
          continue;
        }
        o.codes = r.codes_searched;
        o.lookup_s = r.lookup_seconds;
        if (r.hashed.video) o.hash_s = r.hashed.video->elapsed_seconds;
        const Source& own = sources[v.source];
        for (const auto& vc : r.verdicts) {
          if (vc.external_id == own.id) {
            o.query_match = vc.verdict.query_match_percent;
            o.recalled = vc.verdict.match;
          } else if (vc.verdict.match && vc.label != own.family) {
            o.false_matches.push_back(vc.external_id);
          }
        }
        if (m == distance_mode && c == 0) distance_frames[vi] = r.frames;
      }
    }
  }

  // ---- 4. frame distances
  std::map<std::string, Histogram> same;  // per transform
  Histogram different{}, same_all{};
  // Each source's different content: the frames of every other family's sources.
  std::vector<std::vector<Hash256>> other_families(sources.size());
  for (size_t si = 0; si < sources.size(); ++si)
    for (const Source& s : sources)
      if (s.family != sources[si].family)
        other_families[si].insert(other_families[si].end(), s.good.begin(), s.good.end());
  for (size_t vi = 0; vi < variants.size(); ++vi) {
    const Variant& v = variants[vi];
    Histogram& h = same.try_emplace(v.transform, Histogram{}).first->second;
    const std::vector<Hash256>& others = other_families[v.source];
    for (const QueryFrame& f : distance_frames[vi]) {
      if (f.quality < thresholds.quality) continue;
      if (!sources[v.source].good.empty()) {
        const int d = nearest(f.hash, sources[v.source].good);
        ++h[d];
        ++same_all[d];
      }
      if (!others.empty()) ++different[nearest(f.hash, others)];
    }
  }

  // ---- 5. rows and totals
  std::vector<Row> rows;
  std::vector<Row> totals;
  for (size_t m = 0; m < modes->size(); ++m)
    for (size_t c = 0; c < configs.size(); ++c) {
      Row t;
      t.transform = "all";
      t.mode = (*modes)[m].name;
      t.config = configs[c];
      for (const auto& tr : transforms) {
        Row r;
        r.transform = tr;
        r.mode = t.mode;
        r.config = t.config;
        for (size_t vi = 0; vi < variants.size(); ++vi) {
          if (variants[vi].transform != tr) continue;
          const Outcome& o = outcomes[m][c][vi];
          ++r.variants;
          r.errors += !o.error.empty();
          r.recalled += o.recalled;
          r.false_positive_videos += !o.false_matches.empty();
          r.query_match_sum += o.query_match;
          r.codes += o.codes;
          r.hash_s += o.hash_s;
          r.lookup_s += o.lookup_s;
          json pv{{"source", sources[variants[vi].source].id},
                  {"recalled", o.recalled},
                  {"query_match_percent", o.query_match},
                  {"false_matches", o.false_matches},
                  {"codes", o.codes},
                  {"hash_s", o.hash_s},
                  {"lookup_s", o.lookup_s}};
          if (!o.error.empty()) pv["error"] = o.error;
          r.per_video.push_back(std::move(pv));
        }
        t.variants += r.variants;
        t.errors += r.errors;
        t.recalled += r.recalled;
        t.false_positive_videos += r.false_positive_videos;
        t.query_match_sum += r.query_match_sum;
        t.codes += r.codes;
        t.hash_s += r.hash_s;
        t.lookup_s += r.lookup_s;
        rows.push_back(std::move(r));
      }
      totals.push_back(std::move(t));
    }
  auto row_at = [&](const std::string& tr, size_t m, size_t c) -> const Row& {
    const size_t ti = static_cast<size_t>(std::find(transforms.begin(), transforms.end(), tr) - transforms.begin());
    return rows[(m * configs.size() + c) * transforms.size() + ti];
  };
  auto recall = [](const Row& r) { return r.variants ? static_cast<double>(r.recalled) / r.variants : 0.0; };
  int errors = 0;
  for (const Variant& v : variants) errors += !v.error.empty();

  // ---- 6. report
  const std::string distance_mode_name = (*modes)[distance_mode].name;
  if (json_out) {
    json j;
    j["benchmark"] = "accuracy";
    j["environment"] = to_json(env);
    j["thresholds"] = {{"distance", thresholds.distance},
                       {"quality", thresholds.quality},
                       {"query_threshold", thresholds.query_threshold},
                       {"bank_threshold", thresholds.bank_threshold}};
    j["modes"] = json::array();
    for (const auto& m : *modes) j["modes"].push_back(m.name);
    j["configs"] = configs;
    j["sources"] = json::array();
    for (const Source& s : sources)
      j["sources"].push_back({{"file", video::base_name(s.path)},
                              {"id", s.id},
                              {"family", s.family},
                              {"frames", s.hashed.frames.size()},
                              {"frames_of_quality", s.good.size()},
                              {"duration_s", s.hashed.info.duration_seconds}});
    j["transforms"] = json::array();
    for (const auto& t : transforms)
      j["transforms"].push_back({{"name", t}, {"description", accuracy::find_transform(t)->description}});
    j["bank_inside_bars"] = !bank_no_bars;
    j["variants"] = {{"made", encoded}, {"reused", reused}, {"failed", errors}, {"make_s", encode_s}};
    auto row_json = [&](const Row& r) {
      return json{{"transform", r.transform},
                  {"mode", r.mode},
                  {"config", r.config},
                  {"videos", r.variants},
                  {"recalled", r.recalled},
                  {"recall", recall(r)},
                  {"query_match_mean_percent", r.variants ? r.query_match_sum / r.variants : 0.0},
                  {"false_positive_videos", r.false_positive_videos},
                  {"errors", r.errors},
                  {"codes", r.codes},
                  {"hash_s", r.hash_s},
                  {"lookup_s", r.lookup_s}};
    };
    j["results"] = json::array();
    for (const Row& r : rows) {
      json x = row_json(r);
      x["per_video"] = r.per_video;
      j["results"].push_back(std::move(x));
    }
    j["totals"] = json::array();
    for (const Row& t : totals) j["totals"].push_back(row_json(t));
    json dist{{"mode", distance_mode_name}, {"config", configs[0]}};
    dist["same_content"] = json::object();
    for (const auto& t : transforms) dist["same_content"][t] = histogram_json(same[t], thresholds.distance);
    dist["same_content_all"] = histogram_json(same_all, thresholds.distance);
    dist["different_content"] = histogram_json(different, thresholds.distance);
    j["distances"] = std::move(dist);
    j["wall_s"] = seconds_since(t_start);
    std::cout << j.dump(2) << "\n";
  } else {
    const char* sep = markdown ? " | " : "  ";
    std::cout << "sources: ";
    for (size_t i = 0; i < sources.size(); ++i)
      std::cout << (i ? ", " : "") << video::base_name(sources[i].path) << " (" << sources[i].hashed.frames.size()
                << " frames)";
    std::cout << "\nbank: sources stored "
              << (bank_no_bars ? "as hashed only (--bank-no-bars)" : "with the picture inside their bars")
              << "\nvariants: " << encoded << " made, " << reused << " reused, " << errors << " failed, "
              << fmt(encode_s, 1) << " s\n";
    std::cout << "each cell: recalled/videos, mean query-match % with the own source, FPn = n videos matching "
                 "another family; distances: "
              << distance_mode_name
              << " frames to the nearest frame of the same source (p50/p90, % <= " << thresholds.distance << ")\n\n";
    std::vector<std::string> header = {"transform"};
    for (const auto& m : *modes)
      for (const auto& c : configs) header.push_back(m.name + " " + c);
    header.push_back("dist p50/p90");
    header.push_back("<=" + std::to_string(thresholds.distance));
    std::vector<std::vector<std::string>> table;
    for (const auto& tr : transforms) {
      std::vector<std::string> line = {tr};
      for (size_t m = 0; m < modes->size(); ++m)
        for (size_t c = 0; c < configs.size(); ++c) line.push_back(cell(row_at(tr, m, c)));
      const Histogram& h = same[tr];
      line.push_back(total(h) ? std::to_string(quantile(h, 0.5)) + "/" + std::to_string(quantile(h, 0.9)) : "-");
      line.push_back(total(h) ? fmt(share_within(h, thresholds.distance), 0) + "%" : "-");
      table.push_back(std::move(line));
    }
    {
      std::vector<std::string> line = {"all"};
      for (const Row& t : totals) line.push_back(cell(t));
      line.push_back(total(same_all)
                         ? std::to_string(quantile(same_all, 0.5)) + "/" + std::to_string(quantile(same_all, 0.9))
                         : "-");
      line.push_back(total(same_all) ? fmt(share_within(same_all, thresholds.distance), 0) + "%" : "-");
      table.push_back(std::move(line));
    }
    std::vector<size_t> width(header.size(), 0);
    for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& line : table)
      for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    auto print_line = [&](const std::vector<std::string>& line) {
      std::cout << (markdown ? "| " : "");
      for (size_t i = 0; i < line.size(); ++i) {
        std::string s = line[i];
        if (!markdown) s.resize(width[i], ' ');
        std::cout << s << (i + 1 < line.size() ? sep : (markdown ? " |" : ""));
      }
      std::cout << "\n";
    };
    print_line(header);
    if (markdown) {
      std::cout << "|";
      for (size_t i = 0; i < header.size(); ++i) std::cout << "---|";
      std::cout << "\n";
    }
    for (const auto& line : table) print_line(line);
    if (total(different) == 0) {
      std::cout << "\ndifferent content: none (every source is of one family; give sources of another to measure it)\n";
    } else {
      std::cout << "\ndifferent content (" << distance_mode_name << " frames to the nearest frame of another family, "
                << total(different) << " frames): min " << quantile(different, 0) << ", p1 "
                << quantile(different, 0.01) << ", p5 " << quantile(different, 0.05) << ", p50 "
                << quantile(different, 0.5) << "; " << fmt(share_within(different, thresholds.distance), 2)
                << "% within " << thresholds.distance << "\n";
    }
    std::cout << "cost per video (hash s / lookup ms / codes searched):";
    for (const Row& t : totals) {
      const double n = std::max(1, t.variants - t.errors);
      std::cout << "\n  " << t.mode << " " << t.config << ": " << fmt(t.hash_s / n, 3) << " s / "
                << fmt(1000.0 * t.lookup_s / n, 2) << " ms / " << fmt(static_cast<double>(t.codes) / n, 0);
    }
    std::cout << "\n";
  }

  int rc = errors ? 1 : 0;
  if (!plot_dir.empty()) {
    std::vector<plot::Chart> charts;
    plot::Chart rc_chart;
    rc_chart.name = "accuracy-recall";
    rc_chart.title = "vhm bench accuracy: recall per transform (" + std::to_string(sources.size()) + " sources)";
    rc_chart.ylabel = "recall %";
    rc_chart.kind = plot::ChartKind::kBars;
    rc_chart.y_min = 0;
    rc_chart.y_max = 105;
    for (const auto& m : *modes)
      for (const auto& c : configs) rc_chart.series.push_back(m.name + " " + c);
    for (const auto& tr : transforms) {
      rc_chart.row_labels.push_back(tr);
      std::vector<double> vals;
      for (size_t m = 0; m < modes->size(); ++m)
        for (size_t c = 0; c < configs.size(); ++c) vals.push_back(100.0 * recall(row_at(tr, m, c)));
      rc_chart.values.push_back(std::move(vals));
    }
    charts.push_back(std::move(rc_chart));

    plot::Chart hist;
    hist.name = "accuracy-distances";
    hist.title = "nearest-frame Hamming distance, same vs different content (" + distance_mode_name + " frames)";
    hist.xlabel = "Hamming distance to the nearest frame (bins of 4)";
    hist.ylabel = "% of query frames";
    hist.kind = plot::ChartKind::kSteps;
    hist.series = {"same content (all transforms)", "different content"};
    hist.x_min = 0;
    hist.x_max = 256;
    hist.x_markers = {{thresholds.distance + 0.5, "match threshold " + std::to_string(thresholds.distance)}};
    const double n_same = std::max<double>(1, static_cast<double>(total(same_all)));
    const double n_diff = std::max<double>(1, static_cast<double>(total(different)));
    for (int d = 0; d <= 256; d += 4) {
      int64_t s = 0, o = 0;
      for (int k = d; k < std::min(d + 4, 257); ++k) {
        s += same_all[k];
        o += different[k];
      }
      hist.xs.push_back(d);
      hist.values.push_back({100.0 * static_cast<double>(s) / n_same, 100.0 * static_cast<double>(o) / n_diff});
    }
    charts.push_back(std::move(hist));

    plot::Chart by_t;
    by_t.name = "accuracy-distance-by-transform";
    by_t.title = "same-content distance per transform (" + distance_mode_name + " frames; threshold " +
                 std::to_string(thresholds.distance) + ")";
    by_t.ylabel = "Hamming distance to the nearest source frame";
    by_t.kind = plot::ChartKind::kBars;
    by_t.series = {"p50", "p90"};
    by_t.y_min = 0;
    for (const auto& tr : transforms) {
      by_t.row_labels.push_back(tr);
      const Histogram& h = same[tr];
      by_t.values.push_back(
          total(h) ? std::vector<double>{static_cast<double>(quantile(h, 0.5)), static_cast<double>(quantile(h, 0.9))}
                   : std::vector<double>{NAN, NAN});
    }
    charts.push_back(std::move(by_t));
    if (!plot::render_and_report("accuracy", plot_dir, charts)) rc = 1;
  }
  return rc;
}

}  // namespace vhm::bench
