#include "match/hash_list.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/tmk_features.h"
#include "signal/signal_registry.h"

namespace vhm {
namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The signal a list names: the registry's names and the short ones people write.
std::optional<SignalId> listed_signal_name(std::string_view name) {
  if (name == "md5") return SignalId::kVideoMd5;
  if (name == "sha256") return SignalId::kVideoSha256;
  return parse_signal_name(name);
}

// One entry as a text line would hold it, into `list` at `line`; false with `error`
// set when it is no entry. Blank and comment lines are the caller's business.
bool parse_entry(std::string_view text, int line, HashList& list, std::string& error) {
  text = trimmed(text);
  SignalId signal = SignalId::kPdq;
  std::string_view value = text;
  const size_t space = text.find_first_of(" \t");
  if (space != std::string_view::npos) {
    const auto named = listed_signal_name(text.substr(0, space));
    if (!named) {
      error = "unknown signal type '" + std::string(text.substr(0, space)) + "' (pdq, video_md5, video_sha256, tmk)";
      return false;
    }
    signal = *named;
    value = trimmed(text.substr(space + 1));
  } else if (text.size() == 32) {
    signal = SignalId::kVideoMd5;
  } else if (text.starts_with(kTmkTextMagic)) {
    signal = SignalId::kTmk;
  } else if (text.size() != 64) {
    error = kNotAHash;
    return false;
  }
  if (signal == SignalId::kPdq) {
    const auto h = Hash256::from_hex(value);
    if (!h) {
      error = space == std::string_view::npos ? kNotAHash : "not a 64-digit hex PDQ hash";
      return false;
    }
    list.hashes.push_back(*h);
    list.lines.push_back(line);
    return true;
  }
  const SignalType* type = builtin_signals().find(signal);
  if (type->index_family() == IndexFamily::kHamming256) {  // a frame signal other than PDQ: none yet
    error = "signal '" + std::string(type->name()) + "' cannot be looked up from a list";
    return false;
  }
  auto bytes = type->parse_value(value);
  if (!bytes) {
    error = std::string(type->name()) + ": " + bytes.status().message();
    return false;
  }
  list.signals.push_back({line, signal, std::move(bytes).value()});
  return true;
}

bool blank_or_comment(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
  return text.empty() || text.front() == '#';
}

}  // namespace

HashList parse_hash_lines(std::istream& in) {
  HashList list;
  std::string line, error;
  for (int n = 1; std::getline(in, line); ++n) {
    if (blank_or_comment(line)) continue;
    if (!parse_entry(line, n, list, error)) list.errors.push_back({n, error});
  }
  return list;
}

HashList parse_hash_lines(std::string_view text) {
  std::istringstream in{std::string(text)};
  return parse_hash_lines(in);
}

Result<HashList> parse_hash_json_array(std::string_view text) {
  auto parsed = parse_json_text(text);  // nesting bounded before the parser recurses
  if (!parsed) return Status(StatusCode::kInvalidArgument, "not valid JSON: " + parsed.status().message());
  const nlohmann::json& j = *parsed;
  if (!j.is_array()) return Status(StatusCode::kInvalidArgument, "expected a JSON array of hash strings");
  HashList list;
  int n = 0;
  std::string error;
  for (const nlohmann::json& item : j) {
    ++n;
    if (!item.is_string()) {
      list.errors.push_back({n, "not a string"});
      continue;
    }
    if (!parse_entry(item.get_ref<const std::string&>(), n, list, error)) list.errors.push_back({n, error});
  }
  return list;
}

}  // namespace vhm
