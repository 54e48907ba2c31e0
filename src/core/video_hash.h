// A video's hashes as every layer passes them: what the container said about the
// stream, and the PDQ hash of each sampled frame with its variants. Value types only:
// the decoder (decode/) fills VideoStreamInfo, the hasher (hash/video_hasher.h) the
// rest, and the bank, the matcher and the front doors read them without FFmpeg.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/hash256.h"
#include "core/tmk_features.h"

namespace vhm {

// What the container says about the chosen video stream.
struct VideoStreamInfo {
  std::string url;           // what was opened (as given)
  std::string container;     // FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;         // decoder's codec name, e.g. "h264"
  std::string pixel_format;  // e.g. "yuv420p"
  int stream_index = -1;     // index of the chosen stream in the container
  int width = 0;
  int height = 0;
  int fps_num = 0;  // avg_frame_rate, else r_frame_rate; 0/0 when unknown
  int fps_den = 0;
  double fps = 0;                  // fps_num / fps_den as a double (the reference's value); 0 unknown
  double duration_seconds = 0;     // the stream's duration, else the container's; 0 unknown
  int64_t frame_count = 0;         // the container's frame count, else duration * fps; 0 unknown
  bool frame_count_exact = false;  // true when the container lists the frame count
};

// Which pixels frames are hashed from.
enum class PixelPath {
  kExact,  // swscale SWS_AREA -> RGB24: the reference's pixels, byte for byte (default)
  kFast,   // the decoder's own 8-bit luma plane, no colour conversion (decode/video_decoder.h)
};

// What kFast does with luma the swscale rules read as limited range (16..235): every
// planar/semi-planar YUV format but the yuvj* ones; grey and yuvj* are full range. The
// exact path ignores the frame's colour-range tag (it sets no colour details), and so
// does this, so that fast pixels stay as close to exact ones as possible.
enum class LumaRange {
  kExpand,    // limited range stretched to 0..255 (round((y - 16) * 255 / 219), clamped)
  kAsStored,  // the stored bytes as they are (no copy; PDQ quality then reads ~14% low)
};

struct FrameHash {
  int index = 0;           // frame number (0-based, decoder output order)
  double pts_seconds = 0;  // timestamp per VideoHashConfig::timestamps
  int quality = 0;         // PDQ quality 0..100
  Hash256 hash;
  // Variants (VideoHashConfig::crop_bars / dihedral); empty when not asked for.
  bool has_cropped = false;  // bars were found: `cropped` hashes the picture inside them
  Hash256 cropped;
  int cropped_quality = 0;
  std::vector<Hash256> dihedral;  // rotate90, rotate180, rotate270, flipx, flipy, flipplus1, flipminus1
  friend bool operator==(const FrameHash&, const FrameHash&) = default;
};

struct VideoHash {
  VideoStreamInfo info;            // container, codec, size, fps, duration, frame count
  std::vector<FrameHash> frames;   // in frame order
  int64_t frames_decoded = 0;      // frames that came out of the decoder (all, sampled or not)
  int64_t decode_errors = 0;       // damaged packets/frames the decoder skipped (0 for a sound file)
  std::string md5_hex;             // MD5 of the file's bytes (32 lowercase hex); empty unless a local file or memory
  std::string sha256_hex;          // SHA-256 of them (64 lowercase hex), when asked for
  std::optional<TmkFeatures> tmk;  // TMK+PDQF of the video, when asked for
  std::string hasher;              // the PdqHasher used ("cpu-avx2", "gpu", ...)
  std::string decoder = "cpu";     // where frames were decoded: "cpu" or "nvdec"
  PixelPath pixels = PixelPath::kExact;  // the pixels asked for
  int64_t fast_frames = 0;               // kFast: frames hashed from luma (the rest took the exact path)
  // Why the result is not entirely what was asked for, else empty: frames whose pixel
  // format has no luma plane took the exact path, or "auto" fell back to the CPU, or
  // NVDEC refused the stream part-way.
  std::string note;
  double elapsed_seconds = 0;  // wall time of hash_video
};

}  // namespace vhm
