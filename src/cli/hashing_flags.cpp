#include "cli/hashing_flags.h"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace vhm::cli {
namespace {

// --sample: "every-frame" (also "all", "0"), "keyframes", or seconds: "1s", "0.5s", "2".
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

// --pixels: "exact" or "fast".
bool parse_pixels_flag(const std::string& s, VideoHashConfig& c) {
  if (s == "exact") c.pixels = PixelPath::kExact;
  else if (s == "fast") c.pixels = PixelPath::kFast;
  else return false;
  return true;
}

std::string sampling_name(const VideoHashConfig& c) {
  switch (c.sampling) {
    case VideoSampling::kEveryFrame:
      return "every-frame";
    case VideoSampling::kKeyframes:
      return "keyframes";
    case VideoSampling::kEverySeconds:
      break;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%gs", c.seconds);
  return text;
}

}  // namespace

void add_hashing_flags(boost::program_options::options_description& options, HashingFlags& f, HashingPreset preset,
                       const MediaPolicy& media_defaults) {
  namespace po = boost::program_options;
  const InputHashConfig d = hashing_preset(preset);
  f.preset = preset;
  f.sample = sampling_name(d.video);
  f.prune = d.video.prune_distance;
  f.device = device_name(d.video.device);
  f.pixels = d.video.pixels == PixelPath::kFast ? "fast" : "exact";
  const bool query = preset == HashingPreset::kQuery;
  options.add_options()(
      "sample,s", po::value(&f.sample)->default_value(f.sample),
      query ? "frames of the input to search: keyframes (fastest; as good as every frame on the corpus), "
              "Ns (e.g. 1s) or every-frame"
            : "every-frame, Ns (e.g. 1s, 0.5s) or keyframes")("prune", po::value(&f.prune)->default_value(f.prune),
                                                              "drop frames within D bits of the last kept (-1: off)")(
      "device", po::value(&f.device)->default_value(f.device),
      "PDQ on: cpu, gpu, auto (gpu where usable) or reference")(
      "pixels", po::value(&f.pixels)->default_value(f.pixels),
      "videos: exact (RGB24 as the reference; same bits) or fast (the decoder's luma plane: ~20% less CPU, "
      "a few bits off; GPU decoding needs it; see docs/PIXELS.md)");
  switch (preset) {
    case HashingPreset::kReference:
      options.add_options()("bars", po::bool_switch(&f.bars),
                            "jsonl: also hash the picture inside letterbox/pillarbox bars (pdq_inside_bars, "
                            "quality_inside_bars; 'vhm bank add' stores them)");
      break;
    case HashingPreset::kBank:
      options.add_options()("no-bars", po::bool_switch(&f.no_bars),
                            "media: do not also store the picture inside letterbox/pillarbox bars");
      break;
    case HashingPreset::kQuery:
      options.add_options()("no-bars", po::bool_switch(&f.no_bars),
                            "do not search the picture inside letterbox/pillarbox bars, on either side (searched by "
                            "default)");
      break;
  }
  add_media_flags(options, f.media, media_defaults);
}

int threads_per_input(int threads, int jobs) {
  return threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, jobs));
}

Result<InputHashConfig> hashing_config_from_flags(const HashingFlags& f, int threads) {
  InputHashConfig c = hashing_preset(f.preset);
  const auto bad = [](const std::string& message) { return Status(StatusCode::kInvalidArgument, message); };
  if (!parse_sampling_flag(f.sample, c.video))
    return bad("--sample must be every-frame, keyframes or a number of seconds like 1s, not '" + f.sample + "'");
  if (f.prune < -1 || f.prune > 256) return bad("--prune must be -1 (off) or 0..256");
  const auto device = parse_device(f.device);
  if (!device) return bad(std::string("--device must be ") + kDeviceChoices + ", not '" + f.device + "'");
  c.video.device = *device;
  if (!parse_pixels_flag(f.pixels, c.video)) return bad("--pixels must be exact or fast, not '" + f.pixels + "'");
  c.video.prune_distance = f.prune;
  if (f.preset == HashingPreset::kReference) c.video.crop_bars = f.bars;
  else c.video.crop_bars = !f.no_bars;
  auto media = media_policy_from_flags(f.media);
  if (!media) return media.status();
  c.video.media = *media;
  c.video.threads = threads;
  return c;
}

Result<SignalChoice> parse_signal_list(const std::string& list) {
  SignalChoice c;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string word = list.substr(start, comma - start);
    if (word == "vpdq" || word == "pdq") c.vpdq = true;
    else if (word == "tmk") c.tmk = true;
    else if (word == "md5" || word == "video_md5") c.md5 = true;
    else if (word == "sha256" || word == "video_sha256") c.sha256 = true;
    else
      return Status(StatusCode::kInvalidArgument, "--signals: '" + word + "' is not a signal (vpdq, tmk, md5, sha256)");
    start = comma + 1;
  }
  return c;
}

}  // namespace vhm::cli
