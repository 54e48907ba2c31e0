// The exchanges' hash lists (bank/exchange_formats.h): fixtures written from the public
// documentation; each format's records, unknown types as notes, garbage as a kCorrupt
// naming the record, the te-csv writer read back, and `vhm bank add` end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "bank/bank_test_util.h"
#include "bank/exchange_formats.h"
#include "bank/importers.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

const std::string kHexA = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";
const std::string kHexB = "c0f1117837246aaccddea259648fbfd62f434c89c9e99b249776be216c8d055c";
const std::string kMd5 = "d41d8cd98f00b204e9800998ecf8427e";
const std::string kSha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

void expect_corrupt(const Status& st, const std::string& where, const std::string& fragment) {
  EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.to_string();
  EXPECT_NE(st.message().find(where + ":"), std::string::npos) << st.to_string();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << st.to_string();
  EXPECT_EQ(st.subject(), "list");
}

// The smallest well-formed .tmk: 1 period, 1 coefficient, a 2-dimensional feature.
std::string tiny_tmk() {
  std::string t = "TMK1FVECPDQF";
  auto put = [&](int32_t v) {
    for (int i = 0; i < 4; ++i) t += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (int32_t v : {15, 1, 1, 2, 10}) put(v);
  t += std::string(4 + 4 + 8 + 2 * 4 * 2, '\x01');
  return t;
}

std::string base64(std::string_view bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += std::string{kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += std::string{kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(TeFile, TypedAndBareLinesUnknownTypesAreNotes) {
  auto r = parse_te_file("# list\npdq " + kHexA + "\nvideo_md5 " + kMd5 + "\nurl https://x\n" + kHexB + "\n", "list");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].pdq.to_hex(), kHexA);
  EXPECT_EQ(r->records[1].signal, ExchangeSignal::kVideoMd5);
  EXPECT_EQ(r->records[1].bytes.size(), 16u);
  EXPECT_EQ(r->records[2].pdq.to_hex(), kHexB);  // bare: the given type, pdq
  EXPECT_EQ(r->unknown_skipped, 1);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("line 4"), std::string::npos) << r->notes[0];
  expect_corrupt(parse_te_file("pdq " + kHexA + "\nvideo_md5 abc\n", "list").status(), "line 2", "32 hex digits");
  expect_corrupt(parse_te_file(kHexA + "\n", "list", std::nullopt).status(), "line 1", "<signal_type>");
}

TEST(TeCsv, EverySignalAndQuotedVpdq) {
  const std::string vpdq = "\"[\"\"" + kHexA + ",100,0.0\"\", \"\"" + kHexB + ",87,1.23e+03\"\"]\"";
  const std::string text =
      "signal_type,signal_str,collab,category,tags\r\n"
      "pdq," +
      kHexA +
      ",my-collab,adult,tag1 tag2\n"
      "vpdq," +
      vpdq +
      ",,,\n"
      "video_md5," +
      kMd5 +
      ",,,\n"
      "video_sha256," +
      kSha256 +
      ",,,\n"
      "raw_text,hello,,,\n";
  auto r = parse_te_csv(text, "list");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->records[0].labels, (std::vector<std::string>{"my-collab", "adult", "tag1", "tag2"}));
  ASSERT_EQ(r->records[1].frames.size(), 2u);
  EXPECT_EQ(r->records[1].frames[1].hash.to_hex(), kHexB);
  EXPECT_EQ(r->records[1].frames[1].quality, 87);
  EXPECT_DOUBLE_EQ(r->records[1].frames[1].pts_seconds, 1230.0);
  EXPECT_EQ(r->records[3].bytes.size(), 32u);
  EXPECT_EQ(r->unknown_skipped, 1);
  expect_corrupt(parse_te_csv("signal_type,signal_str\npdq,xyz\n", "list").status(), "line 2", "bad PDQ hash");
  expect_corrupt(parse_te_csv("signal_type,signal_str\nvpdq,\"[\"\"" + kHexA + ",101,0\"\"]\"\n", "list").status(),
                 "line 2", "quality");
  expect_corrupt(parse_te_csv("signal_type,signal_str\npdq,\"" + kHexA + "\n", "list").status(), "line 2",
                 "not closed");
  expect_corrupt(parse_te_csv("pdq," + kHexA + "\n", "list").status(), "line 1", "header");
}

