// vhm bank: create, add to, remove from, inspect, export and verify a hash bank.
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

#include "bank/bank.h"
#include "bank/bank_json.h"
#include "bank/exchange_formats.h"
#include "bank/importers.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/hashing_flags.h"
#include "core/json_text.h"
#include "hash/vpdq_format.h"
#include "index/hash_index.h"
#include "pipeline/inputs.h"
#include "signal/signal_registry.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace vhm::cli {
namespace {

constexpr const char* kBankUsage = R"(Usage: vhm bank SUBCOMMAND BANK [OPTIONS] [ARGS...]

A bank is a directory: bank.sqlite (SQLite, WAL mode) holds the truth (contents,
labels, frame hashes, tombstones); index.vhmidx is a derived search index, rebuilt
from SQLite whenever it is missing, stale or corrupt. See docs/BANK.md.

Subcommands:
  create   make a new, empty bank
  add      add videos (hashed now), vPDQ files, vhm JSON Lines, PDQ lists
  remove   tombstone contents by id or external id (effective for the very next lookup)
  stats    counts, sizes, index state (--json)
  export   write the live contents back out as JSON Lines or vPDQ files
  verify   check SQLite's integrity, the bank's invariants and the index (--json)

Run 'vhm bank SUBCOMMAND --help' for its options and examples.

Examples:
  vhm bank create banks/known
  vhm bank add banks/known hashes/*.txt --label csam-v1
  vhm bank add banks/known clip.mp4 --external-id te:123456
  vhm bank remove banks/known --external-id te:123456 --reason "consent withdrawn"
  vhm bank stats banks/known --json
  vhm bank export banks/known --format vpdq --out-dir exported/
  vhm bank verify banks/known

Exit codes: 0 success; 1 some input failed, a bank could not be opened, a content was
not found, or verify found a problem; 2 usage error (nothing was done); 3 internal error.
)";

int usage_error(const char* sub, const std::string& message) {
  std::fprintf(stderr, "vhm bank %s: %s (try 'vhm bank %s --help')\n", sub, message.c_str(), sub);
  return kExitUsage;
}

int fail(const char* sub, const Status& st) {
  std::fprintf(stderr, "vhm bank %s: error: %s\n", sub, st.to_string().c_str());
  return st.code() == StatusCode::kInternal ? kExitInternal : kExitInputFailed;
}

// Parses a bank subcommand's argv: its visible flags, then BANK (into `dir`, required)
// and, where `inputs` is given, the INPUT arguments after it. Returns the exit code
// when the command should stop here (0 after --help, kExitUsage on a bad line), -1 to
// go on.
int parse(const char* sub, int argc, char** argv, const po::options_description& visible, std::string& dir,
          std::vector<std::string>* inputs = nullptr) {
  po::options_description hidden;
  hidden.add_options()("bank", po::value(&dir));
  po::positional_options_description positional;
  positional.add("bank", 1);
  if (inputs) {
    hidden.add_options()("input", po::value(inputs));
    positional.add("input", -1);
  }
  po::options_description all;
  all.add(visible).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(sub, e.what());
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return kExitOk;
  }
  if (dir.empty()) return usage_error(sub, "no BANK directory given");
  return -1;
}

Result<std::unique_ptr<Bank>> open_bank(const std::string& dir, bool load_index) {
  BankOptions options;
  options.load_index = load_index;
  options.background_merge = false;  // a short-lived command: no thread to wait for
  return Bank::open(dir, options);
}

// ---------------------------------------------------------------------------- create

int bank_create(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm bank create BANK [OPTIONS]

Makes BANK (a directory, created with its parents) a new, empty bank. Fails when a
bank is already there.

The index spec is the main search index's factory string (index/hash_index.h): mih
(multi-index hashing: exact and sublinear, the default), flat (exhaustive scan),
faiss-flat, faiss-mih, ivf (approximate). It is stored in the bank; the index itself
is a cache rebuilt from SQLite when needed.

Examples:
  vhm bank create banks/known
  vhm bank create banks/small --index flat

Options)";
  std::string dir;
  BankCreateOptions options;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")(
      "index", po::value(&options.index_spec)->default_value(options.index_spec), "main index factory string");
  if (int rc = parse("create", argc, argv, visible, dir); rc >= 0) return rc;
  if (auto probe = make_hash_index(options.index_spec); !probe)
    return usage_error("create", "--index '" + options.index_spec + "': " + probe.status().message());
  Status st = Bank::create(dir, options);
  if (!st.is_ok()) return fail("create", st);
  std::printf("created bank %s (index %s)\n", dir.c_str(), options.index_spec.c_str());
  return kExitOk;
}

// ---------------------------------------------------------------------------- add

bool importable_in_directory(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".txt" || ext == ".vpdq" || ext == ".jsonl" || ext == ".json" || ext == ".ndjson" ||
         has_image_extension(p) || has_video_extension(p);
}

// Files, directories (their importable files, recursively, sorted), @lists of those.
Status expand_add_inputs(const std::vector<std::string>& args, std::vector<std::string>& out, int depth = 0) {
  for (const std::string& a : args) {
    if (a.size() > 1 && a[0] == '@') {
      if (depth > 8) return {StatusCode::kInvalidArgument, "lists nest more than 8 deep", a};
      // A regular file: a FIFO named as a list would block the whole add.
      if (auto checked = open_regular_file(a.substr(1), 0); !checked) return checked.status();
      std::ifstream in(a.substr(1));
      if (!in) return {StatusCode::kNotFound, "cannot open the list of inputs", a.substr(1)};
      std::vector<std::string> names;
      for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        const size_t start = line.find_first_not_of(" \t");
        if (start != std::string::npos && line[start] != '#') names.push_back(line.substr(start));
      }
      VHM_RETURN_IF_ERROR(expand_add_inputs(names, out, depth + 1));
      continue;
    }
    std::error_code ec;
    if (!is_url(a) && fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(a, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file() && importable_in_directory(it->path().string())) found.push_back(it->path().string());
      if (ec) return {StatusCode::kIoError, "cannot list directory: " + ec.message(), a};
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
      continue;
    }
    out.push_back(a);
  }
  return Status::ok();
}

int bank_add(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm bank add BANK INPUT... [OPTIONS]

Adds contents to BANK. Each INPUT file is read whole and added in ONE transaction: all
of it or nothing (an error names the file and the line). INPUT is a file, a directory
(its .txt, .jsonl, image and video files, recursively, sorted) or @LIST (one per line).

Formats (--format auto picks by extension, then by the first line):
  vpdq   the reference vPDQ file: frame,quality,pdq_hex,seconds per line -> one video
  jsonl  JSON Lines as 'vhm hash --format jsonl' (or 'vhm bank export') writes them:
         one content per line (external_id, label, source carried when present)
  pdq    a PDQ list: one 64-hex hash per line, or 'pdq <hex>' lines as
         python-threatexchange's file exchange writes; each hash one image content
  media  videos (hashed now, every frame by default, the reference's timestamps) and
         images (one PDQ hash: an image content); a video is stored with what
         --signals names: its vPDQ frames and its file's MD5 by default, and its
         SHA-256 and TMK+PDQF (from the same decode) when asked
  te-file, te-csv   python-threatexchange's local file and CSV export (pdq, vpdq)
  threatexchange    ThreatExchange threat_descriptors JSON
  stopncii          a StopNCII FetchHashes page
  tcap              a Tech Against Terrorism (TCAP) hash list
  tmk               a raw .tmk file
  ncmec             NCMEC hash-sharing XML v2 (TMK_PDQF files from --tmk-dir)
         The exchanges' pdq records become image contents and vpdq records videos;
         video_md5, video_sha256 and tmk records are stored as whole-content signals
         of a video (the records of one external id, as NCMEC's MD5 and TMK_PDQF of
         a video, one content; else a content each; a video may have no frames);
         records the exchange deleted remove the content with that external id
         (before the file's contents are added); unknown signal types are skipped

A frame or image with letterbox/pillarbox bars is stored with the hash of the picture
inside them as well (media, unless --no-bars; JSON Lines from 'vhm hash --bars'), and
lookups search both, so an upload that cut the bars away or changed them still
matches. vPDQ files and PDQ lists carry no such hash.

Exact-duplicate frame hashes within a content are stored once (the first kept), as
the reference vPDQ matcher dedupes. Adding is safe while other processes match
against the bank: they see the new contents at their next lookup.

Examples:
  vhm bank add banks/known hashes/chair-19-sd-bar.txt --external-id te:1001 --label demo
  vhm bank add banks/known hashes/                     # every file in the directory
  vhm bank add banks/known clip.mp4 --sample 1s        # hash now, one frame per second
  vhm bank add banks/known clip.mp4 --signals vpdq,md5,sha256,tmk   # every signal of it
  vhm hash --format jsonl videos/ > h.jsonl && vhm bank add banks/known h.jsonl
  vhm bank add banks/known exchange.txt --format pdq --skip-unsupported

Exit codes: 0 every input added; 1 some inputs failed (each named on stderr; the
others were added); 2 usage error; 3 internal error.

Options)";
  std::string dir;
  std::vector<std::string> inputs;
  std::string format = "auto", label, external_id, options_tmk_dir, signals = "vpdq,md5";
  bool skip_unsupported = false, json = false, quiet = false;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")(
      "format,f", po::value(&format)->default_value(format),
      "auto, vpdq, jsonl, pdq, media, te-file, te-csv, threatexchange, stopncii, tcap, tmk or ncmec")(
      "label", po::value(&label), "label for every content added (overrides a JSON record's)")(
      "external-id", po::value(&external_id), "the exchange's id of the content (one content per run)")(
      "skip-unsupported", po::bool_switch(&skip_unsupported), "pdq lists: skip other signal types (md5 ...)")(
      "tmk-dir", po::value(&options_tmk_dir), "ncmec: the directory holding the TMK_PDQF files its entries name")(
      "signals", po::value(&signals)->default_value(signals),
      "media: what to store of a video, a comma list of vpdq, md5, sha256, tmk")("json", po::bool_switch(&json),
                                                                                 "one JSON object per input on stdout")(
      "quiet,q", po::bool_switch(&quiet), "print nothing for inputs that were added");
  // Media are hashed as HashingPreset::kBank: every frame, the reference's timestamps
  // (the vPDQ lines stay the reference's), and each barred frame also with the picture
  // inside its bars, as `vhm match` searches a query frame's, so that uploads without
  // those bars, or with others, match it.
  HashingFlags hashing_flags;
  add_hashing_flags(visible, hashing_flags, HashingPreset::kBank, MediaPolicy{});
  if (int rc = parse("add", argc, argv, visible, dir, &inputs); rc >= 0) return rc;
  if (inputs.empty()) return usage_error("add", "no INPUT given");
  ImportOptions options;
  const auto f = parse_import_format(format);
  if (!f)
    return usage_error("add",
                       "--format must be auto, vpdq, jsonl, pdq, media, te-file, te-csv, threatexchange, stopncii, "
                       "tcap, tmk or ncmec, not '" +
                           format + "'");
  options.format = *f;
  auto hashing = hashing_config_from_flags(hashing_flags, 0);
  if (!hashing) return usage_error("add", hashing.status().message());
  options.hashing = *hashing;
  auto chosen = parse_signal_list(signals);
  if (!chosen) return usage_error("add", chosen.status().message());
  options.media_frames = chosen->vpdq;
  options.hashing.video.compute_md5 = chosen->md5;
  options.hashing.video.compute_sha256 = chosen->sha256;
  options.hashing.video.compute_tmk = chosen->tmk;
  options.label = label;
  options.external_id = external_id;
  options.skip_unsupported = skip_unsupported;
  options.tmk_dir = options_tmk_dir;
  av_log_set_level(AV_LOG_FATAL);

  std::vector<std::string> files;
  if (Status st = expand_add_inputs(inputs, files); !st.is_ok()) return fail("add", st);
  if (!external_id.empty() && files.size() != 1)
    return usage_error("add", "--external-id names one content: give exactly one INPUT");
  auto bank = open_bank(dir, false);
  if (!bank) return fail("add", bank.status());

  int failures = 0;
  int64_t total_contents = 0, total_frames = 0;
  for (const std::string& file : files) {
    auto imported = import_file(file, options);
    // The exchange's deletions first: a withdrawn record then re-sent is added again.
    int64_t removed = 0;
    Status removal = Status::ok();
    if (imported) {
      for (const std::string& id : imported->remove_external_ids) {
        auto r = (*bank)->remove(ContentRef::by_external_id(id), "deleted by the exchange (" + file + ")");
        if (r) {
          removed += r->already_removed ? 0 : 1;
        } else if (r.status().code() != StatusCode::kNotFound) {
          removal = r.status();  // a bank that holds no such content has nothing to remove
          break;
        }
      }
    }
    Result<std::vector<AddedContent>> added = !imported          ? Result<std::vector<AddedContent>>(imported.status())
                                              : !removal.is_ok() ? Result<std::vector<AddedContent>>(removal)
                                              : imported->contents.empty()
                                                  ? Result<std::vector<AddedContent>>(std::vector<AddedContent>{})
                                                  : (*bank)->add_contents(imported->contents);
    if (!added) {
      ++failures;
      const Status st = added.status().with_subject(file);
      if (json)
        std::cout << json_text(nlohmann::json{
                         {"input", file}, {"error", st.message()}, {"code", status_code_name(st.code())}})
                  << "\n";
      std::fprintf(stderr, "vhm bank add: error: %s (nothing of it was added)\n", st.to_string().c_str());
      if (st.code() == StatusCode::kInternal) return kExitInternal;
      continue;
    }
    int64_t frames = 0, dups = 0, signal_values = 0;
    for (const NewContent& c : imported->contents) signal_values += static_cast<int64_t>(c.signals.size());
    for (const AddedContent& a : *added) {
      frames += a.frames_stored;
      dups += a.duplicates_dropped;
    }
    total_contents += static_cast<int64_t>(added->size());
    total_frames += frames;
    if (json) {
      nlohmann::json ids = nlohmann::json::array();
      for (const AddedContent& a : *added) ids.push_back(a.id);
      std::cout << json_text(nlohmann::json{{"input", file},
                                            {"format", import_format_name(imported->format)},
                                            {"contents", added->size()},
                                            {"content_ids", ids},
                                            {"frames_stored", frames},
                                            {"duplicates_dropped", dups},
                                            {"lines_skipped", imported->lines_skipped},
                                            {"removed", removed},
                                            {"signal_values", signal_values},
                                            {"notes", imported->notes}})
                << "\n";
    } else if (!quiet) {
      for (const std::string& note : imported->notes)
        std::fprintf(stderr, "vhm bank add: %s: %s\n", file.c_str(), note.c_str());
      if (removed)
        std::printf("%s: removed %lld contents the exchange deleted\n", file.c_str(), static_cast<long long>(removed));
      const std::string ids =
          added->empty()       ? "none"
          : added->size() == 1 ? "id " + std::to_string(added->front().id)
                               : "ids " + std::to_string(added->front().id) + ".." + std::to_string(added->back().id);
      std::printf(
          "%s: added %zu content%s (%s), %lld frames stored, %lld duplicate frames dropped%s%s\n", file.c_str(),
          added->size(), added->size() == 1 ? "" : "s", ids.c_str(), static_cast<long long>(frames),
          static_cast<long long>(dups),
          signal_values ? (", " + std::to_string(signal_values) + " whole-content signal values").c_str() : "",
          imported->lines_skipped ? (", " + std::to_string(imported->lines_skipped) + " lines skipped").c_str() : "");
    }
    std::cout.flush();
  }
  if (!json && !quiet && files.size() > 1)
    std::printf("%zu inputs: %lld contents added (%lld frames), %d failed\n", files.size(),
                static_cast<long long>(total_contents), static_cast<long long>(total_frames), failures);
  return failures ? kExitInputFailed : kExitOk;
}

// ---------------------------------------------------------------------------- remove

int bank_remove(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm bank remove BANK (--id N | --external-id ID)... [OPTIONS]

Tombstones contents: from the moment this command returns, no lookup returns them,
in this process or in any process already matching against the bank (each lookup
first reads what was committed since the last one; no index rebuild is waited for).
The rows stay in bank.sqlite for audit (removed_at, reason); export skips them.
Removing a content twice is not an error.

Examples:
  vhm bank remove banks/known --external-id te:123456 --reason "consent withdrawn"
  vhm bank remove banks/known --id 17 --id 18

Exit codes: 0 every named content is removed; 1 some were not found (the others were
removed); 2 usage error; 3 internal error.

Options)";
  std::string dir, reason;
  std::vector<int64_t> ids;
  std::vector<std::string> external_ids;
  bool json = false;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("id", po::value(&ids)->composing(), "bank content id (repeatable)")(
      "external-id", po::value(&external_ids)->composing(), "the exchange's id (repeatable)")(
      "reason", po::value(&reason), "why, kept with the tombstone")("json", po::bool_switch(&json),
                                                                    "one JSON object per content on stdout");
  if (int rc = parse("remove", argc, argv, visible, dir); rc >= 0) return rc;
  if (ids.empty() && external_ids.empty()) return usage_error("remove", "name a content with --id or --external-id");
  for (int64_t id : ids)
    if (id <= 0) return usage_error("remove", "--id must be a positive content id");
  std::vector<ContentRef> refs;
  for (int64_t id : ids) refs.push_back(ContentRef::by_id(id));
  for (const auto& e : external_ids) {
    if (e.empty()) return usage_error("remove", "--external-id must not be empty");
    refs.push_back(ContentRef::by_external_id(e));
  }
  auto bank = open_bank(dir, false);
  if (!bank) return fail("remove", bank.status());
  int failures = 0;
  for (const ContentRef& ref : refs) {
    auto r = (*bank)->remove(ref, reason);
    if (!r) {
      ++failures;
      if (json)
        std::cout << json_text(nlohmann::json{{"ref", ref.to_string()}, {"error", r.status().message()}}) << "\n";
      std::fprintf(stderr, "vhm bank remove: error: %s\n", r.status().to_string().c_str());
      if (r.status().code() == StatusCode::kInternal) return kExitInternal;
      continue;
    }
    const ContentInfo& c = r->content;
    if (json) {
      std::cout << json_text(nlohmann::json{{"content_id", c.id},
                                            {"external_id", c.meta.external_id},
                                            {"removed_at", c.removed_at},
                                            {"already_removed", r->already_removed}})
                << "\n";
    } else {
      std::printf("content %lld%s %s at %s\n", static_cast<long long>(c.id),
                  c.meta.external_id.empty() ? "" : (" (" + c.meta.external_id + ")").c_str(),
                  r->already_removed ? "was already removed" : "removed", c.removed_at.c_str());
    }
  }
  return failures ? kExitInputFailed : kExitOk;
}

// ---------------------------------------------------------------------------- stats

int bank_stats(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm bank stats BANK [OPTIONS]

Counts (live and removed contents, by content kind; frames; per whole-content signal,
video_md5, video_sha256 and tmk, the live contents holding it and the values stored),
the generation (commits so far), file sizes and the state of the index cache. With --load-index the index is
loaded (or rebuilt) and described too.

Examples:
  vhm bank stats banks/known
  vhm bank stats banks/known --json --load-index

Options)";
  std::string dir;
  bool json = false, load_index = false;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("json", po::bool_switch(&json), "one JSON object on stdout")(
      "load-index", po::bool_switch(&load_index), "load or rebuild the index and describe it");
  if (int rc = parse("stats", argc, argv, visible, dir); rc >= 0) return rc;
  auto bank = open_bank(dir, load_index);
  if (!bank) return fail("stats", bank.status());
  auto st = (*bank)->stats();
  if (!st) return fail("stats", st.status());
  // Whole-content signals per signal that has any: {"video_md5": {"contents": N, "values": M}}.
  nlohmann::json signals = nlohmann::json::object();
  for (const BankStats::SignalCount& c : st->signals)
    signals[std::string(signal_name(c.signal))] = {{"contents", c.contents}, {"values", c.values}};
  if (json) {
    nlohmann::json j{{"path", st->path},
                     {"format", st->format_version},
                     {"created_at", st->created_at},
                     {"index_spec", st->index_spec},
                     {"generation", st->generation},
                     {"contents_live", st->contents_live},
                     {"contents_removed", st->contents_removed},
                     {"video_contents", st->video_contents},
                     {"image_contents", st->image_contents},
                     {"pdq_contents", st->image_contents},  // the older name, kept for scripts
                     {"frames_live", st->frames_live},
                     {"frames_total", st->frames_total},
                     {"frames_inside_bars", st->frames_inside_bars},
                     {"contents_without_frames", st->contents_without_frames},
                     {"signals", signals},
                     {"tmk_vectors_resident", st->tmk_vectors_resident},
                     {"tmk_index", st->tmk_index_spec},
                     {"database_bytes", st->database_bytes},
                     {"index_cache_present", st->index_cache_present},
                     {"index_cache_bytes", st->index_cache_bytes},
                     {"index", index_info_json(st->index)},
                     {"checkpoints", st->checkpoints},
                     {"recovery_notes", st->recovery_notes}};
    std::cout << json_text(j) << "\n";
    return kExitOk;
  }
  std::printf("bank          %s (format %d, created %s)\n", st->path.c_str(), st->format_version,
              st->created_at.c_str());
  std::printf("contents      %lld live (%lld video, %lld image), %lld removed\n",
              static_cast<long long>(st->contents_live), static_cast<long long>(st->video_contents),
              static_cast<long long>(st->image_contents), static_cast<long long>(st->contents_removed));
  std::printf("frames        %lld live, %lld stored; %lld live with an inside-bars hash\n",
              static_cast<long long>(st->frames_live), static_cast<long long>(st->frames_total),
              static_cast<long long>(st->frames_inside_bars));
  for (const BankStats::SignalCount& c : st->signals)
    std::printf("%-13s %lld live contents, %lld values\n", std::string(signal_name(c.signal)).c_str(),
                static_cast<long long>(c.contents), static_cast<long long>(c.values));
  if (st->contents_without_frames)
    std::printf("              %lld live contents known by whole-content signals alone (no frames)\n",
                static_cast<long long>(st->contents_without_frames));
  std::printf("generation    %lld\n", static_cast<long long>(st->generation));
  std::printf("database      %lld bytes\n", static_cast<long long>(st->database_bytes));
  std::printf("index         %s; cache %s\n", st->index_spec.c_str(),
              st->index_cache_present ? (std::to_string(st->index_cache_bytes) + " bytes").c_str() : "absent");
  if (st->index.loaded)
    std::printf(
        "loaded index  %s: %lld main + %lld delta frames, %lld inside-bars codes, %lld tombstones, "
        "%zu bytes in memory\n",
        st->index.origin.c_str(), static_cast<long long>(st->index.main_frames),
        static_cast<long long>(st->index.delta_frames), static_cast<long long>(st->index.inside_bars_codes),
        static_cast<long long>(st->index.removed_contents), st->index.memory_bytes);
  for (const auto& [name, value] : st->checkpoints) std::printf("checkpoint    %s %s\n", name.c_str(), value.c_str());
  for (const auto& n : st->recovery_notes) std::printf("recovered     %s\n", n.c_str());
  return kExitOk;
}

// ---------------------------------------------------------------------------- export

// A content as the exchanges' records: its pdq (an image) or vpdq (a video with
// frames), then one per whole-content value, each with the content's label.
std::vector<ExchangeRecord> exchange_records_of_content(const ContentInfo& c, std::span<const FrameHash> frames,
                                                        std::span<const ContentSignal> signals) {
  std::vector<ExchangeRecord> records;
  ExchangeRecord base;
  if (!c.meta.label.empty()) base.labels.push_back(c.meta.label);
  if (c.meta.kind == ContentKind::kImage && frames.size() == 1) {
    ExchangeRecord& r = records.emplace_back(base);
    r.signal = ExchangeSignal::kPdq;
    r.pdq = frames[0].hash;
  } else if (!frames.empty()) {
    ExchangeRecord& r = records.emplace_back(base);
    r.signal = ExchangeSignal::kVpdq;
    r.frames.assign(frames.begin(), frames.end());
  }
  for (const ContentSignal& s : signals) {
    const auto exchange = parse_exchange_signal(signal_name(s.signal));
    if (!exchange) continue;
    ExchangeRecord& r = records.emplace_back(base);
    r.signal = *exchange;
    r.bytes = s.value;
  }
  return records;
}

int bank_export(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm bank export BANK [OPTIONS]

Writes the live contents (tombstoned ones too with --include-removed) from one
consistent snapshot:
  jsonl  one JSON object per content on stdout (or --out FILE): content_id,
         external_id, label, source, signal_type, added_at and the frames
         (frame, pts, quality, pdq, and pdq_inside_bars + quality_inside_bars where
         stored), or "pdq" for an image content, and "signals" [{signal, value}]
         (video_md5 / video_sha256 as hex, tmk as TMK1FVECPDQF|base64); 'vhm bank
         add' reads it back
  vpdq   one reference vPDQ file per content in --out-dir, named after the external
         id (else content-ID), exactly the lines that were added less exact-duplicate
         frames (the reference format has no inside-bars hashes); image contents
         become a one-line file (0,quality,hex,0.000); contents without frames
         (md5, sha256 or tmk only) are left out
  te-csv python-threatexchange's CSV (signal_type,signal_str,collab,category,tags) on
         stdout (or --out FILE): a pdq row per image content, a vpdq row per video
         (timestamps to 3 significant digits, as python-threatexchange writes them),
         a video_md5 / video_sha256 / tmk row per whole-content value, the label as
         tags; 'vhm bank add --format te-csv' reads it back (each row a content)
  te-file the same records as python-threatexchange's "<signal_type> <signal>" lines
  stopncii, threatexchange   one JSON document: StopNCII's SubmitHashes body
         (ImagePDQ, VideoMD5, VideoTMK) or ThreatExchange descriptors (HASH_PDQ,
         HASH_VIDEO_MD5, HASH_TMK), as 'vhm hash' writes them; vpdq and sha256, which
         they have no type for, are left out (said on stderr)

Examples:
  vhm bank export banks/known > known.jsonl
  vhm bank export banks/known --format vpdq --out-dir exported/
  vhm bank export banks/known --include-removed --out audit.jsonl
  vhm bank export banks/known --format te-csv --out known.csv
  vhm bank export banks/known --format stopncii --out submit.json

Options)";
  std::string dir, format = "jsonl", out_dir, out_file;
  bool include_removed = false;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("format,f", po::value(&format)->default_value(format),
                                                    "jsonl, vpdq, te-csv, te-file, stopncii or threatexchange")(
      "out-dir,o", po::value(&out_dir), "vpdq: directory for the files (created)")(
      "out", po::value(&out_file), "jsonl: write to this file instead of stdout")(
      "include-removed", po::bool_switch(&include_removed), "also the tombstoned contents");
  if (int rc = parse("export", argc, argv, visible, dir); rc >= 0) return rc;
  if (format != "jsonl" && format != "vpdq" && format != "te-csv" && format != "te-file" && format != "stopncii" &&
      format != "threatexchange")
    return usage_error("export", "--format must be jsonl, vpdq, te-csv, te-file, stopncii or threatexchange");
  if (format == "vpdq" && out_dir.empty()) return usage_error("export", "--format vpdq needs --out-dir");
  if (format != "vpdq" && !out_dir.empty()) return usage_error("export", "--out-dir is for --format vpdq (use --out)");
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return usage_error("export", "--out-dir: cannot create '" + out_dir + "': " + ec.message());
  }
  auto bank = open_bank(dir, false);
  if (!bank) return fail("export", bank.status());
  std::ofstream file_out;
  if (!out_file.empty()) {
    file_out.open(out_file, std::ios::binary | std::ios::trunc);
    if (!file_out) return usage_error("export", "--out: cannot write '" + out_file + "'");
  }
  std::ostream& out = out_file.empty() ? std::cout : file_out;
  std::set<std::string> used;
  int64_t count = 0;
  const bool exchange_format =
      format == "te-csv" || format == "te-file" || format == "stopncii" || format == "threatexchange";
  std::vector<ExchangeRecord> document_records;  // stopncii, threatexchange: one document at the end
  if (format == "te-csv") out << te_csv_header();
  int64_t without_frames = 0;  // vpdq: contents known only by whole-content signals (no file)
  Status st = (*bank)->for_each_content_with_signals(include_removed, [&](const ContentInfo& c,
                                                                          std::span<const FrameHash> frames,
                                                                          std::span<const ContentSignal> signals) {
    ++count;
    auto written = [&] {
      return out ? Status::ok() : Status(StatusCode::kIoError, "write failed", out_file.empty() ? "stdout" : out_file);
    };
    if (exchange_format) {
      // A record per hash: the content's pdq or vpdq, then one per whole-content value
      // (the exchanges' lists have nothing that ties records together: read back, each
      // is a content).
      for (ExchangeRecord& r : exchange_records_of_content(c, frames, signals)) {
        if (format == "te-csv") out << te_csv_row(r);
        else if (format == "te-file") out << te_file_line(r);
        else document_records.push_back(std::move(r));
      }
      return written();
    }
    if (format == "jsonl") {
      out << json_text(content_to_json(c, frames, signals)) << "\n";
      return written();
    }
    if (frames.empty()) {
      ++without_frames;
      return Status::ok();
    }
    std::string stem = export_file_stem(c);
    if (used.count(stem)) stem += std::string("-") + std::to_string(c.id);
    used.insert(stem);
    return write_vpdq_file((fs::path(out_dir) / (stem + ".txt")).string(), frames);
  });
  if (!st.is_ok()) return fail("export", st);
  if (format == "stopncii" || format == "threatexchange") {
    const ExchangeDocument d = format == "stopncii" ? stopncii_hashes_json(document_records)
                                                    : threatexchange_descriptors_json(document_records);
    out << json_text(d.document, 2) << "\n";
    if (d.records_left_out > 0)
      std::fprintf(stderr, "vhm bank export: %lld vpdq/sha256 hashes left out: %s has no type for them\n",
                   static_cast<long long>(d.records_left_out), format.c_str());
  }
  out.flush();
  if (!out) return fail("export", Status(StatusCode::kIoError, "write failed", out_file.empty() ? "stdout" : out_file));
  if (!out_dir.empty())
    std::fprintf(stderr, "vhm bank export: %lld contents written to %s%s\n",
                 static_cast<long long>(count - without_frames), out_dir.c_str(),
                 without_frames ? (" (" + std::to_string(without_frames) +
                                   " without frames left out: vPDQ has no place for their md5, sha256 or tmk)")
                                      .c_str()
                                : "");
  return kExitOk;
}

// ---------------------------------------------------------------------------- verify

int bank_verify(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm bank verify BANK [OPTIONS]

Checks (the bank's contents are never changed; the index cache is rewritten when it
had to be rebuilt, or with --rebuild-index):
  - SQLite's PRAGMA integrity_check (every page, every index);
  - the bank's invariants: each content's frames are one contiguous id range of the
    stated size, hashes are 32 bytes, qualities 0..100, no exact-duplicate hash within
    a content, generations in order, image contents have one hash;
  - the frame rows add up to the frames checksum the bank records (what lets the
    index cache prove it was built from them; --rebuild-index records it anew);
  - the index cache (index.vhmidx): consistent with SQLite, or stale/corrupt (then it
    is rebuilt from SQLite by any open, and by --rebuild-index now);
  - lookups: probe frames (evenly spread; --all-frames for every one) are each found at
    distance 0 under their own content, so are probed inside-bars hashes (through the
    frame's inside-bars code), and no frame of a removed content is returned.

Examples:
  vhm bank verify banks/known
  vhm bank verify banks/known --json --all-frames
  vhm bank verify banks/known --rebuild-index

Exit codes: 0 consistent; 1 a problem was found (each listed) or the bank could not be
opened; 2 usage error; 3 internal error.

Options)";
  std::string dir;
  VerifyOptions options;
  bool json = false;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("json", po::bool_switch(&json), "one JSON object on stdout")(
      "probe", po::value(&options.probe_frames)->default_value(options.probe_frames), "frames looked up")(
      "all-frames", po::bool_switch(&options.all_frames), "look up every frame")(
      "rebuild-index", po::bool_switch(&options.rebuild_index), "rebuild the index from SQLite and rewrite the cache");
  if (int rc = parse("verify", argc, argv, visible, dir); rc >= 0) return rc;
  if (options.probe_frames < 0) return usage_error("verify", "--probe must be >= 0");
  auto bank = open_bank(dir, false);
  if (!bank) return fail("verify", bank.status());
  auto report = (*bank)->verify(options);
  if (!report) return fail("verify", report.status());
  const BankIndexInfo info = (*bank)->index_info();
  if (json) {
    std::cout << json_text(nlohmann::json{{"path", dir},
                                          {"ok", report->ok()},
                                          {"problems", report->problems},
                                          {"notes", report->notes},
                                          {"integrity", report->integrity},
                                          {"index_cache", report->index_cache},
                                          {"contents_checked", report->contents_checked},
                                          {"frames_checked", report->frames_checked},
                                          {"frames_inside_bars", report->frames_inside_bars},
                                          {"frames_probed", report->frames_probed},
                                          {"inside_bars_probed", report->inside_bars_probed},
                                          {"signal_values_checked", report->signal_values_checked},
                                          {"index", index_info_json(info)}})
              << "\n";
  } else {
    std::printf("%s: %s\n", dir.c_str(), report->ok() ? "consistent" : "PROBLEMS FOUND");
    std::printf("  integrity_check  %s\n", report->integrity.c_str());
    std::printf(
        "  checked          %lld contents, %lld frames (%lld with an inside-bars hash); %lld frames and "
        "%lld inside-bars hashes looked up\n",
        static_cast<long long>(report->contents_checked), static_cast<long long>(report->frames_checked),
        static_cast<long long>(report->frames_inside_bars), static_cast<long long>(report->frames_probed),
        static_cast<long long>(report->inside_bars_probed));
    std::printf("  signal values    %lld checked (sizes; tmk files parsed, their level-1 vectors compared)\n",
                static_cast<long long>(report->signal_values_checked));
    std::printf("  index cache      %s\n", report->index_cache.c_str());
    std::printf("  index            %s, %s\n", info.spec.c_str(), info.origin.c_str());
    for (const auto& p : report->problems) std::printf("  problem: %s\n", p.c_str());
    for (const auto& n : report->notes) std::printf("  note: %s\n", n.c_str());
  }
  return report->ok() ? kExitOk : kExitInputFailed;
}

}  // namespace

int cmd_bank(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(kBankUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string sub = argv[1];
  if (sub == "create") return bank_create(argc - 1, argv + 1);
  if (sub == "add") return bank_add(argc - 1, argv + 1);
  if (sub == "remove") return bank_remove(argc - 1, argv + 1);
  if (sub == "stats") return bank_stats(argc - 1, argv + 1);
  if (sub == "export") return bank_export(argc - 1, argv + 1);
  if (sub == "verify") return bank_verify(argc - 1, argv + 1);
  std::fprintf(stderr, "vhm bank: unknown subcommand '%s' (try 'vhm bank --help')\n", sub.c_str());
  return kExitUsage;
}

}  // namespace vhm::cli
