// Lists of raw hashes to look up (no media): what `vhm match --hashes FILE` reads and
// what `vhm serve` takes in POST /v1/lookup, parsed in one place. An entry is a PDQ
// hash or a value of a video's whole-content signal (video_md5, video_sha256, tmk),
// typed as python-threatexchange's file exchange writes them ("<signal> <value>") or
// known by its form when bare.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"
#include "signal/signal_type.h"

namespace vhm {

struct HashListError {
  int line = 0;
  std::string message;
};

// A whole-content signal's value from the list: its bytes as the bank stores them.
struct ListedSignal {
  int line = 0;
  SignalId signal = SignalId::kVideoMd5;
  std::vector<uint8_t> value;
};

// The entries in list order, each with the line (or array position, from 1) it came
// from: PDQ hashes in `hashes` (their lines in `lines`), the other signals' values in
// `signals`; and the lines that were no entry.
struct HashList {
  std::vector<Hash256> hashes;
  std::vector<int> lines;
  std::vector<ListedSignal> signals;
  std::vector<HashListError> errors;
  size_t entries() const { return hashes.size() + signals.size(); }
};

inline constexpr const char* kNotAHash =
    "not a hash: 64 hex digits (PDQ), 32 (a video's MD5), TMK1FVECPDQF|base64 (TMK), or '<signal> <value>'";

// Text: one entry per line. "<signal> <value>" with signal pdq, video_md5 (or md5),
// video_sha256 (or sha256) or tmk (its value ThreatExchange's TMK1FVECPDQF|base64 or
// the base64 of a .tmk file); or a bare value: 64 hex digits are PDQ, 32 a video MD5,
// TMK1FVECPDQF|... a TMK. Blank lines and lines starting with '#' are skipped, spaces
// and CR trimmed.
HashList parse_hash_lines(std::istream& in);
HashList parse_hash_lines(std::string_view text);

// A JSON array of strings (each as a text line would be written); `line` is the
// position in the array, from 1. Not an array of strings: kInvalidArgument.
Result<HashList> parse_hash_json_array(std::string_view text);

}  // namespace vhm
