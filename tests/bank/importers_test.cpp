// Importers: vPDQ, vhm JSON Lines, PDQ lists; format detection; garbage gives errors
// naming the file and the line; exports read back.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "bank/bank_test_util.h"
#include "bank/importers.h"
#include "core/json_text.h"
#include "hash/hash_output.h"
#include "hash/input_hasher.h"
#include "hash/vpdq_format.h"
#include "support/test_support.h"

namespace vhm {
namespace {

const std::string kHexA = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";
const std::string kHexB = "c0f1117837246aaccddea259648fbfd62f434c89c9e99b249776be216c8d055c";

void expect_line_error(const Status& st, int line, const std::string& fragment, const std::string& name) {
  EXPECT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.to_string();
  EXPECT_NE(st.message().find("line " + std::to_string(line) + ":"), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << st.to_string();
  EXPECT_EQ(st.subject(), name);
}

TEST(PdqList, PlainAndThreatExchangeLines) {
  const std::string text = "# exported list\n" + kHexA + "\n\npdq " + kHexB + "\r\n" + "PDQ_IGNORED_CASE\n";
  auto bad = parse_pdq_list(text, "list.txt");
  expect_line_error(bad.status(), 5, "bad PDQ hash", "list.txt");

  auto r =
      parse_pdq_list("# exported list\n" + kHexA + "\n\npdq " + kHexB + "\r\n  pdq   " + kHexA + "  \n", "list.txt");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->contents.size(), 2u);
  EXPECT_EQ(r->lines_skipped, 1);  // the repeated hash
  EXPECT_EQ(r->contents[0].meta.kind, ContentKind::kImage);
  EXPECT_EQ(r->contents[0].frames.at(0).hash.to_hex(), kHexA);
  EXPECT_EQ(r->contents[1].frames.at(0).hash.to_hex(), kHexB);
  EXPECT_EQ(r->contents[1].meta.source, "list.txt:4");
}

TEST(PdqList, OtherSignalTypesFailOrAreSkipped) {
  const std::string text = "pdq " + kHexA + "\nmd5 d41d8cd98f00b204e9800998ecf8427e\n";
  expect_line_error(parse_pdq_list(text, "x.txt").status(), 2, "'md5' is not supported", "x.txt");
  auto r = parse_pdq_list(text, "x.txt", true);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->contents.size(), 1u);
  EXPECT_EQ(r->lines_skipped, 1);
  expect_line_error(parse_pdq_list("pdq " + kHexA + " extra\n", "x.txt").status(), 1, "expected 'pdq <64 hex", "x.txt");
  expect_line_error(parse_pdq_list(kHexA.substr(0, 63) + "\n", "x.txt").status(), 1, "64 hex digits", "x.txt");
  EXPECT_EQ(parse_pdq_list("# nothing\n\n", "x.txt").status().code(), StatusCode::kCorrupt);
}

TEST(VpdqContent, GarbageNamesTheLine) {
  const std::string good = "0,100," + kHexA + ",0.000\n1,90," + kHexB + ",0.033\n";
  auto r = parse_vpdq_content(good, "v.txt");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->contents.size(), 1u);
  EXPECT_EQ(r->contents[0].frames.size(), 2u);
  EXPECT_EQ(r->contents[0].meta.source, "v.txt");
  expect_line_error(parse_vpdq_content(good + "2,100,zz,0.067\n", "v.txt").status(), 3, "bad PDQ hash", "v.txt");
  expect_line_error(parse_vpdq_content(good + "2,100\n", "v.txt").status(), 3, "4 comma-separated", "v.txt");
  expect_line_error(parse_vpdq_content("0,101," + kHexA + ",0.000\n", "v.txt").status(), 1, "quality", "v.txt");
}

