// The hash lists the exchanges send, read into neutral typed records (and the
// python-threatexchange CSV written back). Each parser reads a whole file: a malformed
// record is a kCorrupt Status naming the file and the line or record index, and nothing
// of that file is returned; a record of a signal type vhm does not know is skipped with
// one note, never failing the file.
//   te-file         python-threatexchange's local file: "<signal_type> <signal>" per line,
//                   or bare signals of one given type
//   te-csv          python-threatexchange's CSV export: signal_type,signal_str,collab,category,tags
//   threatexchange  Graph API threat_descriptors JSON ({"data": [...]}, or the array)
//   stopncii        a FetchHashes page ({"hashRecords": [...], "nextPageToken", "hasMoreRecords"})
//   tcap            a Tech Against Terrorism hash list ({"results": [...]})
//   tmk             one raw .tmk file (TMK1 FVEC PDQF, sized as its header says)
//   ncmec           NCMEC hash-sharing XML v2 (ncmec_xml.cpp, libxml2): images (PDQ) and
//                   videos (MD5; TMK_PDQF as a file name looked up in a directory);
//                   deletedImage / deletedVideo as deletions; MD5 and SHA1 of images
//                   are notes (no such signal here)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash256.h"
#include "core/status.h"
#include "core/video_hash.h"

namespace vhm {

enum class ExchangeSignal { kPdq, kVpdq, kVideoMd5, kVideoSha256, kTmk };
// The stored names: "pdq", "vpdq", "video_md5", "video_sha256", "tmk".
const char* exchange_signal_name(ExchangeSignal signal);
std::optional<ExchangeSignal> parse_exchange_signal(std::string_view name);

struct ExchangeRecord {
  ExchangeSignal signal = ExchangeSignal::kPdq;
  Hash256 pdq;                      // kPdq
  int quality = 100;                // kPdq; lists without a quality count the hash as good
  std::vector<FrameHash> frames;    // kVpdq
  std::vector<uint8_t> bytes;       // kVideoMd5: 16, kVideoSha256: 32, kTmk: the whole .tmk file
  std::string external_id;          // the exchange's id; empty when it gives none
  std::vector<std::string> labels;  // tags, categories, collaborations, case numbers
  bool deleted = false;             // the exchange withdrew it: remove, do not add
};

struct ExchangeList {
  std::vector<ExchangeRecord> records;
  std::vector<std::string> notes;  // one per skipped record: "line 3: unknown signal type 'url'"
  int64_t unknown_skipped = 0;
  std::map<std::string, int64_t> unknown_by_type;  // the same, per signal type as the exchange names it
  // BadRecords::kSkip: one error per malformed record left out ("record 4: bad MD5 ...").
  std::vector<std::string> bad_records;
  // StopNCII pages: where the next page starts (nextPageToken, hasMoreRecords) and the
  // checkpoint for the next run once none is left (nextSetTimestamp; 0: absent).
  // NCMEC pages: paging/next (a path) as next_page_token, has_more_records when there is one.
  std::string next_page_token;
  bool has_more_records = false;
  int64_t next_set_timestamp = 0;
};

// What a parser does with a malformed record (a bad hash value, a field of the wrong
// type) in a document that is otherwise the exchange's: kFail fails the whole document
// (an import of a file: fix it, then add it); kSkip leaves the record out with an error
// in ExchangeList::bad_records (a fetch: one bad record must not stall a feed, as
// python-threatexchange's clients skip one). A document that is not the API's shape
// fails either way.
enum class BadRecords { kFail, kSkip };

// Where a TMK_PDQF fingerprint that NCMEC names by reference comes from: its bytes
// (a .tmk file) for the reference, or why not.
using TmkReferenceReader = std::function<Result<std::vector<uint8_t>>(const std::string& reference)>;

// A whole file's size limit is the caller's; these bound every length they read.
Result<ExchangeList> parse_te_file(std::string_view text, const std::string& name,
                                   std::optional<ExchangeSignal> bare_type = ExchangeSignal::kPdq);
Result<ExchangeList> parse_te_csv(std::string_view text, const std::string& name);
Result<ExchangeList> parse_threatexchange_json(std::string_view text, const std::string& name,
                                               BadRecords bad_records = BadRecords::kFail);
Result<ExchangeList> parse_stopncii_page(std::string_view text, const std::string& name,
                                         BadRecords bad_records = BadRecords::kFail);
Result<ExchangeList> parse_tcap_list(std::string_view text, const std::string& name,
                                     BadRecords bad_records = BadRecords::kFail);
// tmk_dir: where the TMK_PDQF binaries the file names were fetched to ("" for none:
// a TMK_PDQF fingerprint is then an error).
Result<ExchangeList> parse_ncmec_xml(std::string_view text, const std::string& name, const std::string& tmk_dir = {});
// The same with the TMK_PDQF fingerprints read by `read_tmk` (vhm fetch downloads each
// from its href); a fingerprint is `<TMK_PDQF>reference</TMK_PDQF>` or `<tmk-pdqf
// href="reference"/>`.
Result<ExchangeList> parse_ncmec_xml(std::string_view text, const std::string& name, const TmkReferenceReader& read_tmk,
                                     BadRecords bad_records = BadRecords::kFail);
Result<ExchangeList> parse_tmk_file(std::span<const uint8_t> bytes, const std::string& name);

// Checks a .tmk file's magic and that its size is the one its header implies; the
// reason when it is not one.
Status check_tmk_bytes(std::span<const uint8_t> bytes);
// Plain base64 of a whole .tmk file, bounded at 64 MiB. ThreatExchange's TMK form
// ("TMK1FVECPDQF|" + base64) is parse_threatexchange_tmk (core/tmk_features.h).
Result<std::vector<uint8_t>> decode_base64(std::string_view text);

// python-threatexchange's vPDQ signal string: a JSON array of "pdqhex,quality,timestamp",
// timestamps with 3 significant digits (1.23e+03).
std::string te_vpdq_signal(std::span<const FrameHash> frames);
Result<std::vector<FrameHash>> parse_te_vpdq_signal(std::string_view signal);

// A record's signal string as python-threatexchange writes it: PDQ and digests in hex,
// vPDQ as te_vpdq_signal, TMK in ThreatExchange's TMK1FVECPDQF|base64.
std::string te_signal_string(const ExchangeRecord& record);
// python-threatexchange's local file: "<signal_type> <signal>" and a newline.
std::string te_file_line(const ExchangeRecord& record);
// python-threatexchange's CSV: the header line, and one row per record (quoted as CSV needs).
std::string te_csv_header();
std::string te_csv_row(const ExchangeRecord& record);

// The JSON exchanges' shapes, written for the hashing side (vhm hash --format stopncii,
// threatexchange), each read back by its parser above. Records of a signal the
// exchange has no type for (vPDQ, SHA-256) are left out and counted.
struct ExchangeDocument {
  nlohmann::json document;
  int64_t records_left_out = 0;
};
// StopNCII's SubmitHashes body: {"count", "hashRecords": [{"signalType": ImagePDQ |
// VideoMD5 | VideoTMK, "hashValue"}]}; a VideoTMK value in ThreatExchange's
// TMK1FVECPDQF|base64 form (StopNCII documents no encoding of its own publicly).
ExchangeDocument stopncii_hashes_json(std::span<const ExchangeRecord> records);
// ThreatExchange descriptors: {"data": [{"type": HASH_PDQ | HASH_VIDEO_MD5 | HASH_TMK,
// "raw_indicator"}]}.
ExchangeDocument threatexchange_descriptors_json(std::span<const ExchangeRecord> records);

}  // namespace vhm