TEST(TeCsv, WriterReadsBack) {
  ExchangeRecord image;
  image.pdq = *Hash256::from_hex(kHexA);
  image.labels = {"ncii"};
  ExchangeRecord video;
  video.signal = ExchangeSignal::kVpdq;
  for (int i = 0; i < 3; ++i) {
    FrameHash f;
    f.index = i;
    f.hash = *Hash256::from_hex(i % 2 ? kHexA : kHexB);
    f.quality = 90 + i;
    f.pts_seconds = i * 1234.5;
    video.frames.push_back(f);
  }
  EXPECT_NE(te_vpdq_signal(video.frames).find(",91,1.23e+03\""), std::string::npos) << te_vpdq_signal(video.frames);
  auto r = parse_te_csv(te_csv_header() + te_csv_row(image) + te_csv_row(video), "list");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].pdq, image.pdq);
  EXPECT_EQ(r->records[0].labels, image.labels);
  ASSERT_EQ(r->records[1].frames.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r->records[1].frames[i].hash, video.frames[i].hash);
    EXPECT_EQ(r->records[1].frames[i].quality, video.frames[i].quality);
    EXPECT_NEAR(r->records[1].frames[i].pts_seconds, video.frames[i].pts_seconds, 5.0);  // 3 significant digits
  }
}

TEST(Tmk, MagicAndHeaderSize) {
  const std::string tmk = tiny_tmk();
  EXPECT_TRUE(check_tmk_bytes(as_bytes(tmk)).is_ok()) << check_tmk_bytes(as_bytes(tmk)).to_string();
  EXPECT_EQ(check_tmk_bytes(as_bytes(tmk.substr(0, tmk.size() - 1))).code(), StatusCode::kCorrupt);
  std::string bad_magic = tmk;
  bad_magic[4] = 'X';
  EXPECT_EQ(check_tmk_bytes(as_bytes(bad_magic)).code(), StatusCode::kCorrupt);
  std::string huge = tmk;
  huge[16] = huge[17] = huge[18] = '\x7f';  // a period count no file has: refused, nothing allocated
  EXPECT_EQ(check_tmk_bytes(as_bytes(huge)).code(), StatusCode::kCorrupt);
  auto r = parse_tmk_file(as_bytes(tmk), "x.tmk");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->records.at(0).bytes.size(), tmk.size());
  EXPECT_EQ(parse_tmk_file(as_bytes(tmk.substr(0, 20)), "x.tmk").status().subject(), "x.tmk");
}

TEST(Tmk, CorpusFilesAreWellFormed) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path dir = fs::path(corpus) / "threatexchange/tmk/sample-hashes";
  int seen = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".tmk") continue;
    const std::string bytes = test::read_text_file(e.path().string());
    EXPECT_TRUE(check_tmk_bytes(as_bytes(bytes)).is_ok()) << e.path();
    ++seen;
  }
  EXPECT_GT(seen, 0);
}

