// The JSON of a bank's index state: one writer, its reader, and the front doors that
// print it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "bank/bank_json.h"
#include "bank/bank_test_util.h"
#include "core/json_text.h"
#include "support/test_support.h"

namespace vhm {
namespace {

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  return keys;
}

TEST(IndexInfoJson, EveryFieldReadsBack) {
  BankIndexInfo info;
  info.loaded = true;
  info.spec = "mih:8";
  info.exact = true;
  info.origin = "rebuilt (no cache)";
  info.generation = 7;
  info.main_frames = 1200;
  info.delta_frames = 33;
  info.inside_bars_codes = 95;
  info.delta_segments = 2;
  info.removed_contents = 4;
  info.merges = 5;
  info.memory_bytes = 123456789;
  auto back = index_info_from_json(parse_json_text(json_text(index_info_json(info))).value());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->loaded, info.loaded);
  EXPECT_EQ(back->spec, info.spec);
  EXPECT_EQ(back->exact, info.exact);
  EXPECT_EQ(back->origin, info.origin);
  EXPECT_EQ(back->generation, info.generation);
  EXPECT_EQ(back->main_frames, info.main_frames);
  EXPECT_EQ(back->delta_frames, info.delta_frames);
  EXPECT_EQ(back->inside_bars_codes, info.inside_bars_codes);
  EXPECT_EQ(back->delta_segments, info.delta_segments);
  EXPECT_EQ(back->removed_contents, info.removed_contents);
  EXPECT_EQ(back->merges, info.merges);
  EXPECT_EQ(back->memory_bytes, info.memory_bytes);
  // And an index not loaded has the same fields (scripts need not look for them).
  EXPECT_EQ(keys_of(index_info_json(BankIndexInfo{})), keys_of(index_info_json(info)));
}

TEST(IndexInfoJson, AMissingOrMistypedFieldIsNamed) {
  const nlohmann::json good = index_info_json(BankIndexInfo{});
  for (const std::string field : {"loaded", "spec", "main_frames", "memory_bytes"}) {
    nlohmann::json j = good;
    j.erase(field);
    auto r = index_info_from_json(j);
    ASSERT_FALSE(r.is_ok()) << field;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(r.status().message().find("'" + field + "'"), std::string::npos) << r.status().to_string();
    j[field] = "wrong";
    if (field == "spec") j[field] = 3;
    EXPECT_FALSE(index_info_from_json(j).is_ok()) << field;
  }
  EXPECT_FALSE(index_info_from_json(nlohmann::json::array()).is_ok());
}

// `vhm bank stats --json` and `vhm bank verify --json` print the one object.
TEST(IndexInfoJson, BankStatsAndVerifyPrintIt) {
  test::TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  for (const std::string command : {"stats --json ", "verify --json "}) {
    const auto r = test::run_vhm("bank " + command + bank);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = test::json_lines(r.out);
    ASSERT_FALSE(lines.empty()) << r.out;
    const nlohmann::json& printed = lines.back().at("index");
    EXPECT_EQ(keys_of(printed), keys_of(index_info_json(BankIndexInfo{}))) << command << printed.dump();
    EXPECT_TRUE(index_info_from_json(printed).is_ok()) << command << printed.dump();
  }
}

}  // namespace
}  // namespace vhm