// The lines `vhm hash --format jsonl` writes (hash_output's to_json, as cmd_hash calls
// it) for a real video and a real image, with and without bars, import to the very
// frames that were hashed.
TEST(HashJsonl, ReadsWhatVhmHashWrites) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string video = corpus + "/threatexchange/tmk/sample-videos/chair-19-sd-bar.mp4";
  const std::string image = corpus + "/threatexchange/pdq/data/bridge-mods/aaa-orig.jpg";
  for (const bool bars : {false, true}) {
    InputHashConfig config;
    config.video.sampling = VideoSampling::kEverySeconds;
    config.video.seconds = 1.0;
    config.video.timestamps = TimestampMode::kPresentation;  // what vhm hash writes in JSON
    config.video.crop_bars = bars;
    const InputHash v = hash_input({video, InputKind::kVideo, "chair"}, config);
    const InputHash im = hash_input({image, InputKind::kImage, "aaa"}, config);
    ASSERT_TRUE(v.status.is_ok() && v.video) << v.status.to_string();
    ASSERT_TRUE(im.status.is_ok() && im.image) << im.status.to_string();
    const OutputOptions output{false, "1s"};
    const std::string text = json_text(to_json(v, output)) + "\n" + json_text(to_json(im, output)) + "\n";

    auto r = parse_hash_jsonl(text, "h.jsonl");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->contents.size(), 2u);
    const NewContent& vc = r->contents[0];
    EXPECT_EQ(vc.meta.kind, ContentKind::kVideo);
    EXPECT_EQ(vc.meta.source, video);
    const std::vector<FrameHash>& want = v.video->frames;
    ASSERT_EQ(vc.frames.size(), want.size());
    ASSERT_GT(want.size(), 10u);
    size_t with_bars = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(vc.frames[i].index, want[i].index) << i;
      EXPECT_NEAR(vc.frames[i].pts_seconds, want[i].pts_seconds, 0.0005) << i;  // written to the ms
      EXPECT_EQ(vc.frames[i].quality, want[i].quality) << i;
      EXPECT_EQ(vc.frames[i].hash, want[i].hash) << i;
      EXPECT_EQ(vc.frames[i].has_cropped, want[i].has_cropped) << i;
      if (want[i].has_cropped) {
        ++with_bars;
        EXPECT_EQ(vc.frames[i].cropped, want[i].cropped) << i;
        EXPECT_EQ(vc.frames[i].cropped_quality, want[i].cropped_quality) << i;
      }
    }
    // The video is letterboxed: with bars asked for, its frames carry the inside hash.
    if (bars) EXPECT_GT(with_bars, 0u);
    else EXPECT_EQ(with_bars, 0u);
    const NewContent& ic = r->contents[1];
    EXPECT_EQ(ic.meta.kind, ContentKind::kImage);
    ASSERT_EQ(ic.frames.size(), 1u);
    EXPECT_EQ(ic.frames[0].hash, im.image->pdq.hash);
    EXPECT_EQ(ic.frames[0].quality, im.image->pdq.quality);
  }
}

TEST(HashJsonl, GarbageNamesTheLine) {
  const std::string ok =
      R"({"path":"a.mp4","type":"video","frames":[{"frame":0,"pts":0,"quality":100,"pdq":")" + kHexA + R"("}]})" + "\n";
  expect_line_error(parse_hash_jsonl(ok + "{not json\n", "h.jsonl").status(), 2, "not JSON", "h.jsonl");
  expect_line_error(
      parse_hash_jsonl(ok + R"({"path":"b.mp4","error":"cannot open","code":"not found"})" + "\n", "h.jsonl").status(),
      2, "'b.mp4' failed (cannot open)", "h.jsonl");
  expect_line_error(parse_hash_jsonl(ok + ok + R"({"path":"c.mp4","type":"video"})" + "\n", "h.jsonl").status(), 3,
                    "neither \"frames\" nor \"pdq\"", "h.jsonl");
  expect_line_error(parse_hash_jsonl(R"({"frames":[{"frame":0,"pts":0,"quality":100,"pdq":"abc"}]})"
                                     "\n",
                                     "h.jsonl")
                        .status(),
                    1, "frames[0]: bad PDQ hash", "h.jsonl");
  expect_line_error(
      parse_hash_jsonl(R"({"frames":[{"frame":-1,"pdq":")" + kHexA + R"("}]})" + "\n", "h.jsonl").status(), 1,
      "\"frame\" must be", "h.jsonl");
  expect_line_error(parse_hash_jsonl("[1,2]\n", "h.jsonl").status(), 1, "JSON object", "h.jsonl");
}

