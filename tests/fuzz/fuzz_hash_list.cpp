// Raw hash lists (match/hash_list.h): the body of POST /v1/lookup and the file of
// `vhm match --hashes`, as text lines and as a JSON array; PDQ hashes and typed
// whole-content values (video_md5, video_sha256, tmk).
//
// Oracles: every entry comes with the line (or array position) it was read from, the
// positions rise and lie within the input, errors name a position inside it too, and
// the entries written back one per line ("<signal> <value>") parse to the same list.
//
// seeds: corpus threatexchange/pdq/data/reg-test-input/*.txt
// seeds: corpus threatexchange/pdq/data/reg-test-input/*.dat
#include <string>

#include "fuzz/target_support.h"
#include "match/hash_list.h"
#include "signal/signal_registry.h"

namespace {

void check(const vhm::HashList& list, size_t max_position, const char* what) {
  using vhm::fuzz::fail;
  if (list.hashes.size() != list.lines.size()) fail(std::string(what) + ": hashes and lines differ in number");
  for (size_t i = 0; i < list.lines.size(); ++i) {
    if (list.lines[i] < 1 || static_cast<size_t>(list.lines[i]) > max_position)
      fail(std::string(what) + ": line " + std::to_string(list.lines[i]) + " lies outside the input");
    if (i > 0 && list.lines[i] <= list.lines[i - 1]) fail(std::string(what) + ": lines out of order");
  }
  for (size_t i = 0; i < list.signals.size(); ++i) {
    const int line = list.signals[i].line;
    if (line < 1 || static_cast<size_t>(line) > max_position)
      fail(std::string(what) + ": line " + std::to_string(line) + " lies outside the input");
    if (i > 0 && line <= list.signals[i - 1].line) fail(std::string(what) + ": signal lines out of order");
  }
  for (const auto& e : list.errors)
    if (e.line < 1 || static_cast<size_t>(e.line) > max_position || e.message.empty())
      fail(std::string(what) + ": an error at line " + std::to_string(e.line) + " outside the input");
  std::string text;
  for (const auto& h : list.hashes) text += h.to_hex() + "\n";
  for (const auto& s : list.signals) {
    const vhm::SignalType* type = vhm::builtin_signals().find(s.signal);
    text += std::string(type->name()) + " " + type->format_value(s.value) + "\n";
  }
  const vhm::HashList again = vhm::parse_hash_lines(std::string_view(text));
  if (again.hashes != list.hashes || !again.errors.empty() || again.signals.size() != list.signals.size())
    fail(std::string(what) + ": the entries written back one per line read differently");
  for (size_t i = 0; i < list.signals.size(); ++i)
    if (again.signals[i].signal != list.signals[i].signal || again.signals[i].value != list.signals[i].value)
      fail(std::string(what) + ": a signal value written back reads differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = vhm::fuzz::as_text(data, size);
  // Lines are counted from 1; a text of N bytes has at most N + 1 lines.
  const vhm::HashList lines = vhm::parse_hash_lines(text);
  check(lines, size + 1, "text");

  const auto array = vhm::parse_hash_json_array(text);
  // An array of N bytes has fewer than N elements.
  if (array) check(*array, size, "JSON array");
  return 0;
}
