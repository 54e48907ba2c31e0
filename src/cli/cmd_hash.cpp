// vhm hash: PDQ hashes of images and vPDQ hashes of videos, in batch.
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

#include "bank/exchange_formats.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/hashing_flags.h"
#include "core/json_text.h"
#include "core/tmk_features.h"
#include "hash/hash_output.h"
#include "hash/input_hasher.h"
#include "hash/tmk_hasher.h"
#include "pipeline/inputs.h"
#include "pipeline/ordered_pool.h"
#include "pipeline/progress.h"
#include "signal/signal_registry.h"
#include "signal/video_signal_values.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace vhm::cli {
namespace {

constexpr const char* kHashHelp = R"(Usage: vhm hash [OPTIONS] INPUT...

Hashes images (PDQ) and videos (vPDQ: the PDQ hash of sampled frames), exactly as
Meta's reference tools do: same pixels, same bits, same lines.

INPUT is an image or video file, a directory (searched recursively for image and
video extensions, in sorted order), @LIST (a file naming one input per line), "-"
(input names on stdin), or any URL FFmpeg opens: http://..., pipe:0 (video bytes on
stdin: nothing is written to disk). Files with image extensions (jpg, png, webp,
tiff, bmp, gif) are hashed as images, as the reference photo hasher does (larger
than 512 on a side: first resized to 512x512); everything else as video.

Output formats (--format):
  csv    images: pdq_hex,quality,path (the reference's line); videos: one line per
         hashed frame, pdq_hex,quality,path,frame,seconds (the frame's own timestamp)
  jsonl  one JSON object per input: path, container, codec, width, height, fps,
         duration, frame counts, the file's MD5, elapsed time, and the frames
         (frame, pts seconds, quality, pdq); failures as {"path","error","code"}
  vpdq   the reference vPDQ file NAME.txt per input (frame,quality,hex,seconds with
         the reference's timestamps), in --out-dir (stdout for a single input)
  te-file, te-csv   python-threatexchange's local file ("<signal_type> <signal>"
         lines) and CSV export (signal_type,signal_str,collab,category,tags): a line
         per signal of each input (pdq; vpdq, and video_md5, video_sha256, tmk as
         --signals asks), what 'vhm bank add --format te-file|te-csv' and the
         exchanges' tools read: hashes to share, made without sending the video
  stopncii, threatexchange   one JSON document for the run in the exchange's own
         shape: StopNCII's SubmitHashes body (ImagePDQ, VideoMD5, VideoTMK) and
         ThreatExchange descriptors (HASH_PDQ, HASH_VIDEO_MD5, HASH_TMK); TMK in
         ThreatExchange's TMK1FVECPDQF|base64; vpdq and sha256, which they have no
         type for, are left out (said on stderr)

Sampling (--sample): every-frame (all frames), Ns (e.g. 1s, 0.5s: frame n when
n % int(N*fps) == 0, as the reference's -r N), keyframes (only key frames are
decoded: fastest). --prune D drops a frame within D bits of the last one kept.

Signals (--signals, a comma list; default vpdq):
  vpdq    PDQ of images, vPDQ of videos: the formats above (pdq is the same word)
  tmk     Meta's TMK+PDQF video hash, the reference tmk-hash-video's .tmk file byte
          for byte (docs/TMK.md): NAME.tmk in --out-dir; alone, also the bytes on
          stdout for a single input; in jsonl also "tmk" in ThreatExchange's form
          (TMK1FVECPDQF|base64). With vpdq both come from ONE decode of the video.
  md5     the file's MD5 (jsonl "md5"; jsonl always carries it for local files)
  sha256  the file's SHA-256 (jsonl "sha256"), read beside the MD5
--signal tmk is --signals tmk.

Examples:
  vhm hash clip.mp4                                  # per-frame lines on stdout
  vhm hash --format vpdq --out-dir hashes/ videos/   # reference files, one per video
  vhm hash --format jsonl --sample 1s --jobs 2 @uploads.txt > hashes.jsonl
  cat clip.mp4 | vhm hash --format jsonl pipe:0      # from stdin, never on disk
  find /data -name '*.mp4' | vhm hash --shard 3/8 --format jsonl -
  vhm hash photo.jpg                                 # pdq_hex,quality,path
  vhm hash --dihedral photo.jpg                      # the eight rotations and flips
  vhm hash --signals tmk --out-dir tmk/ videos/      # NAME.tmk per video
  vhm hash --signals vpdq,tmk,md5 --format jsonl --out-dir tmk/ clip.mp4
                                                     # vPDQ, TMK and MD5 from one decode
  vhm hash --signals vpdq,md5,tmk --format te-csv clip.mp4 > share.csv
  vhm hash --signals vpdq,md5,tmk --format stopncii clip.mp4 > submit.json

Exit codes: 0 every input hashed; 1 some inputs failed (each named on stderr with the
reason; the rest were hashed); 2 usage error (nothing was done); 3 internal error.

Options)";

struct HashOptions {
  std::vector<std::string> inputs;
  std::string format = "csv";
  std::string out_dir;
  std::string signal;   // --signal: the older single-signal spelling
  std::string signals;  // --signals LIST
  HashingFlags hashing;
  int jobs = 1;
  int threads = 0;
  std::string shard;
  bool dihedral = false;
  bool no_resize = false;
  bool quiet = false;
  bool verbose = false;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "vhm hash: %s (try 'vhm hash --help')\n", message.c_str());
  return kExitUsage;
}

