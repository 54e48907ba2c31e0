// vhm fetch tcap, ncmec and threatexchange against scripted APIs (vhm_fake_exchange):
// each one's paging and checkpoint, deletions in a later page, TCAP's token renewed
// when it expires, NCMEC's TMK_PDQF fetched by its href and a malformed page that stops
// the run until the next one, ThreatExchange's cursors and its token kept out of sight.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "exchange/exchange_test_util.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string far_pdq(int i) { return test::spread_pdq_hex(100 + i); }

json ok(const std::string& body, const std::string& type = "application/json") {
  return {{"status", 200}, {"body", body}, {"content_type", type}};
}

class FetchExchanges : public test::ExchangeTest {};

TEST_F(FetchExchanges, TcapRenewsAnExpiredTokenAndFollowsItsCheckpoints) {
  const std::string md5 = "00112233445566778899aabbccddeeff";
  const std::string sha256(64, 'c');
  auto entry = [](const std::string& digest, const std::string& algorithm, bool deleted, int id) {
    return json{{"hash_digest", digest},
                {"algorithm", algorithm},
                {"ideology", "far-right"},
                {"file_type", "mp4"},
                {"deleted", deleted},
                {"updated_on", 1700000000 + id},
                {"created_on", "2023-11-14T22:13:20Z"},
                {"id", id}};
  };
  const json page1 = {
      {"count", 3},
      {"next", "https://tcap.example/api/hash-list/v2/all?limit=3&offset=3"},
      {"previous", nullptr},
      {"checkpoint", "1700000003,3"},
      {"results",
       {entry(far_pdq(1), "PDQ", false, 1), entry(md5, "MD5", false, 2), entry("3:abc:def", "SSDEEP", false, 3)}}};
  const json page2 = {{"count", 2},
                      {"next", nullptr},
                      {"previous", nullptr},
                      {"checkpoint", "1700000005,5"},
                      {"results", {entry(far_pdq(1), "PDQ", true, 4), entry(sha256, "SHA256", false, 5)}}};
  const json script = {
      {"routes",
       {{{"method", "POST"},
         {"path", "/token-auth/tcap/"},
         {"responses", {ok(json{{"token", "jwt-one"}}.dump()), ok(json{{"token", "jwt-two"}}.dump())}}},
        {{"path", "/api/hash-list/v2/all"},
         {"query", {{"after", ""}, {"order", "asc"}}},
         {"headers", {{"Authorization", "Bearer jwt-one"}}},
         {"responses", {ok(page1.dump())}}},
        // The first token has expired by page 2.
        {{"path", "/api/hash-list/v2/all"},
         {"query", {{"after", "1700000003,3"}}},
         {"headers", {{"Authorization", "Bearer jwt-two"}}},
         {"responses", {ok(page2.dump())}}},
        {{"path", "/api/hash-list/v2/all"},
         {"query", {{"after", "1700000005,5"}}},
         {"headers", {{"Authorization", "Bearer jwt-two"}}},
         {"responses",
          {ok(json{{"count", 0}, {"next", nullptr}, {"checkpoint", "1700000005,5"}, {"results", json::array()}}
                  .dump())}}}}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const std::string config = test::write_exchange_config(dir_, "tcap", server->base_url());
  const std::string run = "VHM_TCAP_USERNAME=analyst VHM_TCAP_PASSWORD=pw-secret-5 " + std::string(VHM_BINARY) +
                          " fetch tcap --bank " + bank_ + " --config " + config;
  const auto first = test::run_command(run);
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  const json s = test::last_json_line(first.out);
  EXPECT_EQ(s["pages"], 2);
  EXPECT_EQ(s["added"], 3);  // the PDQ, the MD5, the SHA-256
  EXPECT_EQ(s["removed"], 1);
  EXPECT_EQ(s["skipped"], json({{"SSDEEP", 1}}));
  int token_posts = 0;
  for (const auto& line : server->requests()) token_posts += line.rfind("POST /token-auth/tcap/", 0) == 0;
  EXPECT_EQ(token_posts, 2);  // the first token, and one more when it expired
  EXPECT_EQ(first.err.find("pw-secret-5"), std::string::npos);
  EXPECT_EQ(matches("pdq " + far_pdq(1) + "\nvideo_md5 " + md5 + "\nvideo_sha256 " + sha256 + "\n"),
            (std::vector<bool>{false, true, true}));
  // The next run asks from the last page's checkpoint.
  const auto second = test::run_command(run);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(test::last_json_line(second.out)["added"], 0);
  EXPECT_NE(server->requests().back().find("after=1700000005,5"), std::string::npos) << server->requests().back();
}

TEST_F(FetchExchanges, NcmecFetchesTmkByHrefAndAMalformedPageStopsTheRunUntilTheNext) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange/tmk/sample-hashes/pattern-hd-no-bar.tmk";
  const std::string md5 = "facefacefacefacefacefacefaceface";
  const std::string ns = "https://hashsharing.ncmec.org/hashsharing/v2";
  const std::string page1 =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><queryResult xmlns=\"" + ns +
      "\"><images count=\"1\" maxTimestamp=\"2023-10-24T15:10:00Z\"><image><member id=\"42\">M</member>"
      "<timestamp>2023-10-24T15:00:00Z</timestamp><id>i1</id><classification>A1</classification>"
      "<fingerprints><md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5><pdq>" +
      far_pdq(7) +
      "</pdq></fingerprints></image></images><videos count=\"1\" maxTimestamp=\"2023-10-24T15:20:00Z\"><video>"
      "<member id=\"42\">M</member><timestamp>2023-10-24T15:00:00Z</timestamp><id>v1</id>"
      "<fingerprints><md5>" +
      md5 +
      "</md5><tmk-pdqf rel=\"self\" href=\"/v2/entries/v1/fingerprints/TMK_PDQF\"/>"
      "<videntifier rel=\"self\" href=\"/v2/entries/v1/fingerprints/VIDENTIFIER\"/></fingerprints></video></videos>"
      "<paging><next>/v2/entries?from=2023-10-20T00%3A00%3A00Z&amp;to=2023-10-30T00%3A00%3A00Z&amp;start=3&amp;"
      "size=2&amp;max=4</next></paging></queryResult>";
  const std::string page2 = "<?xml version=\"1.0\"?><queryResult xmlns=\"" + ns +
                            "\"><images count=\"1\"><image><member id=\"42\">M</member><id>i2</id><fingerprints><pdq>" +
                            far_pdq(8) +
                            "</pdq></fingerprints></image></images><videos count=\"1\"><deletedVideo><member "
                            "id=\"42\">M</member><id>v1</id></deletedVideo></videos></queryResult>";
  const json basic = {{"Authorization", "Basic bmNtZWMtdXNlcjpuY21lYy1wYXNz"}};  // ncmec-user:ncmec-pass
  const json script = {
      {"routes",
       {{{"path", "/ncmec/v2/entries"},
         {"absent", {"start"}},
         {"headers", basic},
         {"responses", {ok(page1, "application/xml")}}},
        {{"path", "/ncmec/v2/entries"},
         {"query", {{"start", "3"}}},
         {"headers", basic},
         {"responses",
          {ok("<queryResult xmlns=\"" + ns + "\"><images", "application/xml"), ok(page2, "application/xml")}}},
        {{"path", "/ncmec/v2/entries/v1/fingerprints/TMK_PDQF"},
         {"headers", basic},
         {"responses",
          {{{"status", 200}, {"body_file", tmk.string()}, {"content_type", "application/octet-stream"}}}}}}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const std::string config = test::write_exchange_config(dir_, "ncmec", server->base_url() + "/ncmec",
                                                         {{"username", "ncmec-user"}, {"password", "ncmec-pass"}});
  const std::string run = "fetch ncmec --bank " + bank_ + " --config " + config;
  const auto first = test::run_vhm(run);
  EXPECT_EQ(first.exit_code, 1) << first.err;  // page 2 is not XML
  const json s1 = test::last_json_line(first.out);
  EXPECT_EQ(s1["pages"], 1);
  EXPECT_EQ(s1["added"], 2);  // image i1, video v1 (its MD5 and its TMK, one content)
  EXPECT_EQ(s1["skipped"], json({{"md5", 1}, {"videntifier", 1}}));  // an image's MD5 is no signal here
  ASSERT_EQ(s1["errors"].size(), 1u);
  EXPECT_NE(s1["errors"][0].get<std::string>().find("ncmec page 2"), std::string::npos) << s1["errors"][0];
  const auto stats = test::run_vhm("bank stats " + bank_ + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const json st = json::parse(stats.out);
  EXPECT_EQ(st["signals"]["tmk"]["contents"], 1) << stats.out;  // fetched by its href
  EXPECT_EQ(st["signals"]["video_md5"]["contents"], 1) << stats.out;
  EXPECT_EQ(matches("video_md5 " + md5 + "\n"), std::vector<bool>{true});

  // The next run starts at page 2's path, which now reads: v1 is deleted, i2 is new.
  const auto second = test::run_vhm(run);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const json s2 = test::last_json_line(second.out);
  EXPECT_EQ(s2["pages"], 1);
  EXPECT_EQ(s2["added"], 1);
  EXPECT_EQ(s2["removed"], 1);
  EXPECT_TRUE(s2["complete"].get<bool>());
  EXPECT_NE(server->requests().back().find("start=3"), std::string::npos) << server->requests().back();
  EXPECT_EQ(matches("video_md5 " + md5 + "\npdq " + far_pdq(8) + "\n"), (std::vector<bool>{false, true}));
}

TEST_F(FetchExchanges, ThreatExchangeFollowsCursorsAndKeepsItsTokenOutOfSight) {
  const std::string md5 = "99887766554433221100ffeeddccbbaa";
  auto update = [](const std::string& id, const std::string& indicator, const std::string& type, bool del) {
    return json{{"id", id},
                {"indicator", indicator},
                {"type", type},
                {"last_updated", 1700000000},
                {"should_delete", del},
                {"tags", {"collab-x"}},
                {"status", "MALICIOUS"}};
  };
  const json page1 = {
      {"data",
       {update("111", far_pdq(3), "HASH_PDQ", false), update("222", md5, "HASH_VIDEO_MD5", false),
        update("333", "https://example.org", "URI", false)}},
      {"paging", {{"cursors", {{"before", "c0"}, {"after", "c1"}}}, {"next", "https://graph/next?after=c1"}}}};
  const json page2 = {
      {"data", {update("111", far_pdq(3), "HASH_PDQ", true), update("444", far_pdq(4), "HASH_PDQ", false)}},
      {"paging", {{"cursors", {{"before", "c1"}, {"after", "c2"}}}}}};
  const json script = {
      {"routes",
       {{{"path", "/te/987654/threat_updates/"},
         {"query", {{"access_token", "123|te-secret-6"}}},
         {"absent", {"after"}},
         {"responses", {ok(page1.dump())}}},
        {{"path", "/te/987654/threat_updates/"},
         {"query", {{"access_token", "123|te-secret-6"}, {"after", "c1"}}},
         {"responses", {ok(page2.dump())}}},
        {{"path", "/te/987654/threat_updates/"},
         {"responses", {{{"status", 400}, {"body", R"({"error":{"message":"Invalid OAuth access token."}})"}}}}}}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const std::string config = test::write_exchange_config(dir_, "threatexchange", server->base_url() + "/te");
  const std::string fetch = " " + std::string(VHM_BINARY) + " fetch threatexchange --collection 987654 --bank " +
                            bank_ + " --config " + config;
  const auto r = test::run_command("VHM_THREATEXCHANGE_TOKEN='123|te-secret-6'" + fetch);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json s = test::last_json_line(r.out);
  EXPECT_EQ(s["pages"], 2);
  EXPECT_EQ(s["added"], 3);
  EXPECT_EQ(s["removed"], 1);
  EXPECT_EQ(s["skipped"], json({{"URI", 1}}));
  EXPECT_EQ(s["checkpoint_name"], "fetch:threatexchange:987654");
  EXPECT_EQ(matches("pdq " + far_pdq(3) + "\npdq " + far_pdq(4) + "\nvideo_md5 " + md5 + "\n"),
            (std::vector<bool>{false, true, true}));
  // A refused token: the error names the request without its query.
  const auto bad = test::run_command("VHM_THREATEXCHANGE_TOKEN='123|other-secret-7'" + fetch + " --from-start");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("HTTP 400"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("/te/987654/threat_updates/"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("other-secret-7"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.out.find("other-secret-7"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace vhm
