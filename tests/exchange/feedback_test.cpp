// vhm feedback against scripted StopNCII and ThreatExchange APIs: what is sent, with
// which keys, and the usage errors.
#include <filesystem>

#include <gtest/gtest.h>

#include "exchange/exchange_test_util.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Feedback : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vhm_feedback_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Feedback, StopNciiAndThreatExchangeGetTheReviewOutcome) {
  const std::string hash(64, 'e');
  const json script = {{"routes",
                        {{{"method", "POST"},
                          {"path", "/v1/SubmitFeedback"},
                          {"headers", {{"Ocp-Apim-Subscription-Key", "sub-8"}, {"x-functions-key", "feedback-9"}}},
                          {"responses", {{{"status", 200}, {"body", "{}"}}}}},
                         {{"method", "POST"},
                          {"path", "/te/3058061737574159/"},
                          {"query", {{"access_token", "1|tok"}}},
                          {"responses", {{{"status", 200}, {"body", R"({"success":true})"}}}}}}}};
  auto server = test::FakeExchange::start(dir_, script);
  ASSERT_TRUE(server);
  const std::string ncii = test::write_exchange_config(dir_, "stopncii", server->base_url() + "/v1");
  const auto sent = test::run_command(
      "VHM_STOPNCII_SUBSCRIPTION_KEY=sub-8 VHM_STOPNCII_FEEDBACK_KEY=feedback-9 " + std::string(VHM_BINARY) +
      " feedback stopncii --outcome blocked --external-id stopncii:" + hash + " --tag reviewed --config " + ncii);
  ASSERT_EQ(sent.exit_code, 0) << sent.err << sent.out;
  EXPECT_TRUE(test::last_json_line(sent.out)["sent"].get<bool>());
  const std::string posted = server->requests().back();
  EXPECT_NE(posted.find("\"feedbackValue\":\"Blocked\""), std::string::npos) << posted;
  EXPECT_NE(posted.find("\"hashValue\":\"" + hash + "\""), std::string::npos) << posted;
  EXPECT_NE(posted.find("\"reviewed\""), std::string::npos) << posted;

  const std::string te = test::write_exchange_config(dir_, "threatexchange", server->base_url() + "/te");
  const auto reacted = test::run_command("VHM_THREATEXCHANGE_TOKEN='1|tok' " + std::string(VHM_BINARY) +
                                         " feedback threatexchange --outcome not-blocked --external-id "
                                         "te:3058061737574159 --config " +
                                         te);
  ASSERT_EQ(reacted.exit_code, 0) << reacted.err;
  EXPECT_NE(server->requests().back().find("body=reactions=NOT_HELPFUL"), std::string::npos)
      << server->requests().back();

  // Refused: the wrong function key.
  const auto refused = test::run_command("VHM_STOPNCII_SUBSCRIPTION_KEY=sub-8 VHM_STOPNCII_FEEDBACK_KEY=nope " +
                                         std::string(VHM_BINARY) + " feedback stopncii --outcome blocked --hash " +
                                         hash + " --config " + ncii);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("HTTP 401"), std::string::npos) << refused.err;
}

TEST_F(Feedback, UsageErrors) {
  EXPECT_EQ(test::run_vhm("feedback stopncii --outcome maybe --hash ab").exit_code, 2);
  EXPECT_EQ(test::run_vhm("feedback stopncii --outcome blocked").exit_code, 2);  // nothing named
  EXPECT_EQ(test::run_vhm("feedback stopncii --outcome blocked --external-id te:1").exit_code, 2);
  EXPECT_EQ(test::run_vhm("feedback ncmec --outcome blocked --hash ab").exit_code, 2);  // takes none here
  EXPECT_EQ(test::run_vhm("feedback nowhere --outcome blocked --hash ab").exit_code, 2);
  EXPECT_EQ(test::run_vhm("fetch stopncii").exit_code, 2);  // no --bank
  EXPECT_EQ(test::run_vhm("fetch elsewhere --bank b").exit_code, 2);
  const auto help = test::run_vhm("fetch --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples"), std::string::npos);
  EXPECT_NE(test::run_vhm("feedback --help").out.find("Examples"), std::string::npos);
}

}  // namespace
}  // namespace vhm
