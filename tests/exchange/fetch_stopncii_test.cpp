// vhm fetch stopncii against a scripted StopNCII API (vhm_fake_exchange): pages, a 429
// with Retry-After, a 500 then success, a malformed record, a withdrawal in a later
// page, the checkpoint across runs, refused credentials, a run killed mid-fetch.
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "exchange/exchange_test_util.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::spread_pdq_hex;
const auto pdq_hex = spread_pdq_hex;

json record(const std::string& type, const std::string& value, const std::string& status = "Active") {
  return {{"lastModtimestamp", 1700000000},
          {"signalType", type},
          {"hashValue", value},
          {"hashStatus", status},
          {"caseNumbers", {{"C-" + value.substr(0, 6), status}}}};
}

json page(std::vector<json> records, const std::string& next_token, int64_t next_set = 0) {
  return {{"count", records.size()},
          {"hashRecords", records},
          {"nextPageToken", next_token},
          {"hasMoreRecords", !next_token.empty()},
          {"nextSetTimestamp", next_set}};
}

json route(json query, std::vector<json> responses, std::vector<std::string> absent = {}) {
  json r = {{"method", "GET"},
            {"path", "/v1/FetchHashes"},
            {"query", query},
            {"headers", {{"Ocp-Apim-Subscription-Key", "sub-secret-1"}, {"x-functions-key", "fetch-secret-2"}}},
            {"responses", responses}};
  if (!absent.empty()) r["absent"] = absent;
  return r;
}

json ok(const json& body) { return {{"status", 200}, {"body", body.dump()}}; }

class FetchStopNcii : public test::ExchangeTest {
 protected:
  std::string fetch_command(const test::FakeExchange& server, const std::string& extra = "") {
    const std::string config = test::write_exchange_config(dir_, "stopncii", server.base_url() + "/v1");
    return "VHM_STOPNCII_SUBSCRIPTION_KEY=sub-secret-1 VHM_STOPNCII_FETCH_KEY=fetch-secret-2 " +
           std::string(VHM_BINARY) + " fetch stopncii --bank " + bank_ + " --config " + config + " " + extra;
  }
};