TEST(ThreatExchange, DescriptorsTmkAndDeletions) {
  const std::string tmk = tiny_tmk();
  const std::string te_tmk = "TMK1FVECPDQF|" + base64(tmk.substr(12));
  const std::string text = R"({"data": [
    {"id": "101", "type": "HASH_PDQ", "indicator": {"indicator": ")" +
                           kHexA + R"("}, "tags": {"data": [{"text": "nsfw"}]}},
    {"id": 102, "type": "HASH_VIDEO_MD5", "raw_indicator": ")" +
                           kMd5 + R"("},
    {"id": "103", "type": "HASH_MD5", "raw_indicator": ")" +
                           kMd5 + R"(", "media_type": "VIDEO"},
    {"id": "104", "type": "HASH_TMK", "raw_indicator": ")" +
                           te_tmk + R"("},
    {"id": "105", "type": "HASH_PDQ", "raw_indicator": ")" +
                           kHexB + R"(", "status": "DELETED"},
    {"id": "106", "type": "URI", "raw_indicator": "https://example.com"}
  ]})";
  auto r = parse_threatexchange_json(text, "list");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 5u);
  EXPECT_EQ(r->records[0].external_id, "te:101");
  EXPECT_EQ(r->records[0].labels, std::vector<std::string>{"nsfw"});
  EXPECT_EQ(r->records[1].external_id, "te:102");
  EXPECT_EQ(r->records[2].signal, ExchangeSignal::kVideoMd5);
  EXPECT_EQ(r->records[3].signal, ExchangeSignal::kTmk);
  EXPECT_EQ(std::string(r->records[3].bytes.begin(), r->records[3].bytes.end()), tmk);
  EXPECT_TRUE(r->records[4].deleted);
  EXPECT_EQ(r->unknown_skipped, 1);
  expect_corrupt(
      parse_threatexchange_json(R"({"data": [{"type": "HASH_TMK", "raw_indicator": "TMK1FVECPDQF|AAAA"}]})", "list")
          .status(),
      "record 0", ".tmk");
  EXPECT_EQ(parse_threatexchange_json("{\"data\": 3}", "list").status().code(), StatusCode::kCorrupt);
}

TEST(StopNcii, PageRecordsStatusAndTmkForms) {
  const std::string tmk = tiny_tmk();
  const std::string text =
      R"({"hashRecords": [
    {"signalType": "ImagePDQ", "hashValue": ")" +
      kHexA + R"(", "hashStatus": "Active", "caseNumbers": {"ncii": "C-1"}, "lastModtimestamp": 1700000000},
    {"signalType": "ImagePDQ", "hashValue": ")" +
      kHexB + R"(", "hashStatus": "Withdrawn"},
    {"signalType": "VideoMD5", "hashValue": ")" +
      kMd5 + R"(", "hashStatus": "Active"},
    {"signalType": "VideoTMK", "hashValue": ")" +
      base64(tmk) + R"(", "hashStatus": "Active"},
    {"signalType": "VideoTMK", "hashValue": "TMK1FVECPDQF|)" +
      base64(tmk.substr(12)) + R"(", "hashStatus": "Active"},
    {"signalType": "Text", "hashValue": "x", "hashStatus": "Active"},
    {"signalType": "VideoMD5", "hashValue": ")" +
      kMd5 + R"(", "hashStatus": "Deleted"}
  ], "nextPageToken": "tok2", "hasMoreRecords": true})";
  auto r = parse_stopncii_page(text, "list");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 6u);
  EXPECT_FALSE(r->records[2].deleted);
  EXPECT_TRUE(r->records[5].deleted);  // Deleted, as Withdrawn: the client deletes it
  EXPECT_EQ(r->next_page_token, "tok2");
  EXPECT_TRUE(r->has_more_records);
  EXPECT_EQ(r->records[0].labels, std::vector<std::string>{"ncii:C-1"});
  EXPECT_FALSE(r->records[0].deleted);
  EXPECT_TRUE(r->records[1].deleted);
  EXPECT_EQ(r->records[1].external_id, "stopncii:" + kHexB);
  EXPECT_EQ(r->records[3].bytes, r->records[4].bytes);  // both TMK forms: the same file
  EXPECT_EQ(r->records[3].bytes.size(), tmk.size());
  EXPECT_EQ(r->unknown_skipped, 1);
  expect_corrupt(
      parse_stopncii_page(R"({"hashRecords": [{"signalType": "VideoMD5", "hashValue": "zz"}]})", "list").status(),
      "record 0", "video_md5");
}

TEST(Tcap, ResultsAndDeleted) {
  const std::string text = R"({"count": 3, "results": [
    {"hash_digest": ")" + kSha256 +
                           R"(", "algorithm": "SHA256", "deleted": false},
    {"hash_digest": ")" + kHexA +
                           R"(", "algorithm": "PDQ", "deleted": true},
    {"hash_digest": "abc", "algorithm": "TLSH", "deleted": false}
  ]})";
  auto r = parse_tcap_list(text, "list");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].signal, ExchangeSignal::kVideoSha256);
  EXPECT_TRUE(r->records[1].deleted);
  EXPECT_EQ(r->records[1].external_id, "tcap:" + kHexA);
  EXPECT_EQ(r->unknown_skipped, 1);
  expect_corrupt(parse_tcap_list(R"({"results": [{"hash_digest": "12", "algorithm": "MD5"}]})", "list").status(),
                 "record 0", "32 hex digits");
}

