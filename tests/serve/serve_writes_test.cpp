// vhm serve's bank routes: writes need the bearer token (401 without it or with a wrong
// one, 403 when the daemon has none), an added hash or uploaded image matches at the
// next lookup, a removed one stops matching, conflicts are 409, and the token is
// never printed.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "serve/serve_process.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kToken = "s3cr3t-token-0123456789";
const std::string kHex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

struct Answer {
  int status = 0;
  json body;
  std::string auth_header;
};

Answer send(const serve::ServeProcess& server, const std::string& method, const std::string& path,
            const std::string& body = {}, const std::string& token = {}) {
  httplib::Client client(server.host(), server.port());
  client.set_read_timeout(std::chrono::seconds(120));
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result r = method == "POST"     ? client.Post(path, headers, body, "application/octet-stream")
                      : method == "DELETE" ? client.Delete(path, headers)
                                           : client.Get(path, headers);
  if (!r) return {};
  return {r->status, json::parse(r->body, nullptr, false), r->get_header_value("WWW-Authenticate")};
}

bool matches(const serve::ServeProcess& server, const std::string& hex) {
  const Answer a = send(server, "POST", "/v1/lookup", hex);
  EXPECT_EQ(a.status, 200) << a.body.dump();
  return a.status == 200 && a.body["results"][0].value("match", false);
}

class ServeWrites : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vhm_serve_writes_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    bank_ = (dir_ / "ncii").string();
    ASSERT_EQ(test::run_vhm("bank create " + bank_).exit_code, 0);
    std::ofstream(dir_ / "token") << kToken << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<serve::ServeProcess> start(std::vector<std::string> extra) {
    std::vector<std::string> args{"serve", "--bank", bank_, "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = serve::ServeProcess::start(VHM_BINARY, args);
    EXPECT_TRUE(p) << p.status().to_string();
    return p ? std::move(p).value() : nullptr;
  }
  fs::path dir_;
  std::string bank_;
};

TEST_F(ServeWrites, TokenGuardsWritesThatTheNextLookupSees) {
  auto server = start({"--token-file", (dir_ / "token").string()});
  ASSERT_TRUE(server);
  const std::string add = "/v1/banks/ncii/contents?format=pdq&external_id=ncii:1&label=case-7";
  // Without the token, or with a wrong one: refused, nothing written.
  const Answer none = send(*server, "POST", add, "pdq " + kHex + "\n");
  EXPECT_EQ(none.status, 401) << none.body.dump();
  EXPECT_EQ(none.auth_header, "Bearer");
  EXPECT_EQ(send(*server, "POST", add, "pdq " + kHex + "\n", "not-the-token-at-all").status, 401);
  EXPECT_EQ(send(*server, "DELETE", "/v1/banks/ncii/contents/ncii:1", "", "wrong").status, 401);
  EXPECT_FALSE(matches(*server, kHex));

  const Answer added = send(*server, "POST", add, "pdq " + kHex + "\n", kToken);
  ASSERT_EQ(added.status, 201) << added.body.dump();
  EXPECT_EQ(added.body["added"][0]["external_id"], "ncii:1");
  EXPECT_TRUE(matches(*server, kHex));                                              // the very next lookup
  EXPECT_EQ(send(*server, "POST", add, "pdq " + kHex + "\n", kToken).status, 409);  // held already

  const Answer got = send(*server, "GET", "/v1/banks/ncii/contents/ncii:1");  // reads are open
  ASSERT_EQ(got.status, 200) << got.body.dump();
  EXPECT_EQ(got.body["kind"], "image");
  EXPECT_EQ(got.body["label"], "case-7");
  const Answer banks = send(*server, "GET", "/v1/banks");
  ASSERT_EQ(banks.status, 200);
  EXPECT_EQ(banks.body["banks"][0]["name"], "ncii");
  EXPECT_EQ(banks.body["banks"][0]["contents_live"], 1);
  EXPECT_EQ(send(*server, "GET", "/v1/banks/other/contents/ncii:1").status, 404);

  const Answer removed =
      send(*server, "DELETE", "/v1/banks/ncii/contents/ncii:1?reason=consent%20withdrawn", "", kToken);
  ASSERT_EQ(removed.status, 200) << removed.body.dump();
  EXPECT_FALSE(removed.body["already_removed"].get<bool>());
  EXPECT_FALSE(matches(*server, kHex));
  EXPECT_TRUE(
      send(*server, "DELETE", "/v1/banks/ncii/contents/ncii:1", "", kToken).body["already_removed"].get<bool>());
  EXPECT_EQ(send(*server, "DELETE", "/v1/banks/ncii/contents/never", "", kToken).status, 404);
  EXPECT_EQ(send(*server, "POST", "/v1/banks/ncii/contents?format=nope", "x", kToken).status, 400);
  EXPECT_EQ(send(*server, "POST", "/v1/banks/ncii/contents?format=pdq", "not a hash\n", kToken).status, 422);
  // Another process sees the writes too.
  const auto stats = test::run_vhm("bank stats " + bank_ + " --json");
  EXPECT_EQ(json::parse(stats.out)["contents_removed"], 1) << stats.out;
  ASSERT_TRUE(server->stop());
  EXPECT_EQ(server->output().find(kToken), std::string::npos) << server->output();
}

TEST_F(ServeWrites, AnUploadedImageIsHashedInMemoryAndMatches) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string image =
      test::read_text_file(corpus + "/threatexchange/pdq/data/reg-test-input/exif-rotn/exif-rotn-1.jpg");
  ASSERT_FALSE(image.empty());
  auto server = start({"--token-file", (dir_ / "token").string(), "--token-for-reads"});
  ASSERT_TRUE(server);
  EXPECT_EQ(send(*server, "GET", "/v1/banks").status, 401);  // --token-for-reads
  const Answer added = send(*server, "POST", "/v1/banks/ncii/contents?kind=image&external_id=img:1", image, kToken);
  ASSERT_EQ(added.status, 201) << added.body.dump();
  httplib::Client client(server->host(), server->port());
  auto m = client.Post("/v1/match?kind=image", image, "application/octet-stream");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200) << m->body;
  const json verdict = json::parse(m->body);
  ASSERT_FALSE(verdict["verdicts"].empty()) << m->body;
  EXPECT_EQ(verdict["verdicts"][0]["external_id"], "img:1");
  EXPECT_TRUE(verdict["verdicts"][0]["match"].get<bool>());
}

TEST_F(ServeWrites, WithoutATokenWritesAreOff) {
  auto server = start({});
  ASSERT_TRUE(server);
  const Answer a = send(*server, "POST", "/v1/banks/ncii/contents?format=pdq", "pdq " + kHex + "\n", "anything");
  EXPECT_EQ(a.status, 403) << a.body.dump();
  EXPECT_FALSE(matches(*server, kHex));
  EXPECT_EQ(test::run_vhm("serve --bank " + bank_ + " --token-file /no/such/file").exit_code, 2);
  std::ofstream(dir_ / "short") << "abc\n";
  EXPECT_EQ(test::run_vhm("serve --bank " + bank_ + " --token-file " + (dir_ / "short").string()).exit_code, 2);
}

}  // namespace
}  // namespace vhm
