// The exchanges' hash lists (bank/exchange_formats.h): python-threatexchange's file and
// CSV, ThreatExchange descriptors, StopNCII pages, TCAP lists, NCMEC XML, raw .tmk.
//
// Oracles: whatever a parser accepts holds values of their signal's size (MD5 16 bytes,
// SHA-256 32, a TMK file that passes its own check, vPDQ at least one frame); one note
// per skipped record; a te-csv row written from an accepted record reads back equal,
// and so do a te-file line and, for the signals they carry, the StopNCII and
// ThreatExchange documents vhm hash writes. The pages vhm fetch reads (BadRecords::kSkip)
// agree with the strict parse: a document it accepts is accepted with the same records
// and nothing skipped, and a document only the skipping parse accepts names what it
// skipped; unknown types counted per type add up.
#include <string>

#include "bank/exchange_formats.h"
#include "core/json_text.h"
#include "fuzz/target_support.h"

namespace {

void check_list(const vhm::ExchangeList& list) {
  using vhm::ExchangeSignal;
  using vhm::fuzz::fail;
  if (static_cast<size_t>(list.unknown_skipped) != list.notes.size()) fail("a skipped record without its note");
  int64_t by_type = 0;
  for (const auto& [type, n] : list.unknown_by_type) by_type += n;
  if (by_type != list.unknown_skipped) fail("unknown types per type do not add up");
  for (const vhm::ExchangeRecord& r : list.records) {
    if (r.deleted) continue;
    switch (r.signal) {
      case ExchangeSignal::kVideoMd5:
        if (r.bytes.size() != 16) fail("an MD5 of other than 16 bytes");
        break;
      case ExchangeSignal::kVideoSha256:
        if (r.bytes.size() != 32) fail("a SHA-256 of other than 32 bytes");
        break;
      case ExchangeSignal::kTmk:
        if (!vhm::check_tmk_bytes(r.bytes).is_ok()) fail("an accepted TMK that fails its check");
        break;
      case ExchangeSignal::kVpdq:
        if (r.frames.empty()) fail("a vpdq record with no frames");
        break;
      case ExchangeSignal::kPdq:
        break;
    }
    const auto same_value = [&](const vhm::ExchangeRecord& b) {
      return b.signal == r.signal && (r.signal == ExchangeSignal::kPdq ? b.pdq == r.pdq : b.bytes == r.bytes);
    };
    if (r.signal != ExchangeSignal::kVpdq) {
      auto line = vhm::parse_te_file(vhm::te_file_line(r), "back.txt");
      if (!line || line->records.size() != 1 || !same_value(line->records[0]))
        fail("a te-file line written does not read back");
    }
    if (r.signal != ExchangeSignal::kVpdq && r.signal != ExchangeSignal::kVideoSha256) {
      const vhm::ExchangeRecord one[] = {r};
      auto s = vhm::parse_stopncii_page(vhm::json_text(vhm::stopncii_hashes_json(one).document), "back.json");
      if (!s || s->records.size() != 1 || !same_value(s->records[0])) fail("a StopNCII record does not read back");
      auto t = vhm::parse_threatexchange_json(vhm::json_text(vhm::threatexchange_descriptors_json(one).document),
                                              "back.json");
      if (!t || t->records.size() != 1 || !same_value(t->records[0]))
        fail("a ThreatExchange descriptor does not read back");
    }
    if (r.signal == ExchangeSignal::kPdq || r.signal == ExchangeSignal::kVpdq) {
      auto back = vhm::parse_te_csv(vhm::te_csv_header() + vhm::te_csv_row(r), "back.csv");
      if (!back || back->records.size() != 1) fail("a te-csv row written does not read back");
      if (r.signal == ExchangeSignal::kPdq && back->records[0].pdq != r.pdq) fail("a pdq row read back differs");
      if (r.signal == ExchangeSignal::kVpdq && back->records[0].frames.size() != r.frames.size())
        fail("a vpdq row read back has other frames");
    }
  }
}

// The same text through a page parser in both modes.
template <typename Parse>
void check_modes(Parse parse) {
  auto strict = parse(vhm::BadRecords::kFail);
  auto skipping = parse(vhm::BadRecords::kSkip);
  if (strict) check_list(*strict);
  if (skipping) check_list(*skipping);
  if (strict && (!skipping || skipping->records.size() != strict->records.size() || !skipping->bad_records.empty()))
    vhm::fuzz::fail("a page the strict parse accepts reads otherwise when skipping");
  if (!strict && skipping && skipping->bad_records.empty())
    vhm::fuzz::fail("a page only the skipping parse accepts, with nothing skipped");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vhm::fuzz::export_seeds({
      {"list.csv",
       "signal_type,signal_str,collab,category,tags\n"
       "pdq,98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157,c,cat,a b\n"
       "vpdq,\"[\"\"98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157,100,1.23e+03\"\"]\",,,\n"
       "video_md5,d41d8cd98f00b204e9800998ecf8427e,,,\nurl,https://x,,,\n"},
      {"stopncii.json",
       R"({"hashRecords": [{"signalType": "VideoMD5", "hashValue": "d41d8cd98f00b204e9800998ecf8427e",)"
       R"( "hashStatus": "Withdrawn"}], "nextPageToken": "t", "hasMoreRecords": false})"},
      {"tcap.json", R"({"results": [{"hash_digest": "d41d8cd98f00b204e9800998ecf8427e", "algorithm": "MD5"}]})"},
      {"ncmec.xml",
       "<queryResult xmlns=\"https://hashsharing.ncmec.org/hashsharing/v2\"><images><image><id>1</id>"
       "<fingerprints><pdq>98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157</pdq></fingerprints>"
       "</image><deletedImage><id>2</id></deletedImage></images></queryResult>"},
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vhm;
  const std::string_view text = fuzz::as_text(data, size);
  if (auto l = parse_te_file(text, "f")) check_list(*l);
  if (auto l = parse_te_csv(text, "f")) check_list(*l);
  check_modes([&](BadRecords b) { return parse_threatexchange_json(text, "f", b); });
  check_modes([&](BadRecords b) { return parse_stopncii_page(text, "f", b); });
  check_modes([&](BadRecords b) { return parse_tcap_list(text, "f", b); });
  check_modes([&](BadRecords b) {
    return parse_ncmec_xml(
        text, "f",
        [](const std::string&) -> Result<std::vector<uint8_t>> { return Status(StatusCode::kCorrupt, "no file"); }, b);
  });
  if (auto l = parse_tmk_file({data, size}, "f")) check_list(*l);
  return 0;
}