TEST(Ncmec, ImagesVideosTmkReferencesAndDeletions) {
  test::TempBankDir dir;
  const std::string tmk = tiny_tmk();
  std::ofstream(dir.file("v1.tmk"), std::ios::binary) << tmk;
  const std::string text = R"(<?xml version="1.0" encoding="UTF-8"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
  <images count="3" maxTimestamp="2024-01-01T00:00:00Z">
    <image><id>img-1</id><member id="7">ESP</member><classification>A1</classification>
      <fingerprints><md5>)" +
                           kMd5 + R"(</md5><pdq>)" + kHexA + R"(</pdq></fingerprints></image>
    <deletedImage><id>img-2</id><member id="7">ESP</member></deletedImage>
  </images>
  <videos count="1" maxTimestamp="2024-01-01T00:00:00Z">
    <video><id>vid-1</id><member id="7">ESP</member>
      <fingerprints><md5>)" +
                           kMd5 + R"(</md5><tmk_pdqf>files/v1.tmk</tmk_pdqf></fingerprints></video>
  </videos>
</queryResult>)";
  auto r = parse_ncmec_xml(text, "list", dir.str());
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->records[0].signal, ExchangeSignal::kPdq);
  EXPECT_EQ(r->records[0].external_id, "ncmec:img-1");
  EXPECT_EQ(r->records[0].labels, std::vector<std::string>{"A1"});
  EXPECT_TRUE(r->records[1].deleted);
  EXPECT_EQ(r->records[1].external_id, "ncmec:img-2");
  EXPECT_EQ(r->records[2].signal, ExchangeSignal::kVideoMd5);
  EXPECT_EQ(r->records[3].signal, ExchangeSignal::kTmk);
  EXPECT_EQ(r->records[3].bytes.size(), tmk.size());
  EXPECT_EQ(r->unknown_skipped, 1);  // the image's MD5
  expect_corrupt(parse_ncmec_xml(text, "list", dir.file("absent")).status(), "line 10", "TMK_PDQF");
  std::string bad = text;
  bad.replace(bad.find(kHexA), 4, "zzzz");
  expect_corrupt(parse_ncmec_xml(bad, "list", dir.str()).status(), "line 5", "bad PDQ hash");
  EXPECT_EQ(parse_ncmec_xml("<queryResult/>", "list").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(parse_ncmec_xml("<queryResult", "list").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(detect_import_format("a.txt", text), ImportFormat::kNcmec);
}

TEST(ExchangeImport, AutoDetectionByContent) {
  EXPECT_EQ(detect_import_format("a.json", R"({"hashRecords": [])"), ImportFormat::kStopNcii);
  EXPECT_EQ(detect_import_format("a.json", R"({"results": [{"hash_digest": "x"}]})"), ImportFormat::kTcap);
  EXPECT_EQ(detect_import_format("a.json", R"({"data": [{"type": "HASH_PDQ", "raw_indicator": "x"}]})"),
            ImportFormat::kThreatExchange);
  EXPECT_EQ(detect_import_format("a.txt", "signal_type,signal_str,collab,category,tags\n"), ImportFormat::kTeCsv);
  EXPECT_EQ(detect_import_format("a.bin", tiny_tmk()), ImportFormat::kTmk);
  EXPECT_EQ(detect_import_format("a.jsonl", R"({"pdq": "x"})"), ImportFormat::kJsonl);
  EXPECT_EQ(detect_import_format("a.txt", "pdq " + kHexA), ImportFormat::kPdqList);
  for (const char* name : {"te-file", "te-csv", "threatexchange", "stopncii", "tcap", "tmk", "ncmec"})
    EXPECT_EQ(import_format_name(*parse_import_format(name)), std::string(name));
}

// A te-csv list added to a real bank with `vhm bank add`, exported as te-csv, added to a
// second bank; then a TCAP deletion removes a content by its external id.
TEST(ExchangeImport, CliAddExportRoundTripAndDeletion) {
  test::TempBankDir dir;
  const std::string bank = dir.bank(), bank2 = dir.file("bank2");
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  ASSERT_EQ(test::run_vhm("bank create " + bank2).exit_code, 0);
  const std::string csv = dir.file("list.csv");
  std::ofstream(csv) << "signal_type,signal_str,collab,category,tags\n"
                     << "pdq," << kHexA << ",,,\n"
                     << "vpdq,\"[\"\"" << kHexA << ",100,0\"\",\"\"" << kHexB << ",80,1.5\"\"]\",,,\n"
                     << "video_md5," << kMd5 << ",,,\n"
                     << "url,https://x,,,\n";
  auto add = test::run_vhm("bank add " + bank + " " + csv + " --json");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const auto j = nlohmann::json::parse(add.out);
  EXPECT_EQ(j["format"], "te-csv");
  EXPECT_EQ(j["contents"], 3) << "the MD5 is a content of its own";
  EXPECT_EQ(j["signal_values"], 1);
  EXPECT_FALSE(j.contains("signals_not_stored"));
  EXPECT_EQ(j["lines_skipped"], 1);

  const std::string exported = dir.file("out.csv");
  ASSERT_EQ(test::run_vhm("bank export " + bank + " --format te-csv --out " + exported).exit_code, 0);
  auto back = parse_te_csv(test::read_text_file(exported), exported);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_EQ(back->records.size(), 3u);
  EXPECT_EQ(back->records[0].pdq.to_hex(), kHexA);
  EXPECT_EQ(back->records[2].signal, ExchangeSignal::kVideoMd5);
  EXPECT_EQ(te_csv_row(back->records[2]).substr(0, 10 + kMd5.size()), "video_md5," + kMd5);
  ASSERT_EQ(back->records[1].frames.size(), 2u);
  EXPECT_EQ(back->records[1].frames[1].hash.to_hex(), kHexB);
  EXPECT_EQ(back->records[1].frames[1].quality, 80);
  ASSERT_EQ(test::run_vhm("bank add " + bank2 + " " + exported + " --format te-csv").exit_code, 0);

  // TCAP: one hash added with its external id, then the list that deletes it.
  const std::string add_list = dir.file("tcap1.json"), delete_list = dir.file("tcap2.json");
  std::ofstream(add_list) << R"({"results": [{"hash_digest": ")" << kHexB
                          << R"(", "algorithm": "PDQ", "deleted": false}]})";
  std::ofstream(delete_list) << R"({"results": [{"hash_digest": ")" << kHexB
                             << R"(", "algorithm": "PDQ", "deleted": true}]})";
  ASSERT_EQ(test::run_vhm("bank add " + bank + " " + add_list).exit_code, 0);
  auto del = test::run_vhm("bank add " + bank + " " + delete_list + " --json");
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(nlohmann::json::parse(del.out)["removed"], 1);
  auto bank_open = test::open_ok(bank);
  auto content = bank_open->content(ContentRef::by_external_id("tcap:" + kHexB));
  ASSERT_TRUE(content.is_ok()) << content.status().to_string();
  EXPECT_TRUE(content->removed());
}

