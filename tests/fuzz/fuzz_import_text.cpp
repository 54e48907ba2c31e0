// The text importers of `vhm bank add` other than JSON Lines (bank/importers.h): the
// format "auto" detects from a file's first lines, vPDQ files as one video content, and
// PDQ lists ("<hex>" or "pdq <hex>" per line, python-threatexchange's file exchange).
//
// Oracles: a PDQ list gives one single-hash pdq content per distinct hash, each naming
// the line it came from, never more contents plus skipped lines than the text has
// lines; a vPDQ file gives one video content with at least one frame.
//
// seeds: corpus threatexchange/pdq/data/reg-test-input/*.txt
// seeds: corpus threatexchange/vpdq/sample-hashes/test-padded-dimensions.txt
#include <algorithm>
#include <set>
#include <string>

#include "bank/importers.h"
#include "fuzz/target_support.h"

namespace {

void check_pdq_list(const vhm::ImportResult& r, std::string_view text) {
  using vhm::fuzz::fail;
  const auto lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (r.contents.empty()) fail("a PDQ list accepted with no content");
  if (r.contents.size() + static_cast<size_t>(r.lines_skipped) > lines) fail("more contents and skips than lines");
  std::set<vhm::Hash256> seen;
  for (const vhm::NewContent& c : r.contents) {
    if (c.meta.kind != vhm::ContentKind::kImage || c.frames.size() != 1) fail("a list entry is not one pdq hash");
    if (!seen.insert(c.frames[0].hash).second) fail("a repeated hash was added twice");
    if (c.meta.source.rfind("list.txt:", 0) != 0) fail("an entry does not name its line: " + c.meta.source);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vhm::fuzz::export_seeds({
      {"list.txt",
       "# a list\npdq 98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157\n\n"
       "md5 0123456789abcdef0123456789abcdef\r\n"
       "E162474A56BABAADCE4CCFE2231F4ABDCAC5342E31032BDD2EACA68BCA87D516\n"},
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vhm;
  const std::string_view text = fuzz::as_text(data, size);
  // What import_file does for a file with no telling extension: the first 4 KiB decide.
  const ImportFormat detected = detect_import_format("upload", text.substr(0, 4096));
  if (detected == ImportFormat::kAuto) fuzz::fail("detection gave no format");

  if (auto v = parse_vpdq_content(text, "file.vpdq")) {
    if (v->contents.size() != 1 || v->contents[0].frames.empty() || v->contents[0].meta.kind != ContentKind::kVideo)
      fuzz::fail("a vPDQ file gave other than one video content with frames");
  }
  for (const bool skip : {false, true})
    if (auto p = parse_pdq_list(text, "list.txt", skip)) check_pdq_list(*p, text);
  return 0;
}
