#include "cli/flags.h"

#include <cstdio>
#include <iostream>

#include "cli/commands.h"

namespace vhm::cli {

bool parse_sampling_flag(const std::string& s, VideoHashConfig& c) {
  if (s == "every-frame" || s == "all" || s == "0" || s == "0s") {
    c.sampling = VideoSampling::kEveryFrame;
    return true;
  }
  if (s == "keyframes" || s == "key") {
    c.sampling = VideoSampling::kKeyframes;
    return true;
  }
  const std::string number = s.ends_with("s") ? s.substr(0, s.size() - 1) : s;
  try {
    size_t used = 0;
    const double seconds = std::stod(number, &used);
    if (used != number.size() || !(seconds > 0) || seconds > 1e6) return false;
    c.sampling = VideoSampling::kEverySeconds;
    c.seconds = seconds;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<int> parse_command_line(int argc, char** argv, const boost::program_options::options_description& visible,
                                      std::vector<std::string>& inputs, const char* command) {
  namespace po = boost::program_options;
  po::options_description hidden;
  hidden.add_options()("input", po::value(&inputs));
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "vhm %s: %s (try 'vhm %s --help')\n", command, e.what(), command);
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return kExitOk;
  }
  return std::nullopt;
}

bool parse_pixels_flag(const std::string& s, VideoHashConfig& c) {
  if (s == "exact") c.pixels = PixelPath::kExact;
  else if (s == "fast") c.pixels = PixelPath::kFast;
  else return false;
  return true;
}

std::optional<std::string> match_thresholds_error(const MatchThresholds& t) {
  if (t.distance < 0 || t.distance > 256) return "--distance must be 0..256";
  if (t.quality < 0 || t.quality > 100) return "--quality must be 0..100";
  if (!(t.query_threshold >= 0 && t.query_threshold <= 100)) return "--query-threshold must be 0..100";
  if (!(t.bank_threshold >= 0 && t.bank_threshold <= 100)) return "--bank-threshold must be 0..100";
  return std::nullopt;
}

void add_match_flags(boost::program_options::options_description& options, MatchThresholds& t, bool& dihedral,
                     bool& no_bars) {
  namespace po = boost::program_options;
  options.add_options()
      ("distance", po::value(&t.distance)->default_value(t.distance), "frames match at Hamming distance <= this (0..256)")
      ("quality", po::value(&t.quality)->default_value(t.quality), "ignore frames of lower PDQ quality (0..100)")
      ("query-threshold", po::value(&t.query_threshold)->default_value(t.query_threshold),
       "query-match % a video verdict needs")
      ("bank-threshold", po::value(&t.bank_threshold)->default_value(t.bank_threshold),
       "bank-match % a video verdict needs")
      ("dihedral", po::bool_switch(&dihedral), "also search the 7 rotations and flips of every frame")
      ("no-bars", po::bool_switch(&no_bars),
       "do not search the picture inside letterbox/pillarbox bars, on either side (searched by default)");
}

}  // namespace vhm::cli