// Every whole-content value of a bank, as "signal hex", and each content's external id
// with its values (how they were grouped).
struct BankSignals {
  std::multiset<std::string> values;
  std::multiset<std::string> contents;
};

BankSignals bank_signals(const std::string& bank_dir) {
  BankSignals out;
  auto bank = test::open_ok(bank_dir);
  EXPECT_TRUE(bank->for_each_content_with_signals(
                      false,
                      [&](const ContentInfo& c, std::span<const FrameHash>, std::span<const ContentSignal> signals) {
                        std::vector<std::string> mine;
                        for (const ContentSignal& s : signals) {
                          std::string hex;
                          for (uint8_t b : s.value) {
                            static constexpr char kHex[] = "0123456789abcdef";
                            hex += kHex[b >> 4];
                            hex += kHex[b & 15];
                          }
                          mine.push_back(std::to_string(static_cast<int>(s.signal)) + " " + hex);
                          out.values.insert(mine.back());
                        }
                        std::sort(mine.begin(), mine.end());
                        std::string all = c.meta.external_id;
                        for (const auto& m : mine) all += " | " + m;
                        out.contents.insert(all);
                        return Status::ok();
                      })
                  .is_ok());
  return out;
}

// Each exchange format's md5, sha256 and tmk records are stored (the records of one
// NCMEC video one content), exported as JSON Lines and as te-csv, and added again: the
// same values, and through JSON Lines the same contents with their external ids.
TEST(ExchangeImport, EveryFormatsMd5Sha256AndTmkSurviveExportAndImport) {
  test::TempBankDir dir;
  const std::string tmk = tiny_tmk();
  const std::string te_tmk = "TMK1FVECPDQF|" + base64(tmk.substr(12));
  std::ofstream(dir.file("v1.tmk"), std::ios::binary) << tmk;
  struct Case {
    const char* format;
    std::string text;
    size_t contents;
    size_t values;
  } cases[] = {
      {"te-file", "video_md5 " + kMd5 + "\nvideo_sha256 " + kSha256 + "\ntmk " + te_tmk + "\n", 3, 3},
      {"te-csv",
       "signal_type,signal_str,collab,category,tags\nvideo_md5," + kMd5 + ",,,\nvideo_sha256," + kSha256 + ",,,\ntmk," +
           te_tmk + ",,,t1\n",
       3, 3},
      {"threatexchange",
       R"({"data": [{"id": "102", "type": "HASH_VIDEO_MD5", "raw_indicator": ")" + kMd5 +
           R"("}, {"id": "104", "type": "HASH_TMK", "raw_indicator": ")" + te_tmk + R"("}]})",
       2, 2},
      {"stopncii",
       R"({"hashRecords": [{"signalType": "VideoMD5", "hashValue": ")" + kMd5 +
           R"(", "hashStatus": "Active"}, {"signalType": "VideoTMK", "hashValue": ")" + base64(tmk) +
           R"(", "hashStatus": "Active"}]})",
       2, 2},
      {"tcap",
       R"({"results": [{"hash_digest": ")" + kMd5 + R"(", "algorithm": "MD5"}, {"hash_digest": ")" + kSha256 +
           R"(", "algorithm": "SHA256"}]})",
       2, 2},
      {"tmk", tmk, 1, 1},
      {"ncmec",
       R"(<?xml version="1.0" encoding="UTF-8"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
  <videos count="1" maxTimestamp="2024-01-01T00:00:00Z">
    <video><id>vid-1</id><member id="7">ESP</member>
      <fingerprints><md5>)" +
           kMd5 +
           R"(</md5><tmk_pdqf>files/v1.tmk</tmk_pdqf></fingerprints></video>
  </videos>