// Issue 9, item 6: a line of 100,000 nested arrays overflowed the stack (a segfault of
// `vhm bank add`), and a number beyond a double escaped as an exception (exit 3, the
// other files never processed). Both are errors of their line now.
TEST(HashJsonl, HostileJsonIsAnErrorOfItsLine) {
  const std::string ok =
      R"({"type":"video","frames":[{"frame":0,"pts":0,"quality":100,"pdq":")" + kHexA + R"("}]})" + "\n";
  const std::string deep = "{\"error\": " + std::string(100000, '[') + std::string(100000, ']') + "}\n";
  expect_line_error(parse_hash_jsonl(ok + deep, "h.jsonl").status(), 2, "not JSON", "h.jsonl");
  expect_line_error(parse_hash_jsonl(deep, "h.jsonl").status(), 1, "nest", "h.jsonl");
  const std::string huge =
      R"({"type":"video","frames":[{"frame":0,"pts":1e999,"quality":100,"pdq":")" + kHexA + R"("}]})" + "\n";
  expect_line_error(parse_hash_jsonl(ok + ok + huge, "h.jsonl").status(), 3, "not JSON", "h.jsonl");
  // Wrong-typed and out-of-range fields, each named.
  expect_line_error(parse_hash_jsonl(R"({"frames":[{"frame":18446744073709551615,"pdq":")" + kHexA +
                                         R"("}]})"
                                         "\n",
                                     "h.jsonl")
                        .status(),
                    1, "\"frame\" must be an integer", "h.jsonl");
  expect_line_error(parse_hash_jsonl(R"({"frames":[{"quality":1e300,"pdq":")" + kHexA +
                                         R"("}]})"
                                         "\n",
                                     "h.jsonl")
                        .status(),
                    1, "\"quality\" must be an integer", "h.jsonl");
  expect_line_error(parse_hash_jsonl(R"({"label":[1],"pdq":")" + kHexA +
                                         R"("})"
                                         "\n",
                                     "h.jsonl")
                        .status(),
                    1, "\"label\" must be a string", "h.jsonl");
  // A huge error text is quoted, not reproduced whole.
  const auto long_error = parse_hash_jsonl(R"({"path":"x","error":")" + std::string(100000, 'e') +
                                               R"("})"
                                               "\n",
                                           "h.jsonl");
  expect_line_error(long_error.status(), 1, "failed (eee", "h.jsonl");
  EXPECT_LT(long_error.status().message().size(), 1000u);
}

// Errors about a content after it was read (a duplicate external id) name the file and
// line that carried it: the importers say where each content came from.
TEST(Importers, EachContentKnowsItsFileAndLine) {
  const std::string rec = R"({"type":"image","pdq":")" + kHexA + R"("})";
  auto j = parse_hash_jsonl(rec + "\n\n" + rec + "\n", "h.jsonl");
  ASSERT_TRUE(j.is_ok()) << j.status().to_string();
  ASSERT_EQ(j->contents.size(), 2u);
  EXPECT_EQ(j->contents[0].origin.file, "h.jsonl");
  EXPECT_EQ(j->contents[0].origin.line, 1);
  EXPECT_EQ(j->contents[1].origin.line, 3);
  auto l = parse_pdq_list("# list\n" + kHexA + "\n" + kHexB + "\n", "l.txt");
  ASSERT_TRUE(l.is_ok());
  EXPECT_EQ(l->contents[1].origin.file, "l.txt");
  EXPECT_EQ(l->contents[1].origin.line, 3);
  auto v = parse_vpdq_content("0,100," + kHexA + ",0.000\n", "v.txt");
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(v->contents[0].origin.file, "v.txt");
  EXPECT_EQ(v->contents[0].origin.line, 0);
}

TEST(Importers, DetectsFormats) {
  EXPECT_EQ(detect_import_format("a.jsonl", ""), ImportFormat::kJsonl);
  EXPECT_EQ(detect_import_format("a.mp4", ""), ImportFormat::kMedia);
  EXPECT_EQ(detect_import_format("a.jpg", ""), ImportFormat::kMedia);
  EXPECT_EQ(detect_import_format("a.txt", "0,100," + kHexA + ",0.000\n"), ImportFormat::kVpdq);
  EXPECT_EQ(detect_import_format("a.txt", "\n# c\n" + kHexA + "\n"), ImportFormat::kPdqList);
  EXPECT_EQ(detect_import_format("a.txt", "pdq " + kHexA + "\n"), ImportFormat::kPdqList);
  EXPECT_EQ(detect_import_format("a.txt", "{\"pdq\":1}\n"), ImportFormat::kJsonl);
  EXPECT_EQ(detect_import_format("a.txt", "garbage\n"), ImportFormat::kVpdq);  // vPDQ's parser names line 1
}