// An input's hashes as python-threatexchange's records: an image's pdq, a video's vpdq
// and, as --signals asked, its file's MD5 and SHA-256 and its TMK, one record each.
std::vector<ExchangeRecord> exchange_records_of(const InputHash& h, const SignalChoice& chosen) {
  std::vector<ExchangeRecord> records;
  if (h.image) {
    ExchangeRecord& r = records.emplace_back();
    r.signal = ExchangeSignal::kPdq;
    r.pdq = h.image->pdq.hash;
    r.quality = h.image->pdq.quality;
    return records;
  }
  if (!h.video) return records;
  ExchangeRecord& vpdq = records.emplace_back();
  vpdq.signal = ExchangeSignal::kVpdq;
  vpdq.frames = h.video->frames;
  for (SignalValue& v : video_signal_values(*h.video)) {
    if ((v.signal == SignalId::kVideoMd5 && !chosen.md5) || (v.signal == SignalId::kVideoSha256 && !chosen.sha256))
      continue;  // read anyway (the MD5 always is), not asked for
    const auto exchange = parse_exchange_signal(signal_name(v.signal));
    if (!exchange) continue;
    ExchangeRecord& r = records.emplace_back();
    r.signal = *exchange;
    r.bytes = std::move(v.value);
  }
  return records;
}

// A name for each input's file in --out-dir, unique within the run.
std::string unique_name(const Input& input, std::set<std::string>& used) {
  const std::string base = input.out_name.empty() ? "input" : input.out_name;
  std::string name = base;
  for (int n = 2; used.count(name); ++n) name = base + "-" + std::to_string(n);
  used.insert(name);
  return name;
}

bool write_file(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// --signal tmk: each input's .tmk file. Inputs are local video files (TMK's decoding
// reads the file itself, under decode/tmk_frames.h's guards).
int hash_tmk_inputs(const HashOptions& opt, const std::vector<Input>& inputs, const MediaPolicy& media) {
  const bool to_stdout = opt.out_dir.empty();
  if (to_stdout && inputs.size() > 1) return usage_error("--signals tmk with several inputs needs --out-dir");
  std::set<std::string> used_names;
  std::vector<ExchangeRecord> document_records;  // --format stopncii, threatexchange
  int failures = 0;
  run_ordered<std::pair<Status, std::vector<uint8_t>>>(
      inputs.size(), opt.jobs,
      [&](size_t i) -> std::pair<Status, std::vector<uint8_t>> {
        const Input& in = inputs[i];
        std::error_code ec;
        if (in.kind != InputKind::kVideo || !fs::is_regular_file(in.url, ec))
          return {Status(StatusCode::kUnsupported, "--signals tmk takes local video files", in.url), {}};
        auto features = tmk_hash_video(in.url, media);
        if (!features) return {features.status(), {}};
        return {Status::ok(), serialize_tmk(*features)};
      },
      [&](size_t i, std::pair<Status, std::vector<uint8_t>> result) {
        if (!result.first.is_ok()) {
          ++failures;
          std::fprintf(stderr, "vhm hash: error: %s\n", result.first.to_string().c_str());
          return;
        }
        const auto& bytes = result.second;
        if (to_stdout) {
          std::cout.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
          std::cout.flush();
          return;
        }
        const fs::path path = fs::path(opt.out_dir) / (unique_name(inputs[i], used_names) + ".tmk");
        if (!write_file(path, bytes)) {
          ++failures;
          std::fprintf(stderr, "vhm hash: error: %s: cannot write %s\n", inputs[i].url.c_str(), path.c_str());
        }
      },
      [] {});
  return failures ? kExitInputFailed : kExitOk;
}

}  // namespace

