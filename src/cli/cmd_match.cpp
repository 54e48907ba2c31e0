// vhm match: inputs (videos, images) or raw PDQ hashes against a hash bank.
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

#include "bank/bank.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/hashing_flags.h"
#include "core/json_text.h"
#include "index/vector_index.h"
#include "match/hash_list.h"
#include "match/match_json.h"
#include "match/matcher.h"
#include "pipeline/inputs.h"
#include "pipeline/ordered_pool.h"
#include "pipeline/progress.h"
#include "signal/signal_registry.h"

namespace po = boost::program_options;

namespace vhm::cli {
namespace {

constexpr const char* kMatchHelp = R"(Usage: vhm match --bank BANK [OPTIONS] INPUT...
       vhm match --bank BANK --hashes FILE

Hashes each input (videos and images, exactly as `vhm hash` does), searches all of
its frames in one batched lookup, and says which bank contents it matches, how much
of each, and where.

For a video content, with frames deduplicated and those of quality < --quality
dropped on both sides, and two frames matching when their distance is <= --distance:
  query-match % = share of the input's frames that match some frame of the content
  bank-match %  = share of the content's frames that match some frame of the input
It matches when query-match >= --query-threshold and bank-match >= --bank-threshold
(defaults 80 and 0: python-threatexchange's and HMA's rule; see docs/MATCHING.md).
A frame also matches through the picture inside its letterbox/pillarbox bars (off
with --no-bars) and, with --dihedral, through its rotations and flips.
A single-image content (a PDQ hash) matches when any frame is within --distance.

A video is also looked up by each whole-content signal the bank holds: its file's MD5
and SHA-256 (exact), and its TMK+PDQF (computed from the same decode, only when the
bank holds TMK; matches at level-1 >= --tmk-level1 and level-2 >= --tmk-level2,
0.7 and 0.7 as Meta's tmk-two-level-score, docs/TMK.md). Each verdict names its
signal; a content matched by several signals has a verdict for each.

--hashes FILE looks up raw hashes without any media ("-" for stdin), one per line:
"<signal> <value>" as python-threatexchange writes them (pdq, video_md5, video_sha256,
tmk: ThreatExchange's TMK1FVECPDQF|base64 or a .tmk file's base64), or a bare value
(64 hex digits: PDQ; 32: a video MD5; TMK1FVECPDQF|...: TMK). One JSON line per
entry, in order: a PDQ hash's hits are every bank frame within --distance, another
signal's the contents that match it.

Output: JSON Lines (one object per input: path, match, signals_searched, verdicts
with content id, external id, label and signal; vPDQ's with both percentages, best
distance, matched time ranges in the input and in the content; TMK's with level1,
level2 and where the input sits in the content; --with-hashes adds the input's frame
hashes), or a human table with --format table.

Examples:
  vhm match --bank banks/known upload.mp4
  vhm match --bank banks/known --format table --sample 1s uploads/
  vhm match --bank banks/known --dihedral --with-hashes photo.jpg
  vhm match --bank banks/known --hashes exchange-batch.txt
  md5sum clip.mp4 | sed "s/ .*//; s/^/video_md5 /" | vhm match --bank banks/known --hashes -
  cat upload.mp4 | vhm match --bank banks/known pipe:0

Exit codes: 0 every input was checked (matches or not); 1 some input failed (named on
stderr, the rest were checked); 2 usage error; 3 internal error. With --exit-code:
4 when every input was checked and at least one matched.

Options)";

struct MatchOptions {
  std::string bank;
  std::vector<std::string> inputs;
  std::string hashes;
  std::string format = "jsonl";
  // Key frames (HashingPreset::kQuery): in `vhm bench sampling` on the corpus they keep
  // the same-family query-match of every-frame hashing (54.5 vs 54.7 mean, no
  // cross-family hit) at 11% of the time; the bank side holds every frame
  // (docs/BENCHMARKS.md, docs/MATCHING.md).
  HashingFlags hashing;
  int jobs = 1;
  int threads = 0;
  bool dihedral = false;
  bool with_hashes = false;
  bool exit_code = false;
  bool quiet = false;
  bool verbose = false;
  MatchThresholds thresholds;
  SignalLookupOptions signal_lookup;
  bool no_tmk = false;
  std::string tmk_index = "flat-ip";
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "vhm match: %s (try 'vhm match --help')\n", message.c_str());
  return kExitUsage;
}

std::string match_table_rows(const InputMatch& m) {
  std::ostringstream out;
  const std::string& path = m.hashed.input.url;
  if (!m.ok()) {
    out << "ERROR    " << path << ": " << m.status.message() << "\n";
    return out.str();
  }
  if (m.verdicts.empty()) {
    out << "no match " << path << " (" << m.frames.size() << " frames)\n";
    return out.str();
  }
  for (const VerdictContent& vc : m.verdicts) {
    const ContentVerdict& v = vc.verdict;
    char line[512];
    std::snprintf(line, sizeof line, "%-8s %s  content %lld%s%s%s%s  %s", v.match ? "MATCH" : "partial", path.c_str(),
                  static_cast<long long>(v.content), vc.external_id.empty() ? "" : " ext ", vc.external_id.c_str(),
                  vc.label.empty() ? "" : " label ", vc.label.c_str(), signal_name(vc.signal).data());
    out << line;
    if (vc.whole_content) {
      const SignalHit& h = *vc.whole_content;
      if (vc.signal == SignalId::kTmk) {
        std::snprintf(line, sizeof line, "  level1 %.3f  level2 %.3f  at %.1fs (period %d)", h.level1, h.score,
                      h.offset_seconds, h.period);
        out << line;
      }
      out << "\n";
      continue;
    }
    std::snprintf(line, sizeof line, "  query %5.1f%%  bank %5.1f%%  best %d", v.query_match_percent,
                  v.bank_match_percent, v.best_distance);
    out << line;
    if (!v.query_ranges.empty()) {
      out << "  at";
      for (size_t i = 0; i < v.query_ranges.size() && i < 4; ++i) {
        std::snprintf(line, sizeof line, " %.1f-%.1fs", v.query_ranges[i].start, v.query_ranges[i].end);
        out << line;
      }
      if (v.query_ranges.size() > 4) out << " ...";
    }
    out << "\n";
  }
  return out.str();
}

// Raw hashes: one JSON line per hash line (the lines that are not hashes first).
int match_raw_hashes(const Matcher& matcher, const std::string& file) {
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (file != "-") {
    // A regular file: a FIFO or a device named here would block or never end.
    if (auto checked = open_regular_file(file, 0); !checked) {
      std::fprintf(stderr, "vhm match: error: %s\n", checked.status().to_string().c_str());
      return kExitInputFailed;
    }
    in_file.open(file);
    if (!in_file) {
      std::fprintf(stderr, "vhm match: error: %s: cannot open\n", file.c_str());
      return kExitInputFailed;
    }
    in = &in_file;
  }
  const HashList list = parse_hash_lines(*in);
  for (const HashListError& e : list.errors) {
    std::fprintf(stderr, "vhm match: error: %s: line %d: %s\n", file.c_str(), e.line, e.message.c_str());
    std::cout << json_text(hash_error_json(e.line, e.message)) << "\n";
  }
  auto results = matcher.match_hash_list(list);
  if (!results) {
    std::fprintf(stderr, "vhm match: error: %s\n", results.status().to_string().c_str());
    return kExitInputFailed;
  }
  for (const nlohmann::json& j : hash_list_json(list, *results)) std::cout << json_text(j) << "\n";
  return list.errors.empty() ? kExitOk : kExitInputFailed;
}

}  // namespace