TEST_F(FetchStopNcii, PagesRetriesWithdrawalsAndTheCheckpoint) {
  const std::string md5 = "0123456789abcdef0123456789abcdef";
  json script = {
      {"routes",
       {route(
            {{"startTimestamp", "10"}},
            {ok(page({record("ImagePDQ", pdq_hex(1)), record("VideoMD5", md5), record("URL", "https://example.org/x")},
                     "p2"))},
            {"nextPageToken"}),
        route({{"nextPageToken", "p2"}},
              {{{"status", 429}, {"headers", {{"Retry-After", "1"}}}},
               ok(page({record("ImagePDQ", pdq_hex(2)), record("ImagePDQ", "zz-not-a-hash")}, "p3"))}),
        route({{"nextPageToken", "p3"}},
              {{{"status", 500}, {"body", "upstream hiccup"}},
               ok(page({record("ImagePDQ", pdq_hex(1), "Withdrawn"), record("VideoMD5", md5)}, "", 1700000123))}),
        route({{"startTimestamp", "1700000123"}}, {ok(page({record("ImagePDQ", pdq_hex(3))}, "", 1700000200))},
              {"nextPageToken"})}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);

  const auto first = test::run_command(fetch_command(*server));
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  const json s = test::last_json_line(first.out);
  EXPECT_EQ(s["pages"], 3);
  EXPECT_EQ(s["added"], 3);      // pdq 1, the MD5, pdq 2
  EXPECT_EQ(s["removed"], 1);    // pdq 1, withdrawn on page 3
  EXPECT_EQ(s["unchanged"], 1);  // the MD5 again, as it was
  EXPECT_EQ(s["skipped"], json({{"URL", 1}}));
  EXPECT_EQ(s["bad_records"], 1);
  EXPECT_EQ(s["http_retries"], 2);  // the 429 and the 500
  EXPECT_TRUE(s["complete"].get<bool>());
  EXPECT_TRUE(s["errors"].empty());
  // Keys travel only as the headers the server checked; no output shows them.
  for (const std::string& text : {first.out, first.err}) {
    EXPECT_EQ(text.find("sub-secret-1"), std::string::npos);
    EXPECT_EQ(text.find("fetch-secret-2"), std::string::npos);
  }
  // The withdrawn hash no longer matches; the others do.
  EXPECT_EQ(matches("pdq " + pdq_hex(1) + "\npdq " + pdq_hex(2) + "\nvideo_md5 " + md5 + "\n"),
            (std::vector<bool>{false, true, true}));

  // Where the feed stands is the bank's to show.
  const auto stats = test::run_vhm("bank stats " + bank_ + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(json::parse(json::parse(stats.out)["checkpoints"]["fetch:stopncii"].get<std::string>()),
            json({{"start", 1700000123}, {"token", ""}}));
  // The next run starts at the stored nextSetTimestamp, with no page token.
  const auto second = test::run_command(fetch_command(*server));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(test::last_json_line(second.out)["added"], 1);
  const auto& seen = server->requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_NE(seen.back().find("startTimestamp=1700000123"), std::string::npos) << seen.back();
  EXPECT_EQ(seen.back().find("nextPageToken"), std::string::npos) << seen.back();
}

TEST_F(FetchStopNcii, RefusedKeysStopTheRunWithoutShowingThem) {
  json script = {{"routes", {route({}, {ok(page({record("ImagePDQ", pdq_hex(1))}, ""))})}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const std::string config = test::write_exchange_config(dir_, "stopncii", server->base_url() + "/v1");
  const auto r = test::run_command("VHM_STOPNCII_SUBSCRIPTION_KEY=wrong-key-3 VHM_STOPNCII_FETCH_KEY=wrong-key-4 " +
                                   std::string(VHM_BINARY) + " fetch stopncii --bank " + bank_ + " --config " + config);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-key"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("wrong-key"), std::string::npos) << r.out;
  EXPECT_EQ(test::last_json_line(r.out)["pages"], 0);
  // No credentials at all: a usage error, nothing sent.
  const auto none = test::run_vhm("fetch stopncii --bank " + bank_ + " --config " + config);
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("VHM_STOPNCII_SUBSCRIPTION_KEY"), std::string::npos) << none.err;
}

TEST_F(FetchStopNcii, DryRunChangesNothing) {
  json script = {{"routes", {route({}, {ok(page({record("ImagePDQ", pdq_hex(1))}, "", 1700000500))})}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const auto dry = test::run_command(fetch_command(*server, "--dry-run"));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(test::last_json_line(dry.out)["added"], 1);
  EXPECT_TRUE(test::last_json_line(dry.out)["dry_run"].get<bool>());
  EXPECT_EQ(matches("pdq " + pdq_hex(1) + "\n"), std::vector<bool>{false});
  // Nor the checkpoint: the real run starts where the dry one did.
  const auto real = test::run_command(fetch_command(*server));
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_EQ(test::last_json_line(real.out)["added"], 1);
  EXPECT_NE(server->requests().back().find("startTimestamp=10"), std::string::npos);
  EXPECT_EQ(matches("pdq " + pdq_hex(1) + "\n"), std::vector<bool>{true});
}

TEST_F(FetchStopNcii, AKilledRunResumesWithNothingLostOrRepeated) {
  // Run 1 applies pages 1 and 2, then hangs on page 3 and is killed.
  {
    json script = {{"routes",
                    {route({}, {ok(page({record("ImagePDQ", pdq_hex(1)), record("ImagePDQ", pdq_hex(2))}, "p2"))},
                           {"nextPageToken"}),
                     route({{"nextPageToken", "p2"}},
                           {ok(page({record("ImagePDQ", pdq_hex(3)), record("ImagePDQ", pdq_hex(4))}, "p3"))}),
                     route({{"nextPageToken", "p3"}}, {{{"hang", true}}})}}};
    auto server = test::FakeExchange::start(dir_, script);
    ASSERT_TRUE(server);
    const std::string config = test::write_exchange_config(dir_, "stopncii", server->base_url() + "/v1");
    test::VhmChild child({"fetch", "stopncii", "--bank", bank_, "--config", config},
                         {"VHM_STOPNCII_SUBSCRIPTION_KEY=sub-secret-1", "VHM_STOPNCII_FETCH_KEY=fetch-secret-2"}, dir_);
    // Page 3 is asked for only once page 2 is committed.
    ASSERT_TRUE(server->wait_for("nextPageToken=p3")) << child.err();
    child.kill();
  }
  // Run 2 asks for page 3 first: page 1 again would be repeated work, never a
  // duplicate; the test's server would answer it with a hash the bank must not get.
  json script = {
      {"routes",
       {route({}, {ok(page({record("ImagePDQ", pdq_hex(9))}, ""))}, {"nextPageToken"}),
        route({{"nextPageToken", "p3"}},
              {ok(page({record("ImagePDQ", pdq_hex(4)), record("ImagePDQ", pdq_hex(5))}, "", 1700000999))})}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const auto resumed = test::run_command(fetch_command(*server));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const json s = test::last_json_line(resumed.out);
  EXPECT_EQ(s["pages"], 1);
  EXPECT_EQ(s["added"], 1);      // pdq 5
  EXPECT_EQ(s["unchanged"], 1);  // pdq 4, given again
  ASSERT_EQ(server->requests().size(), 1u);
  EXPECT_NE(server->requests().front().find("nextPageToken=p3"), std::string::npos);
  const auto exported = test::run_vhm("bank export " + bank_ + " --format jsonl");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::multiset<std::string> ids;
  for (const auto& l : test::json_lines(exported.out)) ids.insert(l["external_id"].get<std::string>());
  EXPECT_EQ(ids.size(), 5u);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(ids.count("stopncii:" + pdq_hex(i)), 1u) << i;
}

}  // namespace
}  // namespace vhm