TEST(Importers, ImportFileAppliesMetadataAndNamesTheFile) {
  test::TempBankDir dir;
  const std::string list = dir.file("list.txt");
  std::ofstream(list) << kHexA << "\n" << kHexB << "\n";
  ImportOptions options;
  options.label = "lbl";
  auto r = import_file(list, options);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->format, ImportFormat::kPdqList);
  for (const auto& c : r->contents) EXPECT_EQ(c.meta.label, "lbl");
  options.external_id = "te:1";
  EXPECT_EQ(import_file(list, options).status().code(), StatusCode::kInvalidArgument);  // two contents

  const std::string garbage = dir.file("garbage.txt");
  std::ofstream(garbage) << "0,100," << kHexA << ",0.000\n1,100,nothex,0.033\n";
  auto g = import_file(garbage, {});
  expect_line_error(g.status(), 2, "bad PDQ hash", garbage);
  EXPECT_NE(g.status().to_string().find(garbage + ": line 2:"), std::string::npos) << g.status().to_string();
  EXPECT_EQ(import_file(dir.file("absent.txt"), {}).status().code(), StatusCode::kNotFound);
}

TEST(Importers, ExportedJsonReadsBack) {
  std::mt19937_64 rng(3);
  ContentInfo c;
  c.id = 12;
  c.meta.external_id = "te:9";
  c.meta.label = "cat";
  c.meta.source = "x.txt";
  c.added_at = "2024-01-01T00:00:00.000Z";
  const auto frames = test::random_frames(5, rng);
  const std::string line = content_to_json(c, frames).dump() + "\n";
  auto r = parse_hash_jsonl(line, "e.jsonl");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->contents.size(), 1u);
  EXPECT_EQ(r->contents[0].meta.external_id, "te:9");
  EXPECT_EQ(r->contents[0].meta.label, "cat");
  EXPECT_EQ(r->contents[0].meta.source, "x.txt");
  EXPECT_EQ(r->contents[0].frames, frames);

  c.meta.kind = ContentKind::kImage;
  const std::vector<FrameHash> one{frames[2]};
  auto p = parse_hash_jsonl(content_to_json(c, one).dump(), "e.jsonl");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->contents[0].meta.kind, ContentKind::kImage);
  EXPECT_EQ(p->contents[0].frames[0].hash, frames[2].hash);
  EXPECT_EQ(p->contents[0].frames[0].quality, frames[2].quality);
  EXPECT_EQ(export_file_stem(c), "te_9");
}

// The content kind as every writer has spelled it: "type" (video, image) and an
// export's "signal_type" (video, pdq: the word older vhm versions read back), and the
// older or newer words beside them; and the export still writes the words older
// versions read.
TEST(HashJsonl, ReadsTheContentKindInEverySpelling) {
  const std::string frames = R"("frames":[{"frame":0,"pts":0,"quality":90,"pdq":")" + kHexA + R"("}])";
  const std::string image = R"("pdq":")" + kHexA + R"(","quality":90)";
  const struct {
    std::string record;
    ContentKind kind;
  } cases[] = {
      {"{" + frames + R"(,"type":"video"})", ContentKind::kVideo},
      {"{" + frames + R"(,"signal_type":"video"})", ContentKind::kVideo},
      {"{" + frames + R"(,"signal_type":"vpdq"})", ContentKind::kVideo},
      {"{" + image + R"(,"type":"image"})", ContentKind::kImage},
      {"{" + image + R"(,"signal_type":"pdq"})", ContentKind::kImage},
      {"{" + image + R"(,"signal_type":"image"})", ContentKind::kImage},
  };
  for (const auto& c : cases) {
    auto r = parse_hash_jsonl(c.record + "\n", "k.jsonl");
    ASSERT_TRUE(r.is_ok()) << c.record << ": " << r.status().to_string();
    EXPECT_EQ(r->contents.at(0).meta.kind, c.kind) << c.record;
  }
  expect_line_error(parse_hash_jsonl("{" + image +
                                         R"(,"signal_type":"audio"})"
                                         "\n",
                                     "k.jsonl")
                        .status(),
                    1, "unknown signal_type", "k.jsonl");

  ContentInfo info;
  info.meta.kind = ContentKind::kImage;
  std::mt19937_64 rng(4);
  const auto one = test::random_frames(1, rng);
  const nlohmann::json j = content_to_json(info, one);
  EXPECT_EQ(j["signal_type"], "pdq");
  EXPECT_EQ(j["type"], "image");
}

