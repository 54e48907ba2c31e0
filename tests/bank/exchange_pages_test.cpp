// The parsers as vhm fetch uses them on the exchanges' pages: BadRecords::kSkip keeps a
// page's good records and counts the malformed ones (kFail, an import's mode, refuses
// the document), unknown types counted per type, StopNCII's nextSetTimestamp, NCMEC's
// paging/next and its TMK_PDQF links read through a reader, ThreatExchange's
// should_delete.
#include <gtest/gtest.h>

#include "bank/exchange_formats.h"

namespace vhm {
namespace {

const std::string kHexA = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";
const std::string kHexB = "c0f1117837246aaccddea259648fbfd62f434c89c9e99b249776be216c8d055c";
const std::string kNs = "https://hashsharing.ncmec.org/hashsharing/v2";

TEST(ExchangePages, StopNciiSkipsABadRecordAndReadsWhereTheNextRunStarts) {
  const std::string page = R"({"count": 3, "nextPageToken": "", "hasMoreRecords": false, "nextSetTimestamp": 1700000123,
    "hashRecords": [
      {"signalType": "ImagePDQ", "hashValue": ")" +
                           kHexA + R"(", "hashStatus": "Active"},
      {"signalType": "ImagePDQ", "hashValue": "not-hex", "hashStatus": "Active"},
      {"signalType": "Text", "hashValue": "abc", "hashStatus": "Active"},
      {"signalType": "Text", "hashValue": "def", "hashStatus": "Active"},
      {"signalType": "ImagePDQ", "hashValue": ")" +
                           kHexB + R"(", "hashStatus": "Deleted"}]})";
  EXPECT_EQ(parse_stopncii_page(page, "p").status().code(), StatusCode::kCorrupt);
  auto r = parse_stopncii_page(page, "p", BadRecords::kSkip);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_FALSE(r->records[0].deleted);
  EXPECT_TRUE(r->records[1].deleted);
  ASSERT_EQ(r->bad_records.size(), 1u);
  EXPECT_NE(r->bad_records[0].find("record 1"), std::string::npos) << r->bad_records[0];  // from 0
  EXPECT_EQ(r->unknown_by_type, (std::map<std::string, int64_t>{{"Text", 2}}));
  EXPECT_EQ(r->next_set_timestamp, 1700000123);
  // Not the API's shape: refused in either mode.
  EXPECT_EQ(parse_stopncii_page(R"({"records": []})", "p", BadRecords::kSkip).status().code(), StatusCode::kCorrupt);
}

TEST(ExchangePages, StopNciiHashWhoseEveryCaseIsWithdrawnIsWithdrawn) {
  const std::string page = R"({"hashRecords": [
      {"signalType": "ImagePDQ", "hashValue": ")" +
                           kHexA +
                           R"(", "hashStatus": "Active", "caseNumbers": {"C-1": "Withdrawn", "C-2": "Deleted"}},
      {"signalType": "ImagePDQ", "hashValue": ")" +
                           kHexB +
                           R"(", "hashStatus": "Active", "caseNumbers": {"C-3": "Withdrawn", "C-4": "Active"}}]})";
  auto r = parse_stopncii_page(page, "p");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_TRUE(r->records[0].deleted);
  EXPECT_FALSE(r->records[1].deleted);  // another victim's case still stands
  EXPECT_EQ(r->records[1].labels, (std::vector<std::string>{"C-3:Withdrawn", "C-4:Active"}));
}

TEST(ExchangePages, ThreatExchangeUpdatesMarkTombstonesShouldDelete) {
  const std::string page = R"({"data": [
      {"id": "1", "indicator": ")" +
                           kHexA + R"(", "type": "HASH_PDQ", "should_delete": false},
      {"id": "2", "indicator": ")" +
                           kHexB + R"(", "type": "HASH_PDQ", "should_delete": true},
      {"id": "3", "indicator": "zz", "type": "HASH_PDQ", "should_delete": false}],
    "paging": {"cursors": {"after": "c"}}})";
  auto r = parse_threatexchange_json(page, "te", BadRecords::kSkip);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_FALSE(r->records[0].deleted);
  EXPECT_TRUE(r->records[1].deleted);
  EXPECT_EQ(r->records[1].external_id, "te:2");
  EXPECT_EQ(r->bad_records.size(), 1u);
}

TEST(ExchangePages, NcmecLinksPagingAndWholeEntriesSkipped) {
  const std::string page = "<queryResult xmlns=\"" + kNs +
                           "\"><images><image><id>i1</id><fingerprints><pdq>zz</pdq></fingerprints></image>"
                           "<image><id>i2</id><fingerprints><pdq>" +
                           kHexA +
                           "</pdq><pdna>x</pdna></fingerprints></image></images><videos><video><id>v1</id>"
                           "<fingerprints><md5>facefacefacefacefacefacefaceface</md5><tmk-pdqf rel=\"self\" "
                           "href=\"/v2/entries/v1/fingerprints/TMK_PDQF\"/></fingerprints></video></videos>"
                           "<paging><next>/v2/entries?start=3&amp;size=2</next></paging></queryResult>";
  std::vector<std::string> asked;
  const std::vector<uint8_t> tmk_bytes{1, 2, 3};
  auto r = parse_ncmec_xml(
      page, "n",
      [&](const std::string& reference) -> Result<std::vector<uint8_t>> {
        asked.push_back(reference);
        return tmk_bytes;
      },
      BadRecords::kSkip);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(asked, std::vector<std::string>{"/v2/entries/v1/fingerprints/TMK_PDQF"});
  ASSERT_EQ(r->records.size(), 3u);  // i2's PDQ, v1's MD5 and TMK; i1 left out whole
  EXPECT_EQ(r->records[0].external_id, "ncmec:i2");
  EXPECT_EQ(r->records[2].signal, ExchangeSignal::kTmk);
  EXPECT_EQ(r->records[2].bytes, tmk_bytes);
  EXPECT_EQ(r->bad_records.size(), 1u);
  EXPECT_EQ(r->unknown_by_type, (std::map<std::string, int64_t>{{"pdna", 1}}));
  EXPECT_TRUE(r->has_more_records);
  EXPECT_EQ(r->next_page_token, "/v2/entries?start=3&size=2");
  // A link that cannot be fetched fails the page, in either mode: skipping it would
  // lose the video for good once the checkpoint moved past it.
  auto down = parse_ncmec_xml(
      page, "n",
      [](const std::string&) -> Result<std::vector<uint8_t>> {
        return Status(StatusCode::kUnavailable, "connection refused");
      },
      BadRecords::kSkip);
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace vhm
