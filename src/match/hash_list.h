// Lists of raw PDQ hashes to look up (no media): what `vhm match --hashes FILE` reads
// and what `vhm serve` takes in POST /v1/lookup, parsed in one place.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"

namespace vhm {

struct HashListError {
  int line = 0;
  std::string message;
};

// The hashes in list order, each with the line (or array position, from 1) it came
// from, and the lines that were not hashes.
struct HashList {
  std::vector<Hash256> hashes;
  std::vector<int> lines;
  std::vector<HashListError> errors;
};

inline constexpr const char* kNotAPdqHash = "not a 64-digit hex PDQ hash";

// Text: one hash per line, 64 hex digits or "pdq <hex>" (python-threatexchange's file
// exchange); blank lines and lines starting with '#' are skipped, spaces and CR trimmed.
HashList parse_hash_lines(std::istream& in);
HashList parse_hash_lines(std::string_view text);

// A JSON array of hex strings (each as a text line would be written); `line` is the
// position in the array, from 1. Not an array of strings: kInvalidArgument.
Result<HashList> parse_hash_json_array(std::string_view text);

}  // namespace vhm
