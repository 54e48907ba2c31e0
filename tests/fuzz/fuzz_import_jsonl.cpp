// JSON Lines hash files, as `vhm bank add` imports them (bank/importers.h
// parse_hash_jsonl): the output of `vhm hash --format jsonl` and of `vhm bank export`,
// and whatever an exchange sends in that shape.
//
// Oracle: every content the parser accepts, exported again as `vhm bank export` writes
// it (content_to_json, json_text), imports to the same signal type and the same frames
// (numbers, timestamps, qualities, hashes, inside-bars hashes): what vhm exports, vhm
// imports.
//
// Seeds: every record shape importers.h documents (below), and what `vhm hash` writes.
#include <string>

#include "bank/importers.h"
#include "core/json_text.h"
#include "fuzz/target_support.h"

namespace {

using vhm::FrameHash;

bool same_frame(const FrameHash& a, const FrameHash& b, bool image) {
  if (a.hash != b.hash || a.quality != b.quality || a.has_cropped != b.has_cropped) return false;
  if (a.has_cropped && (a.cropped != b.cropped || a.cropped_quality != b.cropped_quality)) return false;
  // An image is exported as its hash alone: no frame number or timestamp to keep.
  return image || (a.index == b.index && a.pts_seconds == b.pts_seconds);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  vhm::fuzz::quiet_logs();
  const std::string a = "e6cf059c4c6696362cc9d6663cd9c263714169d98327399993363d9c3d9cc666";
  const std::string b = "98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157";
  vhm::fuzz::export_seeds({
      {"hash-video.jsonl",  // vhm hash --format jsonl --bars, a video
       R"({"path":"clips/a.mp4","md5":"0123456789abcdef0123456789abcdef","type":"video","frames":[)"
       R"({"frame":0,"pts":0.0,"quality":100,"pdq":")" +
           a +
           R"("},)"
           R"({"frame":3,"pts":0.1,"quality":42,"pdq":")" +
           b + R"(","pdq_inside_bars":")" + a +
           R"(","quality_inside_bars":77}]})"
           "\n"},
      {"hash-image.jsonl",  // vhm hash --format jsonl --bars, an image
       R"({"path":"photo.jpg","type":"image","pdq":")" + a + R"(","quality":95,"pdq_inside_bars":{"pdq":")" + b +
           R"(","quality":60}})"
           "\n"},
      {"export.jsonl",  // vhm bank export --format jsonl: one video, one pdq, CRLF ends
       R"({"content_id":1,"external_id":"te:1","label":"ncii","source":"list.txt:1","signal_type":"video",)"
       R"("type":"video","added_at":"2024-05-01T12:00:00.123Z","input_frame_count":1,"frames_hashed":1,)"
       R"("frames":[{"frame":0,"pts":1.5,"quality":80,"pdq":")" +
           a +
           R"("}]})"
           "\r\n"
           R"({"content_id":2,"external_id":null,"label":"","source":"x","signal_type":"pdq","type":"image",)"
           R"("pdq":")" +
           b +
           R"(","quality":100})"
           "\r\n"},
      {"exchange.jsonl",  // hand-made: timestamps, no qualities, no frame numbers, a blank line
       R"({"signal_type":"pdq","pdq":")" + a +
           R"(","external_id":"x:9"})"
           "\n\n"
           R"({"frames":[{"pdq":")" +
           b + R"(","timestamp":2},{"pdq":")" + a +
           R"(","quality":null}]})"
           "\n"},
      {"error.jsonl",  // a failed hash: an error to report, nothing to add
       R"({"path":"bad.mp4","error":{"code":"corrupt","message":"truncated"}})"
       "\n"},
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vhm;
  const auto imported = parse_hash_jsonl(fuzz::as_text(data, size), "fuzz.jsonl");
  if (!imported) return 0;
  for (size_t i = 0; i < imported->contents.size(); ++i) {
    const NewContent& c = imported->contents[i];
    ContentInfo info;
    info.id = static_cast<int64_t>(i) + 1;
    info.meta = c.meta;
    info.frame_count = info.input_frame_count = static_cast<int64_t>(c.frames.size());
    const std::string line = json_text(content_to_json(info, c.frames));
    const auto again = parse_hash_jsonl(line, "exported.jsonl");
    if (!again) fuzz::fail("an exported content does not import: " + again.status().to_string() + "\n" + line);
    if (again->contents.size() != 1) fuzz::fail("an exported content imports as several");
    const NewContent& d = again->contents.front();
    if (d.meta.kind != c.meta.kind) fuzz::fail("a round trip changed the content kind: " + line);
    if (d.frames.size() != c.frames.size()) fuzz::fail("a round trip changed the number of frames: " + line);
    const bool image = c.meta.kind == ContentKind::kImage;
    for (size_t f = 0; f < c.frames.size(); ++f)
      if (!same_frame(c.frames[f], d.frames[f], image))
        fuzz::fail("a round trip changed frame " + std::to_string(f) + ": " + line);
  }
  return 0;
}