TEST(HashJsonl, ReadsTheInsideBarsHashInEveryShapeVhmWrites) {
  const std::string text =
      // A video frame as `vhm hash --bars` writes it, one without bars, one from a vhm
      // that wrote no quality_inside_bars, then an image with {pdq, quality}.
      R"({"type":"video","frames":[{"frame":0,"quality":100,"pdq":")" + kHexA + R"(","pdq_inside_bars":")" + kHexB +
      R"(","quality_inside_bars":35},{"frame":1,"quality":90,"pdq":")" + kHexB +
      R"("},{"frame":2,"quality":64,"pdq_inside_bars":")" + kHexB + R"(","pdq":")" + kHexA + R"("}]})" + "\n" +
      R"({"type":"image","pdq":")" + kHexB + R"(","quality":77,"pdq_inside_bars":{"pdq":")" + kHexA +
      R"(","quality":41}})" + "\n";
  auto r = parse_hash_jsonl(text, "h.jsonl");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->contents.size(), 2u);
  const auto& v = r->contents[0].frames;
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(v[0].has_cropped);
  EXPECT_EQ(v[0].cropped.to_hex(), kHexB);
  EXPECT_EQ(v[0].cropped_quality, 35);
  EXPECT_FALSE(v[1].has_cropped);
  EXPECT_TRUE(v[2].has_cropped);
  EXPECT_EQ(v[2].cropped_quality, 64) << "no quality_inside_bars: the frame's own quality";
  const FrameHash& im = r->contents[1].frames.at(0);
  EXPECT_TRUE(im.has_cropped);
  EXPECT_EQ(im.cropped.to_hex(), kHexA);
  EXPECT_EQ(im.cropped_quality, 41);

  expect_line_error(parse_hash_jsonl(R"({"frames":[{"pdq":")" + kHexA +
                                         R"(","pdq_inside_bars":"xyz"}]})"
                                         "\n",
                                     "h.jsonl")
                        .status(),
                    1, "frames[0]: bad PDQ hash 'xyz'", "h.jsonl");
  expect_line_error(parse_hash_jsonl(R"({"frames":[{"pdq":")" + kHexA + R"(","pdq_inside_bars":")" + kHexB +
                                         R"(","quality_inside_bars":101}]})"
                                         "\n",
                                     "h.jsonl")
                        .status(),
                    1, "\"quality_inside_bars\" must be an integer 0..100", "h.jsonl");
  expect_line_error(parse_hash_jsonl(R"({"pdq":")" + kHexA +
                                         R"(","pdq_inside_bars":{"quality":3}})"
                                         "\n",
                                     "h.jsonl")
                        .status(),
                    1, "\"pdq_inside_bars\" has no \"pdq\"", "h.jsonl");
}

TEST(Importers, ExportedJsonKeepsTheInsideBarsHashes) {
  std::mt19937_64 rng(4);
  ContentInfo c;
  c.id = 3;
  auto frames = test::random_frames(6, rng);
  for (size_t i = 0; i < frames.size(); i += 2) {
    frames[i].has_cropped = true;
    frames[i].cropped = test::random_hash(rng);
    frames[i].cropped_quality = static_cast<int>(i * 10);
  }
  const nlohmann::json j = content_to_json(c, frames);
  EXPECT_EQ(j["frames"][2]["pdq_inside_bars"], frames[2].cropped.to_hex());
  EXPECT_EQ(j["frames"][2]["quality_inside_bars"], 20);
  EXPECT_FALSE(j["frames"][1].contains("pdq_inside_bars"));
  EXPECT_FALSE(j["frames"][1].contains("quality_inside_bars"));
  auto r = parse_hash_jsonl(j.dump() + "\n", "e.jsonl");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->contents.at(0).frames, frames);

  c.meta.kind = ContentKind::kImage;
  FrameHash image = frames[4];  // an image is frame 0 at 0 s
  image.index = 0;
  image.pts_seconds = 0;
  const std::vector<FrameHash> one{image};
  auto p = parse_hash_jsonl(content_to_json(c, one).dump(), "e.jsonl");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->contents.at(0).frames, one);
}

}  // namespace
}  // namespace vhm