</queryResult>)",
       1, 2},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.format);
    const std::string b1 = dir.file("b1-" + std::to_string(n)), b2 = dir.file("b2-" + std::to_string(n)),
                      b3 = dir.file("b3-" + std::to_string(n));
    const std::string input = dir.file("in-" + std::to_string(n++));
    std::ofstream(input, std::ios::binary) << c.text;
    for (const auto& b : {b1, b2, b3}) ASSERT_EQ(test::run_vhm("bank create " + b).exit_code, 0);
    auto add = test::run_vhm("bank add " + b1 + " " + input + " --format " + c.format + " --tmk-dir " + dir.str());
    ASSERT_EQ(add.exit_code, 0) << add.err;
    const BankSignals first = bank_signals(b1);
    EXPECT_EQ(first.contents.size(), c.contents) << ::testing::PrintToString(first.contents);
    EXPECT_EQ(first.values.size(), c.values);
    const std::string jsonl = input + ".jsonl", csv = input + ".csv";
    ASSERT_EQ(test::run_vhm("bank export " + b1 + " --out " + jsonl).exit_code, 0);
    ASSERT_EQ(test::run_vhm("bank export " + b1 + " --format te-csv --out " + csv).exit_code, 0);
    auto again = test::run_vhm("bank add " + b2 + " " + jsonl);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto from_csv = test::run_vhm("bank add " + b3 + " " + csv + " --format te-csv");
    ASSERT_EQ(from_csv.exit_code, 0) << from_csv.err;
    EXPECT_EQ(bank_signals(b2).contents, first.contents) << "JSON Lines keep contents and their external ids";
    EXPECT_EQ(bank_signals(b3).values, first.values) << "te-csv keeps the values";
    // The other writers: te-file keeps every value; StopNCII and ThreatExchange every
    // value they have a type for (no SHA-256).
    std::multiset<std::string> without_sha256;
    for (const std::string& v : first.values)
      if (!v.starts_with(std::to_string(static_cast<int>(SignalId::kVideoSha256)) + " ")) without_sha256.insert(v);
    for (const char* format : {"te-file", "stopncii", "threatexchange"}) {
      const std::string out = input + "." + format, bank = dir.file("b4-" + std::to_string(n) + "-" + format);
      ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
      const auto exported = test::run_vhm("bank export " + b1 + " --format " + format + " --out " + out);
      ASSERT_EQ(exported.exit_code, 0) << format << ": " << exported.err;
      const auto added = test::run_vhm("bank add " + bank + " " + out + " --format " + format);
      ASSERT_EQ(added.exit_code, 0) << format << ": " << added.err;
      EXPECT_EQ(bank_signals(bank).values, std::string(format) == "te-file" ? first.values : without_sha256) << format;
    }
  }
}

