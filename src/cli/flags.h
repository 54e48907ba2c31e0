// Flag values shared by several subcommands, parsed in one place.
#pragma once

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "decode/media_policy.h"
#include "hash/video_hasher.h"
#include "match/vpdq_match.h"

namespace vhm::cli {

// Parses argv against `visible` plus positional INPUT arguments (collected into
// `inputs`). Returns an exit code when the command should stop here: 0 after printing
// --help, kExitUsage after naming a bad flag; nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, const boost::program_options::options_description& visible,
                                      std::vector<std::string>& inputs, const char* command);

// --distance, --quality, --query-threshold, --bank-threshold, --tmk-level1,
// --tmk-level2 (vhm match, vhm serve):
// what is wrong with them, naming the flag, or nullopt when they are in range.
std::optional<std::string> match_thresholds_error(const MatchThresholds& t, const SignalLookupOptions& signals);

// Adds the flags that say how frames match, the same in `vhm match` and `vhm serve`:
// --distance, --quality, --query-threshold, --bank-threshold, --dihedral, and TMK's
// --tmk-level1, --tmk-level2, --no-tmk. (How the
// input is hashed, --no-bars included, is cli/hashing_flags.h.)
void add_match_flags(boost::program_options::options_description& options, MatchThresholds& thresholds, bool& dihedral,
                     SignalLookupOptions& signals, bool& no_tmk);

// What an input may make vhm open and take (decode/media_policy.h), as flags:
// --max-pixels, --max-input-mb, --max-image-mb, --max-input-seconds, --allow-protocols,
// --allow-paths. Filled from `defaults`, which the command chooses (vhm serve allows no
// path or URL by default; the batch commands read what their user names).
struct MediaFlags {
  int64_t max_pixels = 0;
  double max_input_mb = 0;
  double max_image_mb = 0;
  double max_input_seconds = 0;
  std::string allow_protocols;
  std::vector<std::string> allow_paths;
};
void add_media_flags(boost::program_options::options_description& options, MediaFlags& flags,
                     const MediaPolicy& defaults);
// The policy the flags say, or what is wrong, naming the flag.
Result<MediaPolicy> media_policy_from_flags(const MediaFlags& flags);

}  // namespace vhm::cli
