// ffmpeg filter graphs for the accuracy transform suite.
#include "bench/accuracy_transforms.h"

#include <cstdio>

namespace vhm::bench::accuracy {
namespace {

// Keeps (100 - percent)% of width and height, centred: "crop 10%" cuts 5% off each side.
std::string crop(int percent) {
  const double keep = (100.0 - percent) / 100.0;
  char b[96];
  std::snprintf(b, sizeof b, "crop=trunc(iw*%.2f/2)*2:trunc(ih*%.2f/2)*2", keep, keep);
  return b;
}

std::string scale(double factor) {
  char b[96];
  std::snprintf(b, sizeof b, "scale=trunc(iw*%.2f/2)*2:trunc(ih*%.2f/2)*2:flags=bicubic", factor, factor);
  return b;
}

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", s);
  return b;
}

}  // namespace

const std::vector<Transform>& all_transforms() {
  static const std::vector<Transform> kAll = {
      {"identity", "re-encoded only (libx264 CRF 18): the baseline"},
      {"crop5", "5% of width and height cut away, centred"},
      {"crop10", "10% of width and height cut away, centred"},
      {"crop20", "20% of width and height cut away, centred"},
      {"scale0.5", "downscaled to half width and height"},
      {"scale0.25", "downscaled to a quarter of width and height"},
      {"crf28", "re-encoded at CRF 28"},
      {"crf38", "re-encoded at CRF 38 (heavy artefacts)"},
      {"logo", "an opaque box, 26% x 14% of the picture, top right"},
      {"text", "a caption across the bottom on a half-transparent band"},
      {"letterbox", "black bars above and below (height +33%)"},
      {"pillarbox", "black bars left and right (width +33%)"},
      {"fit16x9", "fitted into a 1280x720 frame with bars (a portrait clip pillarboxed as on a 16:9 player)"},
      {"grey", "colour removed"},
      {"hflip", "mirrored left to right"},
      {"speed1.25", "played 1.25x faster at the same frame rate (a fifth of the frames dropped)"},
      {"trim", "the middle half only"},
      {"fps15", "frame rate changed to 15 fps"},
      {"rotate90", "rotated 90 degrees clockwise"},
      {"reupload", "the middle half, downscaled to half and re-encoded at CRF 36: a typical harsh re-upload"},
  };
  return kAll;
}

const Transform* find_transform(const std::string& name) {
  for (const Transform& t : all_transforms())
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<std::vector<std::string>> ffmpeg_command(const std::string& ffmpeg, const std::string& name,
                                                       const std::string& source, const VideoStreamInfo& info,
                                                       const std::string& output) {
  if (!find_transform(name)) return std::nullopt;
  std::vector<std::string> args = {ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"};
  const bool cut = (name == "trim" || name == "reupload") && info.duration_seconds > 0;
  if (cut) args.insert(args.end(), {"-ss", seconds(info.duration_seconds * 0.25)});
  args.insert(args.end(), {"-i", source});
  if (cut) args.insert(args.end(), {"-t", seconds(info.duration_seconds * 0.5)});

  std::string filter;
  int crf = 18;
  if (name == "crop5") filter = crop(5);
  else if (name == "crop10") filter = crop(10);
  else if (name == "crop20") filter = crop(20);
  else if (name == "scale0.5") filter = scale(0.5);
  else if (name == "scale0.25") filter = scale(0.25);
  else if (name == "crf28") crf = 28;
  else if (name == "crf38") crf = 38;
  else if (name == "logo") filter = "drawbox=x=iw*0.68:y=ih*0.06:w=iw*0.26:h=ih*0.14:color=0xE0C020@1:t=fill";
  else if (name == "text")
    filter =
        "drawtext=text='reported clip 00421':fontcolor=white:fontsize=h/14:box=1:boxcolor=black@0.5:"
        "boxborderw=8:x=(w-tw)/2:y=h-th*2";
  else if (name == "letterbox") filter = "pad=iw:trunc(ih*4/3/2)*2:0:(oh-ih)/2:black";
  else if (name == "pillarbox") filter = "pad=trunc(iw*4/3/2)*2:ih:(ow-iw)/2:0:black";
  else if (name == "fit16x9")
    filter = "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2:black";
  else if (name == "grey") filter = "hue=s=0";
  else if (name == "hflip") filter = "hflip";
  else if (name == "speed1.25") {
    // Same output rate as the source, so the faster clock drops frames as a real
    // speed-up does (without fps=, ffmpeg would keep every frame on new timestamps).
    const std::string rate = info.fps_num > 0 && info.fps_den > 0
                                 ? std::to_string(info.fps_num) + "/" + std::to_string(info.fps_den)
                                 : std::string("30");
    filter = "setpts=PTS/1.25,fps=" + rate;
  } else if (name == "fps15") filter = "fps=15";
  else if (name == "rotate90") filter = "transpose=clock";
  else if (name == "reupload") {
    filter = scale(0.5);
    crf = 36;
  }
  // libx264's 4:2:0 needs even sizes; a no-op for the even sizes above.
  filter += std::string(filter.empty() ? "" : ",") + "pad=ceil(iw/2)*2:ceil(ih/2)*2";
  args.insert(args.end(), {"-an", "-vf", filter, "-c:v", "libx264", "-preset", "veryfast", "-crf", std::to_string(crf),
                           "-pix_fmt", "yuv420p", output});
  return args;
}

}  // namespace vhm::bench::accuracy