// `vhm bank stats` and `verify` count the whole-content values; a vPDQ export leaves the
// contents without frames out and says so; a malformed TMK record fails its file by line.
TEST(ExchangeImport, CliStatsVerifyAndExportOfSignals) {
  test::TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  const std::string te_tmk = "TMK1FVECPDQF|" + base64(tiny_tmk().substr(12));
  const std::string list = dir.file("list.txt");
  std::ofstream(list) << "video_md5 " << kMd5 << "\nvideo_md5 " << kSha256.substr(0, 32) << "\ntmk " << te_tmk
                      << "\npdq " << kHexA << "\n";
  auto add = test::run_vhm("bank add " + bank + " " + list + " --format te-file");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(add.out.find("3 whole-content signal values"), std::string::npos) << add.out;
  auto stats = test::run_vhm("bank stats " + bank + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["signals"]["video_md5"]["contents"], 2);
  EXPECT_EQ(j["signals"]["video_md5"]["values"], 2);
  EXPECT_EQ(j["signals"]["tmk"]["contents"], 1);
  EXPECT_FALSE(j["signals"].contains("video_sha256"));
  EXPECT_EQ(j["contents_without_frames"], 3);
  EXPECT_EQ(j["format"], kBankFormatVersion);
  auto text = test::run_vhm("bank stats " + bank);
  EXPECT_NE(text.out.find("video_md5     2 live contents, 2 values"), std::string::npos) << text.out;
  auto verify = test::run_vhm("bank verify " + bank + " --json");
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(nlohmann::json::parse(verify.out)["signal_values_checked"], 3);
  auto vpdq = test::run_vhm("bank export " + bank + " --format vpdq --out-dir " + dir.file("vpdq"));
  ASSERT_EQ(vpdq.exit_code, 0) << vpdq.err;
  EXPECT_NE(vpdq.err.find("1 contents written"), std::string::npos) << vpdq.err;
  EXPECT_NE(vpdq.err.find("3 without frames left out"), std::string::npos) << vpdq.err;

  // A TMK whose header promises more than the file holds: the file fails by its line,
  // nothing of it is added.
  const std::string bad = dir.file("bad.txt");
  std::ofstream(bad) << "video_md5 " << kMd5 << "\ntmk " << te_tmk.substr(0, te_tmk.size() - 8) << "\n";
  auto refused = test::run_vhm("bank add " + bank + " " + bad + " --format te-file");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("line 2"), std::string::npos) << refused.err;
  EXPECT_EQ(nlohmann::json::parse(test::run_vhm("bank stats " + bank + " --json").out)["contents_live"], 4);
}

}  // namespace
}  // namespace vhm
