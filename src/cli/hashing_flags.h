// How a command hashes media, as flags: one struct, one function that adds them to a
// command, one that turns them into the hashing config. Each command starts from its
// preset (hash/hashing_presets.h): the defaults in --help are the preset's.
//
//   --sample   every-frame | Ns | keyframes       --prune D    drop near repeats
//   --device   cpu | gpu | auto | reference      --pixels     exact | fast
//   --bars (preset kReference: add the inside-bars hash) or --no-bars (the others:
//   leave it out), and the media limits (cli/flags.h add_media_flags).
#pragma once

#include <boost/program_options.hpp>

#include <string>

#include "cli/flags.h"
#include "core/status.h"
#include "hash/hashing_presets.h"

namespace vhm::cli {

struct HashingFlags {
  HashingPreset preset = HashingPreset::kReference;
  std::string sample;  // as given (recorded in vhm hash's JSON)
  int prune = -1;
  std::string device;
  std::string pixels;
  bool bars = false;     // kReference: --bars
  bool no_bars = false;  // kBank, kQuery: --no-bars
  MediaFlags media;
};

// Adds the flags above to `options`, with the preset's values as defaults, and the
// media flags with `media_defaults`.
void add_hashing_flags(boost::program_options::options_description& options, HashingFlags& flags, HashingPreset preset,
                       const MediaPolicy& media_defaults);

// What a --signals list (vhm hash, vhm bank add) asked for: "vpdq" (or "pdq"), "tmk",
// "md5" (or "video_md5"), "sha256" (or "video_sha256"), comma-separated.
struct SignalChoice {
  bool vpdq = false;
  bool tmk = false;
  bool md5 = false;
  bool sha256 = false;
};
// kInvalidArgument naming the word that is no signal.
Result<SignalChoice> parse_signal_list(const std::string& list);

// Hashing threads per input: `threads` when given (> 0), else the cores shared by
// `jobs` inputs hashed at once (at least 1).
int threads_per_input(int threads, int jobs);

// The preset changed as the flags say, with `threads` hashing threads per input; or
// kInvalidArgument naming the flag and what it must be.
Result<InputHashConfig> hashing_config_from_flags(const HashingFlags& flags, int threads);

}  // namespace vhm::cli
