#include "cli/flags.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"

namespace vhm::cli {

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

std::optional<std::string> match_thresholds_error(const MatchThresholds& t, const SignalLookupOptions& signals) {
  if (t.distance < 0 || t.distance > 256) return "--distance must be 0..256";
  if (t.quality < 0 || t.quality > 100) return "--quality must be 0..100";
  if (!(t.query_threshold >= 0 && t.query_threshold <= 100)) return "--query-threshold must be 0..100";
  if (!(t.bank_threshold >= 0 && t.bank_threshold <= 100)) return "--bank-threshold must be 0..100";
  if (!(signals.tmk_level1 >= -1 && signals.tmk_level1 <= 1)) return "--tmk-level1 must be -1..1";
  if (!(signals.tmk_level2 >= -1 && signals.tmk_level2 <= 1)) return "--tmk-level2 must be -1..1";
  return std::nullopt;
}

void add_match_flags(boost::program_options::options_description& options, MatchThresholds& t, bool& dihedral,
                     SignalLookupOptions& signals, bool& no_tmk) {
  namespace po = boost::program_options;
  options.add_options()("distance", po::value(&t.distance)->default_value(t.distance),
                        "frames match at Hamming distance <= this (0..256)")(
      "quality", po::value(&t.quality)->default_value(t.quality), "ignore frames of lower PDQ quality (0..100)")(
      "query-threshold", po::value(&t.query_threshold)->default_value(t.query_threshold),
      "query-match % a video verdict needs")("bank-threshold",
                                             po::value(&t.bank_threshold)->default_value(t.bank_threshold),
                                             "bank-match % a video verdict needs")(
      "dihedral", po::bool_switch(&dihedral), "also search the 7 rotations and flips of every frame")(
      "tmk-level1", po::value(&signals.tmk_level1)->default_value(signals.tmk_level1, "0.7"),
      "a TMK verdict needs this level-1 score (cosine of the pure averages, inclusive)")(
      "tmk-level2", po::value(&signals.tmk_level2)->default_value(signals.tmk_level2, "0.7"),
      "and this level-2 score (the aligned features, inclusive)")(
      "no-tmk", po::bool_switch(&no_tmk),
      "never compute a video's TMK (it decodes every frame; TMK-only contents then cannot match)");
}

void add_media_flags(boost::program_options::options_description& options, MediaFlags& f, const MediaPolicy& defaults) {
  namespace po = boost::program_options;
  const MediaLimits& d = defaults.limits;
  f.max_pixels = d.max_pixels;
  f.max_input_mb = static_cast<double>(d.max_input_bytes) / (1 << 20);
  f.max_image_mb = static_cast<double>(d.max_image_bytes) / (1 << 20);
  f.max_input_seconds = d.max_seconds;
  f.allow_protocols = media_protocols_text(defaults.access.protocols);
  f.allow_paths = defaults.access.roots;
  options.add_options()("max-pixels", po::value(&f.max_pixels)->default_value(f.max_pixels),
                        "refuse a picture (video frame or image) of more pixels, from its header, before decoding it")(
      "max-input-mb", po::value(&f.max_input_mb)->default_value(f.max_input_mb),
      "refuse an input once it supplied more MiB (0: no limit)")(
      "max-image-mb", po::value(&f.max_image_mb)->default_value(f.max_image_mb),
      "refuse an image file larger than this many MiB (images are read whole)")(
      "max-input-seconds", po::value(&f.max_input_seconds)->default_value(f.max_input_seconds),
      "give up on an input that takes longer to decode (0: no limit)")(
      "allow-protocols", po::value(&f.allow_protocols)->default_value(f.allow_protocols),
      "how inputs named by path or URL may be read: file,pipe,http,https or none")(
      "allow-paths", po::value(&f.allow_paths)->multitoken(),
      "local files must lie inside these directories (repeatable; default: anywhere the protocols allow)");
}

Result<MediaPolicy> media_policy_from_flags(const MediaFlags& f) {
  MediaPolicy p;
  if (f.max_pixels < 1) return Status(StatusCode::kInvalidArgument, "--max-pixels must be at least 1");
  if (!(f.max_input_mb >= 0) || !(f.max_image_mb > 0) || !(f.max_input_seconds >= 0) ||
      !std::isfinite(f.max_input_mb) || !std::isfinite(f.max_image_mb) || !std::isfinite(f.max_input_seconds))
    return Status(StatusCode::kInvalidArgument,
                  "--max-input-mb and --max-input-seconds must be >= 0, --max-image-mb > 0");
  p.limits.max_pixels = f.max_pixels;
  p.limits.max_input_bytes = static_cast<int64_t>(f.max_input_mb * (1 << 20));
  p.limits.max_image_bytes = std::max<int64_t>(1, static_cast<int64_t>(f.max_image_mb * (1 << 20)));
  p.limits.max_seconds = f.max_input_seconds;
  auto protocols = parse_media_protocols(f.allow_protocols);
  if (!protocols) return Status(StatusCode::kInvalidArgument, "--allow-protocols: " + protocols.status().message());
  p.access.protocols = std::move(protocols).value();
  for (const std::string& root : f.allow_paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec))
      return Status(StatusCode::kInvalidArgument, "--allow-paths: '" + root + "' is not a directory");
    p.access.roots.push_back(root);
  }
  return p;
}

}  // namespace vhm::cli
