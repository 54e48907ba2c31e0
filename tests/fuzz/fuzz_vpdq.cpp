// vPDQ text files (hash/vpdq_format.h): what `vhm bank add` reads from an exchange and
// `vhm hash --format vpdq` writes.
//
// Oracle: whatever parse_vpdq() accepts, format_vpdq() writes as text that parses
// again to the same frame numbers, qualities and hashes (timestamps are written with 3
// decimals, as the reference writes them), and that text is a fixed point: a file vhm
// exports is a file vhm imports, frame for frame.
//
// seeds: corpus threatexchange/vpdq/sample-hashes/*.txt
// seeds: corpus threatexchange/vpdq/reference-debian12/one-per-second/*.txt
#include <string>

#include "fuzz/target_support.h"
#include "hash/vpdq_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vhm;
  const auto frames = parse_vpdq(fuzz::as_text(data, size), "fuzz.txt");
  if (!frames) return 0;
  const std::string text = format_vpdq(*frames);
  const auto again = parse_vpdq(text, "formatted");
  if (!again) fuzz::fail("format_vpdq wrote text parse_vpdq refuses: " + again.status().to_string());
  if (again->size() != frames->size()) fuzz::fail("a round trip changed the number of frames");
  for (size_t i = 0; i < frames->size(); ++i) {
    const FrameHash &a = (*frames)[i], &b = (*again)[i];
    if (a.index != b.index || a.quality != b.quality || a.hash != b.hash)
      fuzz::fail("a round trip changed line " + std::to_string(i + 1) + ": " + format_vpdq_line(a) + " became " +
                 format_vpdq_line(b));
  }
  if (const std::string twice = format_vpdq(*again); twice != text) {
    size_t at = 0;
    while (at < text.size() && at < twice.size() && text[at] == twice[at]) ++at;
    const size_t line_start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
    fuzz::fail("formatting is not a fixed point after one round trip: '" +
               text.substr(line_start, text.find('\n', at) - line_start) + "' became '" +
               twice.substr(line_start, twice.find('\n', at) - line_start) + "'");
  }
  return 0;
}
