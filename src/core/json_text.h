// JSON text from outside bytes, never an exception.
//
// Everything vhm reads from outside (file names, labels, external ids, HTTP query
// values, Redis fields) is bytes, and need not be UTF-8. nlohmann::json::dump() throws
// on invalid UTF-8 by default, which in a worker thread or a request handler ended the
// process. Every JSON that vhm writes goes through json_text(): invalid sequences are
// replaced by U+FFFD (the replacement character), valid text is written unchanged
// (docs/SECURITY.md). Parsing outside JSON goes through parse_json_text(), which bounds
// the nesting depth before nlohmann's recursive parser sees it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace vhm {

// j as JSON text (compact, or indented by `indent` spaces when >= 0); never throws.
std::string json_text(const nlohmann::json& j, int indent = -1);

// Whether `text` is valid UTF-8 (shortest forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD, as json_text() writes it.
std::string valid_utf8(std::string_view text);

// Numbers as people read them in JSON: seconds to the millisecond, percentages to the
// hundredth, scores (TMK's levels, 0..1) to 6 decimals as the reference's
// tmk-two-level-score prints them. nlohmann writes the shortest text that reads back to the double, so a
// rounded value prints "3.6" where the float it came from printed 3.5999999046325684.
double json_seconds(double seconds);
double json_percent(double percent);
double json_score(double score);

// The deepest nesting parse_json_text() accepts: far beyond any document vhm reads
// (a vPDQ list nests 2 deep), far below what exhausts a thread's stack.
inline constexpr int kMaxJsonDepth = 64;

// Parses outside JSON text: kCorrupt naming the reason (the parser's message, or the
// nesting depth) instead of an exception. Numbers too large for a double (1e999) are
// refused as the parser refuses them.
Result<nlohmann::json> parse_json_text(std::string_view text);

}  // namespace vhm
