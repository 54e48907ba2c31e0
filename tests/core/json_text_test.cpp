#include "core/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace vhm {
namespace {

TEST(JsonText, InvalidUtf8IsReplacedNotThrown) {
  const nlohmann::json j = {{"label", std::string("a\xff"
                                                  "b")},
                            {"ok", "caf\xc3\xa9"}};
  std::string text;
  ASSERT_NO_THROW(text = json_text(j));
  EXPECT_EQ(text,
            "{\"label\":\"a\xEF\xBF\xBD"
            "b\",\"ok\":\"caf\xc3\xa9\"}");
  EXPECT_EQ(json_text(nlohmann::json{1, 2}, 1), "[\n 1,\n 2\n]");
}

TEST(JsonText, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // cut short
  EXPECT_EQ(valid_utf8("a\xff\xfe"
                       "b\xc3\xa9"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b\xc3\xa9");
  EXPECT_EQ(valid_utf8("\xe2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JsonText, ParseRefusesDeepNestingAndHugeNumbers) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto r = parse_json_text("{\"error\": " + deep + "}");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("nested"), std::string::npos);

  // Brackets inside strings are text, not nesting.
  auto in_string = parse_json_text("{\"a\": \"" + std::string(1000, '[') + "\"}");
  ASSERT_TRUE(in_string.is_ok()) << in_string.status().to_string();
  EXPECT_EQ((*in_string)["a"].get<std::string>().size(), 1000u);

  EXPECT_FALSE(parse_json_text("{\"pts\": 1e999}").is_ok());
  EXPECT_FALSE(parse_json_text("{\"a\": \"\xff\"}").is_ok());
  EXPECT_FALSE(parse_json_text("{").is_ok());
  auto ok = parse_json_text(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'));
  EXPECT_TRUE(ok.is_ok());
}

// Seconds and percentages as people read them: a float widened to double (a stored
// timestamp of 3.6 s) printed 3.5999999046325684.
TEST(JsonNumbers, SecondsToTheMillisecondPercentagesToTheHundredth) {
  const double widened = static_cast<double>(3.6f);
  ASSERT_NE(nlohmann::json(widened).dump(), "3.6");  // the noise being fixed
  EXPECT_EQ(nlohmann::json(json_seconds(widened)).dump(), "3.6");
  EXPECT_EQ(nlohmann::json(json_seconds(1.0 / 30)).dump(), "0.033");
  EXPECT_EQ(nlohmann::json(json_seconds(0.0005)).dump(), "0.001");
  EXPECT_EQ(nlohmann::json(json_seconds(-2.0004)).dump(), "-2.0");
  EXPECT_EQ(nlohmann::json(json_percent(100.0 * 103 / 120)).dump(), "85.83");
  EXPECT_EQ(nlohmann::json(json_percent(100.0)).dump(), "100.0");
  EXPECT_TRUE(std::isnan(json_seconds(std::nan(""))));
}

}  // namespace
}  // namespace vhm