int cmd_hash(int argc, char** argv) {
  HashOptions opt;
  po::options_description visible(kHashHelp);
  visible.add_options()("help,h", "show this help")("format,f", po::value(&opt.format)->default_value(opt.format),
                                                    "csv, jsonl, vpdq, te-file, te-csv, stopncii or threatexchange")(
      "signals", po::value(&opt.signals), "comma list of vpdq, tmk, md5, sha256 (default vpdq)")(
      "signal", po::value(&opt.signal), "one signal: pdq or tmk (as --signals)")(
      "out-dir,o", po::value(&opt.out_dir), "vpdq: directory for the NAME.txt files (created)")(
      "jobs,j", po::value(&opt.jobs)->default_value(opt.jobs), "inputs hashed in parallel")(
      "threads,t", po::value(&opt.threads)->default_value(opt.threads), "threads per input (0: cores / jobs)")(
      "shard", po::value(&opt.shard), "K/N: only this job's deterministic share of the inputs (0 <= K < N)")(
      "dihedral,d", po::bool_switch(&opt.dihedral), "images: also the hashes of the 8 rotations and flips")(
      "no-resize", po::bool_switch(&opt.no_resize), "images: skip the reference photo tool's 512x512 pre-resize")(
      "quiet,q", po::bool_switch(&opt.quiet), "no progress line")("verbose,v", po::bool_switch(&opt.verbose),
                                                                  "show FFmpeg's warnings");
  add_hashing_flags(visible, opt.hashing, HashingPreset::kReference, MediaPolicy{});
  if (auto stop = parse_command_line(argc, argv, visible, opt.inputs, "hash")) return *stop;

  // ---- validate every flag before doing anything
  // The exchanges' own formats: one JSON document for the whole run.
  const bool exchange_document = opt.format == "stopncii" || opt.format == "threatexchange";
  const bool te_format = opt.format == "te-file" || opt.format == "te-csv" || exchange_document;
  if (opt.format != "csv" && opt.format != "jsonl" && opt.format != "vpdq" && !te_format)
    return usage_error("--format must be csv, jsonl, vpdq, te-file, te-csv, stopncii or threatexchange, not '" +
                       opt.format + "'");
  if (!opt.signal.empty() && opt.signal != "pdq" && opt.signal != "tmk")
    return usage_error("--signal must be pdq or tmk, not '" + opt.signal + "'");
  if (!opt.signal.empty() && !opt.signals.empty()) return usage_error("give --signals or --signal, not both");
  auto signals = parse_signal_list(opt.signals.empty() ? (opt.signal.empty() ? "vpdq" : opt.signal) : opt.signals);
  if (!signals) return usage_error(signals.status().message());
  const SignalChoice chosen = *signals;
  if (!chosen.vpdq && !chosen.tmk) return usage_error("--signals: md5 and sha256 come with vpdq or tmk");
  if (!chosen.vpdq && (chosen.md5 || chosen.sha256))
    return usage_error("--signals: md5 and sha256 come with vpdq (written in its jsonl)");
  if ((chosen.md5 || chosen.sha256) && opt.format != "jsonl" && !te_format)
    return usage_error("--signals md5/sha256 are written by --format jsonl, te-file or te-csv");
  if (te_format && !chosen.vpdq) return usage_error("--format " + opt.format + " takes vpdq in --signals");
  if (chosen.vpdq && chosen.tmk && opt.format != "jsonl" && !te_format && opt.out_dir.empty())
    return usage_error("--signals vpdq,tmk with --format " + opt.format + " needs --out-dir for the NAME.tmk files");
  if (opt.jobs < 1 || opt.jobs > 256) return usage_error("--jobs must be 1..256");
  if (opt.threads < 0 || opt.threads > 1024) return usage_error("--threads must be 0..1024");
  auto hashing = hashing_config_from_flags(opt.hashing, threads_per_input(opt.threads, opt.jobs));
  if (!hashing) return usage_error(hashing.status().message());
  InputHashConfig config = *hashing;
  if (opt.dihedral && opt.format == "vpdq")
    return usage_error("--dihedral has no place in vpdq files; use csv or jsonl");
  config.video.dihedral = opt.dihedral && opt.format == "jsonl";
  if (opt.inputs.empty()) return usage_error("no input given");
  Shard shard;
  if (!opt.shard.empty()) {
    auto s = parse_shard(opt.shard);
    if (!s) return usage_error(s.status().message());
    shard = *s;
  }
  // vPDQ files carry the reference's timestamps (frame / fps) so they compare byte for
  // byte; CSV and JSON carry each frame's own presentation time.
  config.video.timestamps =
      opt.format == "vpdq" || te_format ? TimestampMode::kReference : TimestampMode::kPresentation;
  config.photo_resize = !opt.no_resize;
  if (!opt.verbose) av_log_set_level(AV_LOG_FATAL);

  auto expanded = expand_inputs(opt.inputs, {}, std::cin);
  if (!expanded) {
    std::fprintf(stderr, "vhm hash: error: %s\n", expanded.status().to_string().c_str());
    return kExitInputFailed;
  }
  std::vector<Input> inputs = opt.shard.empty() ? *expanded : select_shard(*expanded, shard);
  if (inputs.empty()) {
    std::fprintf(stderr, "vhm hash: no inputs to hash%s\n", opt.shard.empty() ? "" : " in this shard");
    return expanded->empty() ? kExitInputFailed : kExitOk;
  }
  if (!opt.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) return usage_error("--out-dir: cannot create '" + opt.out_dir + "': " + ec.message());
  }
  if (!chosen.vpdq) return hash_tmk_inputs(opt, inputs, config.video.media);
  config.video.compute_tmk = chosen.tmk;
  config.video.compute_sha256 = chosen.sha256;
  const bool vpdq_to_stdout = opt.format == "vpdq" && opt.out_dir.empty();
  if (vpdq_to_stdout && inputs.size() > 1) return usage_error("--format vpdq with several inputs needs --out-dir");

  const OutputOptions output{opt.dihedral, opt.hashing.sample};
  if (opt.format == "te-csv") std::cout << te_csv_header();
  ProgressLine progress(inputs.size(), !opt.quiet);
  config.video.on_frames_hashed = [&progress](int64_t n) { progress.frames_done(n); };
  std::set<std::string> used_names;
  std::vector<ExchangeRecord> document_records;  // --format stopncii, threatexchange
  int failures = 0;
  run_ordered<InputHash>(
      inputs.size(), opt.jobs,
      [&](size_t i) {
        InputHash h = hash_input(inputs[i], config);
        progress.input_done();
        return h;
      },
      [&](size_t, InputHash h) {
        if (!h.status.is_ok()) {
          ++failures;
          progress.clear();
          std::fprintf(stderr, "vhm hash: error: %s\n", h.status.to_string().c_str());
        }
        // NAME.txt and NAME.tmk share NAME, made unique within the run.
        const std::string name = opt.out_dir.empty() || !h.status.is_ok() ? "" : unique_name(h.input, used_names);
        if (h.video && h.video->tmk && !name.empty()) {
          const fs::path path = fs::path(opt.out_dir) / (name + ".tmk");
          if (!write_file(path, serialize_tmk(*h.video->tmk))) {
            ++failures;
            progress.clear();
            std::fprintf(stderr, "vhm hash: error: %s: cannot write %s\n", h.input.url.c_str(), path.c_str());
          }
        }
        if (opt.format == "jsonl") {
          std::cout << json_text(to_json(h, output)) << "\n";
        } else if (!h.status.is_ok()) {
          // csv, vpdq and the exchange formats have no error lines: stderr carries them
        } else if (exchange_document) {
          for (ExchangeRecord& r : exchange_records_of(h, chosen)) document_records.push_back(std::move(r));
        } else if (te_format) {
          for (const ExchangeRecord& r : exchange_records_of(h, chosen))
            std::cout << (opt.format == "te-csv" ? te_csv_row(r) : te_file_line(r));
        } else if (opt.format == "csv") {
          std::cout << format_csv(h, output);
        } else if (vpdq_to_stdout) {
          std::cout << format_vpdq_text(h);
        } else {
          const fs::path path = fs::path(opt.out_dir) / (name + ".txt");
          std::error_code ec;
          fs::create_directories(path.parent_path(), ec);
          std::ofstream out(path, std::ios::binary);
          out << format_vpdq_text(h);
          if (!out) {
            ++failures;
            progress.clear();
            std::fprintf(stderr, "vhm hash: error: %s: cannot write %s\n", h.input.url.c_str(), path.c_str());
          }
        }
        std::cout.flush();
      },
      [&] { progress.draw(); });
  progress.clear();
  if (exchange_document) {
    const ExchangeDocument d = opt.format == "stopncii" ? stopncii_hashes_json(document_records)
                                                        : threatexchange_descriptors_json(document_records);
    std::cout << json_text(d.document, 2) << "\n";
    if (d.records_left_out > 0)
      std::fprintf(stderr, "vhm hash: %lld vpdq/sha256 hashes left out: %s has no type for them\n",
                   static_cast<long long>(d.records_left_out), opt.format.c_str());
  }
  if (progress.enabled()) std::fprintf(stderr, "vhm hash: %zu inputs, %d failed\n", inputs.size(), failures);
  return failures ? kExitInputFailed : kExitOk;
}

}  // namespace vhm::cli
