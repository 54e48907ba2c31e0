// vhm serve --fetch: the daemon keeps its bank current from a scripted StopNCII API on
// a schedule, and its lookups follow each run (a hash matches after the run that adds
// it, and stops matching after the run that withdraws it).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "exchange/exchange_test_util.h"
#include "exchange/http_client.h"
#include "serve/serve_process.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json fetch_page(const std::string& pdq, const std::string& status, int64_t next_set) {
  return {{"count", 1},
          {"hashRecords", {{{"signalType", "ImagePDQ"}, {"hashValue", pdq}, {"hashStatus", status}}}},
          {"nextPageToken", ""},
          {"hasMoreRecords", false},
          {"nextSetTimestamp", next_set}};
}

TEST(ServeFetch, TheDaemonsLookupsFollowEachScheduledRun) {
  const fs::path dir = fs::temp_directory_path() / ("vhm_serve_fetch_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string bank = (dir / "bank").string();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  const std::string pdq = "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff";
  auto at = [](const std::string& start, const json& page) {
    return json{{"path", "/v1/FetchHashes"},
                {"query", {{"startTimestamp", start}}},
                {"responses", {{{"status", 200}, {"body", page.dump()}}}}};
  };
  const json script = {
      {"routes",
       {at("10", fetch_page(pdq, "Active", 1700000001)), at("1700000001", fetch_page(pdq, "Withdrawn", 1700000002)),
        at("1700000002", json{{"hashRecords", json::array()}, {"nextSetTimestamp", 1700000002}})}}};
  auto exchange = test::FakeExchange::start(dir, script);
  ASSERT_TRUE(exchange);
  const std::string config = test::write_exchange_config(dir, "stopncii", exchange->base_url() + "/v1",
                                                         {{"subscription_key", "s"}, {"fetch_key", "f"}});
  auto daemon = serve::ServeProcess::start(VHM_BINARY, {"serve", "--bank", bank, "--port", "0", "--fetch", "stopncii",
                                                        "--fetch-every", "1s", "--fetch-config", config});
  ASSERT_TRUE(daemon) << daemon.status().to_string();
  HttpClient http;
  auto lookup = [&] {
    HttpRequest request;
    request.method = "POST";
    request.url = (*daemon)->url() + "/v1/lookup";
    request.body = pdq + "\n";
    auto r = http.send_once(request);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : r.status().to_string());
    return r ? json::parse(r->body)["results"][0].value("match", false) : false;
  };
  ASSERT_TRUE((*daemon)->wait_for_lines("fetch stopncii:", 1, std::chrono::seconds(60))) << (*daemon)->output();
  EXPECT_TRUE(lookup()) << (*daemon)->output();
  ASSERT_TRUE((*daemon)->wait_for_lines("fetch stopncii:", 2, std::chrono::seconds(60))) << (*daemon)->output();
  EXPECT_FALSE(lookup()) << (*daemon)->output();
  HttpRequest stats;
  stats.url = (*daemon)->url() + "/v1/stats";
  auto s = http.send_once(stats);
  ASSERT_TRUE(s && s->status == 200);
  const json fetch = json::parse(s->body)["fetch"];
  EXPECT_GE(fetch["runs"].get<int64_t>(), 2) << s->body;
  EXPECT_EQ(fetch["failed_runs"], 0) << s->body;
  auto stopped = (*daemon)->stop();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(*stopped, 0) << (*daemon)->output();
  fs::remove_all(dir);
}

TEST(ServeFetch, BadFetchFlagsAreUsageErrors) {
  EXPECT_EQ(test::run_vhm("serve --bank b --fetch nowhere").exit_code, 2);
  EXPECT_EQ(test::run_vhm("serve --bank b --fetch stopncii --fetch-every 10x").exit_code, 2);
  EXPECT_EQ(test::run_vhm("serve --bank b --fetch stopncii --fetch-every 0.1s").exit_code, 2);
  EXPECT_EQ(test::run_vhm("serve --bank b --fetch stopncii --fetch-config /no/such/file.json").exit_code, 2);
}

}  // namespace
}  // namespace vhm