int cmd_match(int argc, char** argv) {
  MatchOptions opt;
  po::options_description visible(kMatchHelp);
  visible.add_options()("help,h", "show this help")("bank,b", po::value(&opt.bank), "the bank directory (required)")(
      "hashes", po::value(&opt.hashes),
      "look up raw hashes (pdq, video_md5, video_sha256, tmk) from FILE ('-': stdin) instead of media")(
      "format,f", po::value(&opt.format)->default_value(opt.format), "jsonl or table")(
      "with-hashes", po::bool_switch(&opt.with_hashes), "add the input's frame hashes to each JSON line")(
      "jobs,j", po::value(&opt.jobs)->default_value(opt.jobs), "inputs matched in parallel")(
      "threads,t", po::value(&opt.threads)->default_value(opt.threads), "threads per input (0: cores / jobs)")(
      "exit-code", po::bool_switch(&opt.exit_code), "exit 4 when some input matched")(
      "tmk-index", po::value(&opt.tmk_index)->default_value(opt.tmk_index),
      "TMK level-1 index: flat-ip (exact), ivf<N>,nprobe=P or hnsw<M> (docs/BENCHMARKS.md)")(
      "quiet,q", po::bool_switch(&opt.quiet), "no progress line")("verbose,v", po::bool_switch(&opt.verbose),
                                                                  "show FFmpeg's warnings");
  add_match_flags(visible, opt.thresholds, opt.dihedral, opt.signal_lookup, opt.no_tmk);
  add_hashing_flags(visible, opt.hashing, HashingPreset::kQuery, MediaPolicy{});
  if (auto stop = parse_command_line(argc, argv, visible, opt.inputs, "match")) return *stop;
  if (opt.bank.empty()) return usage_error("--bank is required");
  if (opt.format != "jsonl" && opt.format != "table") return usage_error("--format must be jsonl or table");
  if (auto bad = match_thresholds_error(opt.thresholds, opt.signal_lookup)) return usage_error(*bad);
  if (opt.jobs < 1 || opt.jobs > 256) return usage_error("--jobs must be 1..256");
  if (auto probe = make_vector_index(opt.tmk_index, 256); !probe)
    return usage_error("--tmk-index: " + probe.status().message());
  if (opt.threads < 0 || opt.threads > 1024) return usage_error("--threads must be 0..1024");
  if (opt.hashes.empty() == opt.inputs.empty())
    return usage_error(opt.hashes.empty() ? "no input given" : "give either --hashes or inputs, not both");
  auto hashing = hashing_config_from_flags(opt.hashing, threads_per_input(opt.threads, opt.jobs));
  if (!hashing) return usage_error(hashing.status().message());
  MatchConfig config;
  config.thresholds = opt.thresholds;
  config.signal_lookup = opt.signal_lookup;
  config.tmk = !opt.no_tmk;
  config.dihedral = opt.dihedral;
  config.hashing = *hashing;
  config.hashing.video.dihedral = opt.dihedral;
  if (!opt.verbose) av_log_set_level(AV_LOG_FATAL);

  BankOptions bank_options;
  bank_options.tmk_index_spec = opt.tmk_index;
  auto bank = Bank::open(opt.bank, bank_options);
  if (!bank) {
    std::fprintf(stderr, "vhm match: error: %s\n", bank.status().with_subject(opt.bank).to_string().c_str());
    return kExitInputFailed;
  }
  for (const std::string& note : (*bank)->recovery_notes()) std::fprintf(stderr, "vhm match: %s\n", note.c_str());
  if (!opt.hashes.empty()) return match_raw_hashes(Matcher(**bank, config), opt.hashes);

  auto inputs = expand_inputs(opt.inputs, {}, std::cin);
  if (!inputs) {
    std::fprintf(stderr, "vhm match: error: %s\n", inputs.status().to_string().c_str());
    return kExitInputFailed;
  }
  if (inputs->empty()) {
    std::fprintf(stderr, "vhm match: no inputs to match\n");
    return kExitInputFailed;
  }
  ProgressLine progress(inputs->size(), !opt.quiet);
  config.hashing.video.on_frames_hashed = [&progress](int64_t n) { progress.frames_done(n); };
  const Matcher matcher(**bank, config);
  int failures = 0, lookup_failures = 0, matched = 0;
  run_ordered<InputMatch>(
      inputs->size(), opt.jobs,
      [&](size_t i) {
        InputMatch m = matcher.match_input((*inputs)[i]);
        progress.input_done();
        return m;
      },
      [&](size_t, InputMatch m) {
        if (!m.ok()) {
          ++(m.failure == MatchFailure::kLookup ? lookup_failures : failures);
          progress.clear();
          std::fprintf(stderr, "vhm match: error: %s\n", m.status.to_string().c_str());
        }
        if (m.matched()) ++matched;
        if (opt.format == "jsonl") std::cout << json_text(match_json(m, opt.with_hashes)) << "\n";
        else std::cout << match_table_rows(m);
        std::cout.flush();
      },
      [&] { progress.draw(); });
  progress.clear();
  // The bank failing a lookup is vhm's failure, not the input's: scripts retry on 3.
  if (lookup_failures) return kExitInternal;
  if (failures) return kExitInputFailed;
  return opt.exit_code && matched ? kExitMatched : kExitOk;
}

}  // namespace vhm::cli
