// What `vhm bank add` reads, and what `vhm bank export` writes.
//
// In (each file parsed whole before anything is added; an error names the file and
// the line, and nothing of that file is added):
//   vpdq   the reference vPDQ text (frame,quality,hex,seconds per line): one video content
//   jsonl  JSON Lines as `vhm hash --format jsonl` writes them (and as `vhm bank export
//          --format jsonl` writes them): one content per line; "frames" [{frame, pts,
//          quality, pdq}] for a video, "pdq" (+ "quality") for an image; the picture
//          inside the bars where given (`vhm hash --bars`): a frame's "pdq_inside_bars"
//          hex + "quality_inside_bars", an image's "pdq_inside_bars" {pdq, quality};
//          "external_id", "label", "source"/"path", "signal_type" carried when present;
//          "signals" [{signal, value}] whole-content signals (bank/signal_json.h): a video
//          may then have no frames;
//          an error object ({"path","error"}: a failed hash) is an error
//   pdq    a PDQ list: one 64-hex hash per line, or "pdq <hex>" as python-threatexchange's
//          file exchange writes; each line one image content; blank lines and '#' comments
//          skipped; repeated hashes within the file kept once (as the exchange does)
//   media  a video (hashed on the fly, every frame by default) or an image (one PDQ hash),
//          with the picture inside the bars when ImportOptions::hashing asks for it
//          (video.crop_bars)
//   te-file, te-csv, threatexchange, stopncii, tcap, tmk, ncmec
//          the exchanges' lists (bank/exchange_formats.h): pdq records become image
//          contents; vpdq, video_md5, video_sha256 and tmk records video contents (the
//          last three as whole-content signals, NewContent::signals), the records of one
//          external id one content (NCMEC's MD5 and TMK_PDQF of a video), the others one
//          content each; deleted records' external ids are returned in
//          remove_external_ids; unknown signal types are notes
// "auto" finds a .tmk by its magic, te-csv by its header (or .csv), the exchanges' JSON
// by their keys ("hashRecords", "hash_digest", "HASH_..." indicators), NCMEC's XML by its
// namespace (or .xml); then it picks by extension (.jsonl/.json ->
// jsonl; image or video extensions -> media) and otherwise by the first meaningful line (four commas -> vpdq, a hash ->
// pdq).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "bank/exchange_formats.h"
#include "core/status.h"
#include "hash/input_hasher.h"

namespace vhm {

enum class ImportFormat {
  kAuto,
  kVpdq,
  kJsonl,
  kPdqList,
  kMedia,
  kTeFile,
  kTeCsv,
  kThreatExchange,
  kStopNcii,
  kTcap,
  kTmk,
  kNcmec
};
// "auto", "vpdq", "jsonl", "pdq", "media", "te-file", "te-csv", "threatexchange", "stopncii", "tcap", "tmk", "ncmec"
const char* import_format_name(ImportFormat format);
std::optional<ImportFormat> parse_import_format(std::string_view name);

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;
  // media: how videos and images are hashed; a video's whole-content signals its
  // config computes (hashing.video.compute_md5, compute_sha256, compute_tmk) are stored
  // with it, the MD5 and SHA-256 of a local file only.
  InputHashConfig hashing;
  bool media_frames = true;       // media: store a video's vPDQ frames (false: its whole-content signals alone)
  std::string label;              // set on every content (overrides a JSON record's own)
  std::string external_id;        // only when the file yields exactly one content
  bool skip_unsupported = false;  // pdq lists: skip "md5 ..." and other signal types instead of failing
  std::string tmk_dir;            // ncmec: where the TMK_PDQF files its entries name were fetched to
};

struct ImportResult {
  std::vector<NewContent> contents;
  ImportFormat format = ImportFormat::kAuto;  // what was read
  int64_t lines_skipped = 0;                  // pdq lists: repeated hashes and skipped signal types
  // The exchanges' lists:
  std::vector<std::string> remove_external_ids;  // records the exchange withdrew
  std::vector<std::string> notes;                // one line per skipped record
};

// Reads one file (or, for media, any URL FFmpeg opens).
Result<ImportResult> import_file(const std::string& path, const ImportOptions& options = {});
// The same from bytes already in memory (vhm serve's POST /v1/banks/{bank}/contents):
// `name` is what sources and errors name and what "auto" reads an extension from;
// media (of `media_kind`) is hashed from the bytes, never written to disk.
Result<ImportResult> import_bytes(std::span<const uint8_t> bytes, const std::string& name, InputKind media_kind,
                                  const ImportOptions& options = {});

// The parsers, on text already read; errors are kCorrupt "line N: ..." naming `name`.
Result<ImportResult> parse_vpdq_content(std::string_view text, const std::string& name);
Result<ImportResult> parse_hash_jsonl(std::string_view text, const std::string& name);
Result<ImportResult> parse_pdq_list(std::string_view text, const std::string& name, bool skip_unsupported = false);

// An exchange's records as what this bank stores (see the formats above); `name` is the file.
ImportResult exchange_list_to_import(ExchangeList list, const std::string& name, ImportFormat format);

// The format "auto" finds for this path and the start of its text (empty for media).
ImportFormat detect_import_format(const std::string& path, std::string_view head);

// One exported content as a JSON object (a line of `vhm bank export --format jsonl`),
// readable again by parse_hash_jsonl.
nlohmann::json content_to_json(const ContentInfo& content, std::span<const FrameHash> frames,
                               std::span<const ContentSignal> signals = {});

// A file name (without extension) for a content's exported vPDQ file: the external id
// made safe for a file name, else "content-<id>".
std::string export_file_stem(const ContentInfo& content);

}  // namespace vhm
