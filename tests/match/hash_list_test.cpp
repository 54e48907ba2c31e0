// Hash lists (match/hash_list.h): PDQ hashes and typed whole-content values, as
// python-threatexchange's file exchange writes them ("<signal> <value>") or bare, in
// text lines and JSON arrays, each with its line, and the lines that are no entry named.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tmk_features.h"
#include "match/hash_list.h"

namespace vhm {
namespace {

const std::string kPdq(64, 'f');
const std::string kMd5 = "0123456789abcdef0123456789abcdef";
const std::string kSha256 = kMd5 + kMd5;

// A small but well-formed .tmk file: the header, one period, one coefficient.
std::vector<uint8_t> tiny_tmk() {
  TmkFeatures f;
  f.frames_per_second = 15;
  f.frame_count = 3;
  f.periods = {2731};
  f.coefficients = {1.0f};
  f.pure_average.assign(256, 0.5f);
  f.cos_features.assign(256, 0.25f);
  f.sin_features.assign(256, 0.0f);
  return serialize_tmk(f);
}

TEST(HashList, TypedAndBareEntriesKeepTheirLinesAndSignals) {
  const std::vector<uint8_t> tmk = tiny_tmk();
  const std::string text = "# an exchange batch\n" + kPdq + "\npdq " + kPdq + "\nvideo_md5 " + kMd5 + "\nmd5 " + kMd5 +
                           "\n" + kMd5 + "\nvideo_sha256 " + kSha256 + "\r\nsha256 " + kSha256 + "\n\ntmk " +
                           format_threatexchange_tmk(tmk) + "\n" + format_threatexchange_tmk(tmk) + "\n";
  const HashList list = parse_hash_lines(text);
  EXPECT_TRUE(list.errors.empty()) << list.errors.front().message;
  EXPECT_EQ(list.lines, (std::vector<int>{2, 3}));
  ASSERT_EQ(list.hashes.size(), 2u);
  EXPECT_EQ(list.hashes[0].to_hex(), kPdq);
  ASSERT_EQ(list.signals.size(), 7u);
  const std::vector<SignalId> signals{SignalId::kVideoMd5,    SignalId::kVideoMd5,    SignalId::kVideoMd5,
                                      SignalId::kVideoSha256, SignalId::kVideoSha256, SignalId::kTmk,
                                      SignalId::kTmk};
  const std::vector<int> lines{4, 5, 6, 7, 8, 10, 11};
  for (size_t i = 0; i < signals.size(); ++i) {
    EXPECT_EQ(list.signals[i].signal, signals[i]) << i;
    EXPECT_EQ(list.signals[i].line, lines[i]) << i;
  }
  EXPECT_EQ(list.signals[0].value.size(), 16u);
  EXPECT_EQ(list.signals[0].value[0], 0x01);
  EXPECT_EQ(list.signals[3].value.size(), 32u);
  EXPECT_EQ(list.signals[5].value, tmk);
  EXPECT_EQ(list.signals[6].value, tmk);
  EXPECT_EQ(list.entries(), 9u);
}

TEST(HashList, EntriesThatAreNoHashAreNamedByLine) {
  const HashList list =
      parse_hash_lines(kPdq + "\nnot-a-hash\nvideo_md5 12\nvpdq " + kPdq + "\ntmk !!!\n" + std::string(63, 'a') + "\n");
  EXPECT_EQ(list.hashes.size(), 1u);
  EXPECT_TRUE(list.signals.empty());
  ASSERT_EQ(list.errors.size(), 5u);
  EXPECT_EQ(list.errors[0].line, 2);
  EXPECT_EQ(list.errors[0].message, kNotAHash);
  EXPECT_EQ(list.errors[1].line, 3);
  EXPECT_NE(list.errors[1].message.find("video_md5"), std::string::npos) << list.errors[1].message;
  EXPECT_EQ(list.errors[2].line, 4);
  EXPECT_NE(list.errors[2].message.find("'vpdq'"), std::string::npos) << list.errors[2].message;
  EXPECT_EQ(list.errors[3].line, 5);
  EXPECT_NE(list.errors[3].message.find("tmk"), std::string::npos) << list.errors[3].message;
  EXPECT_EQ(list.errors[4].line, 6);
}

TEST(HashList, AJsonArrayHoldsTheSameEntries) {
  auto list = parse_hash_json_array("[\"" + kPdq + "\", \"video_md5 " + kMd5 + "\", 7, \"x\"]");
  ASSERT_TRUE(list) << list.status().message();
  EXPECT_EQ(list->lines, std::vector<int>{1});
  ASSERT_EQ(list->signals.size(), 1u);
  EXPECT_EQ(list->signals[0].line, 2);
  ASSERT_EQ(list->errors.size(), 2u);
  EXPECT_EQ(list->errors[0].line, 3);
  EXPECT_EQ(list->errors[1].line, 4);
  EXPECT_EQ(parse_hash_json_array("{\"a\": 1}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parse_hash_json_array("[").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vhm
