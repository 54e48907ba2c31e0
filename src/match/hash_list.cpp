#include "match/hash_list.h"

#include <sstream>

#include <nlohmann/json.hpp>

namespace vhm {
namespace {

// One entry as a text line would hold it; false when it is not a hash. Blank and
// comment lines are the caller's business.
bool parse_entry(std::string_view text, Hash256& out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.starts_with("pdq ")) text.remove_prefix(4);
  auto h = Hash256::from_hex(text);
  if (!h) return false;
  out = *h;
  return true;
}

bool blank_or_comment(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
  return text.empty() || text.front() == '#';
}

}  // namespace

HashList parse_hash_lines(std::istream& in) {
  HashList list;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (blank_or_comment(line)) continue;
    Hash256 h;
    if (!parse_entry(line, h)) {
      list.errors.push_back({n, kNotAPdqHash});
      continue;
    }
    list.hashes.push_back(h);
    list.lines.push_back(n);
  }
  return list;
}

HashList parse_hash_lines(std::string_view text) {
  std::istringstream in{std::string(text)};
  return parse_hash_lines(in);
}

Result<HashList> parse_hash_json_array(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status(StatusCode::kInvalidArgument, "not valid JSON");
  if (!j.is_array()) return Status(StatusCode::kInvalidArgument, "expected a JSON array of hex hash strings");
  HashList list;
  int n = 0;
  for (const nlohmann::json& item : j) {
    ++n;
    Hash256 h;
    if (!item.is_string() || !parse_entry(item.get_ref<const std::string&>(), h)) {
      list.errors.push_back({n, kNotAPdqHash});
      continue;
    }
    list.hashes.push_back(h);
    list.lines.push_back(n);
  }
  return list;
}

}  // namespace vhm
