// Video -> vPDQ: the PDQ hash of sampled frames of a video, as Meta's reference vPDQ
// hasher (vpdq-hash-video) computes them.
//
// Exactness. With the defaults (sampling every frame or every N seconds, reference
// timestamps) the lines equal the reference's byte for byte on the same FFmpeg:
//   - the frame number is the count of frames the decoder output before this one;
//   - frames are converted to RGB24 at their own size with swscale SWS_AREA (see
//     decode/video_decoder.h) and hashed with PDQ at full resolution;
//   - the timestamp is NOT the frame's pts: the reference prints
//     float(frame_number) / float(fps), fps being avg_frame_rate (or r_frame_rate when
//     that is 0) as a double, narrowed to float, the quotient widened to double and
//     printed "%.3f". TimestampMode::kReference reproduces that; kPresentation gives
//     the frame's own best_effort_timestamp * time_base instead;
//   - "every N seconds" hashes frame n when n % int(N * fps) == 0 (the product in
//     double, truncated; an interval of 0 becomes 1), N first narrowed to float since
//     the reference tool parses -r with std::stof (so N = 0.7 at 30 fps gives 20).
//
// Where vhm deliberately differs from the reference:
//   - the reference flushes the decoder only when the video is stream 0 (its flush
//     reuses the blank packet av_read_frame leaves, whose stream_index is 0), so with
//     the video in another stream it loses the frames held for reordering at the end;
//     vhm always flushes. It also picks the first video stream, vhm the best one;
//   - a frame smaller than 5 pixels on a side makes the reference fail the video; vhm
//     gives it the all-zero hash with quality 0 (PDQ's definition for such images);
//   - a file shorter than its container's index says (truncated) is an error here
//     (the reference hashes what it could read); so is a frame rate of 0 with
//     N-second sampling (the reference refuses every video whose rate is 0, vhm then
//     prints presentation timestamps);
//   - a damaged packet the decoder refuses is skipped and counted (decode_errors);
//     the reference gives up on the whole video at the first one.
//
// Pixels and devices (VideoHashConfig::pixels, ::device):
//   - kExact (default): the reference's RGB24 pixels, exact as above, on any device
//     ("gpu" hashes them on the GPU after uploading them: same bits);
//   - kFast: each frame hashed from the decoder's luma plane, no colour conversion
//     (decode/video_decoder.h; docs/PIXELS.md measures how far that is from exact).
//     With device "gpu" the video is decoded on NVDEC and the device luma planes are
//     hashed where they are (no copy to the host), batch by batch, the decoded frames
//     held until their batch is hashed: the same bits as kFast on the CPU. "gpu" fails
//     with kUnavailable, saying why, where GPU decoding cannot be set up;
//   - "auto": the GPU where one is usable (for kFast: GPU decoding where it can be set up
//     for the video), else the CPU, with one log line per process (spdlog::info) saying
//     why, not one per video.
//
// The steps, each its own unit: hash/frame_source.h (the decoder on the device chosen
// once, batches of frames tagged host or device, the PdqHasher that reads them),
// hash/frame_sampling.h (which frames, which timestamps), hash/pdq_hasher.h
// (hash_frames), hash/frame_pruning.h, hash/frame_variants.h, hash/input_digests.h; TMK+PDQF from the same decode
// (VideoHashConfig::compute_tmk: decode/tmk_frames.h, hash/tmk_hasher.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"
#include "core/video_hash.h"
#include "decode/media_policy.h"
#include "hash/device.h"
#include "hash/frame_sampling.h"  // VideoSampling, TimestampMode, reference_frame_interval
#include "hash/input_digests.h"   // digest_file, digest_bytes

namespace vhm {

struct VideoHashConfig {
  VideoSampling sampling = VideoSampling::kEveryFrame;
  double seconds = 1.0;  // the interval for kEverySeconds (0 means every frame, as -r 0)
  // Drop a frame whose hash is within this Hamming distance of the last frame kept
  // (0 drops exact consecutive repeats only); -1 keeps every sampled frame.
  int prune_distance = -1;
  Device device = Device::kCpu;  // where PDQ runs (hash/device.h)
  int threads = 0;               // hashing threads (0 = all cores); also passed to the decoder
  TimestampMode timestamps = TimestampMode::kReference;
  int batch_frames = 32;        // frames hashed together (fewer for very large frames)
  bool compute_md5 = true;      // MD5 of the input's bytes when it is a local file or memory
  bool compute_sha256 = false;  // SHA-256 of them too (the same read)
  // TMK+PDQF of the video (VideoHash::tmk) from the same decode: every decoded frame is
  // also resampled to 15 fps 64x64 as the reference's ffmpeg command does. Needs every
  // frame decoded on the CPU: with keyframes sampling every frame is decoded and PDQ
  // hashes the key frames of them (the same hashes, at every-frame decoding's cost);
  // with fast pixels on "gpu"/"auto" the video is decoded on the CPU (PDQ still runs
  // on the device).
  bool compute_tmk = false;
  // Variants for robust matching (not part of the reference's vPDQ lines):
  // crop_bars: for a frame with letterbox/pillarbox bars (hash/letterbox.h), also the
  // hash of the picture inside them; dihedral: also the 7 rotations and flips.
  // Frames decoded on the GPU get no bar variant (their pixels stay on the device).
  bool crop_bars = false;
  bool dihedral = false;
  // Called (from the calling thread, as each batch's hashes are taken) with the number
  // of frames the batch adds, so a progress line moves during a long video, not only
  // between videos.
  std::function<void(int64_t frames)> on_frames_hashed;
  PixelPath pixels = PixelPath::kExact;  // kFast: hash the decoder's luma plane (see above)
  // What the input may make vhm open and how much it may take (decode/media_policy.h);
  // images hashed through InputHashConfig use the same.
  MediaPolicy media;
  LumaRange fast_range = LumaRange::kExpand;  // kFast: limited-range luma stretched (docs/PIXELS.md)
};

// Hashes a video (a path, "pipe:0", "-" for stdin, or any URL FFmpeg opens). Errors
// name `url`. Memory stays bounded: at most two batches of frames are held.
Result<VideoHash> hash_video(const std::string& url, const VideoHashConfig& config = {});

// The same from bytes already in memory (an upload the daemon received): decoded
// through FFmpeg's custom I/O, never written to disk. `bytes` must outlive the call;
// `name` is used in errors and as the info's url; md5_hex is the MD5 of `bytes`.
Result<VideoHash> hash_video_memory(std::span<const uint8_t> bytes, const std::string& name,
                                    const VideoHashConfig& config = {});

}  // namespace vhm
