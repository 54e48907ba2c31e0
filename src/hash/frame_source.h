// FrameSource: a video's sampled frames, a batch at a time, each frame tagged with
// where its pixels are (PixelMemory), and the PdqHasher that reads them.
//
// The device is chosen once, when the source is opened, never per frame:
//   - CPU decoding: libavcodec, frames in host memory (RGB24 or the luma plane, per
//     PixelPath), hashed by the PdqHasher of the configured device;
//   - NVDEC (device "gpu", or "auto" where GPU decoding can be set up; fast pixels
//     only): the device luma planes, hashed where they are by the GPU hasher. Should
//     NVDEC give up part-way, the rest of the frames come on the host, tagged so.
// The code that hashes the batches passes the tags on (hash_frames) and never asks
// which device it runs on. "auto" settling on the CPU is said once per process.
//
// A batch keeps the decoded pictures of its frames referenced until release(): NVDEC
// has few surfaces, so a caller holds at most two batches (one being hashed while the
// next decodes), which batch_frames() sizes to fit, on the host a memory budget.
// No FFmpeg type shows here: the decoder and its frames stay in frame_source.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/image_view.h"
#include "core/status.h"
#include "core/video_hash.h"
#include "decode/media_policy.h"
#include "hash/device.h"
#include "hash/frame_sampling.h"
#include "hash/pdq_hasher.h"

namespace vhm {

class VideoDecoder;
class TmkFrameSampler;

// Where a video's bytes come from: a URL FFmpeg opens, or bytes already in memory
// (`name` is then only the name errors and the info carry; the bytes must outlive the
// source).
struct VideoInput {
  std::string name;
  std::span<const uint8_t> bytes;
  bool in_memory = false;
};

struct FrameSourceConfig {
  Device device = Device::kCpu;
  PixelPath pixels = PixelPath::kExact;
  LumaRange fast_range = LumaRange::kExpand;
  int threads = 0;        // decoder and CPU hashing threads (0 = all cores)
  int batch_frames = 32;  // wanted frames per batch (fewer for large frames or few NVDEC surfaces)
  MediaPolicy media;
  // Also feed every decoded frame to this TMK sampler (decode/tmk_frames.h); the video
  // is then decoded on the CPU, never on NVDEC.
  TmkFrameSampler* tmk_frames = nullptr;
};

// Frames of one batch: their pixels (views), where those are (memory), and for each its
// index in the decoder's output and its presentation time.
class FrameBatch {
 public:
  FrameBatch();
  ~FrameBatch();
  FrameBatch(FrameBatch&&) noexcept;
  FrameBatch& operator=(FrameBatch&&) noexcept;

  size_t size() const { return count_; }
  std::span<const ImageView> views() const { return {views_.data(), count_}; }
  std::span<const PixelMemory> memory() const { return {memory_.data(), count_}; }
  int64_t index(size_t i) const;
  double pts_seconds(size_t i) const;
  // Gives the decoded pictures back to the decoder (once their hashes are taken); the
  // views are then no longer valid.
  void release();

 private:
  friend class FrameSource;
  struct Decoded;
  std::unique_ptr<Decoded> decoded_;
  std::vector<ImageView> views_;
  std::vector<PixelMemory> memory_;
  size_t count_ = 0;
};

class FrameSource {
 public:
  // Opens the input's video stream on the device `config` asks for and the PdqHasher
  // that reads its frames; `sampling` decides which frames are decoded into batches.
  // Errors name the input.
  static Result<std::unique_ptr<FrameSource>> open(const VideoInput& input, const FrameSourceConfig& config,
                                                   FrameSampling sampling);
  ~FrameSource();
  FrameSource(const FrameSource&) = delete;
  FrameSource& operator=(const FrameSource&) = delete;

  const VideoStreamInfo& info() const;
  // The local file the input is (vhm opened and checked it), else empty.
  const std::string& local_path() const;
  // The hasher for this source's batches: it reads every PixelMemory they hold.
  PdqHasher& hasher() { return *hasher_; }
  // Where frames are decoded: "cpu" or "nvdec".
  const char* decoder_name() const { return on_nvdec_ ? "nvdec" : "cpu"; }
  // Why "auto" decodes this video on the CPU although a GPU is usable, else empty.
  const std::string& note() const { return note_; }
  // Frames per batch.
  int batch_frames() const { return batch_frames_; }
  // An empty batch of batch_frames() frames, to be filled again and again.
  FrameBatch make_batch() const;

  // Decodes the next sampled frames into `batch` (its previous frames are dropped):
  // true when it was filled, false at the end of the stream (the batch then holds the
  // last frames, possibly none).
  Result<bool> fill(FrameBatch& batch);

  // The table kDeviceLimitedRange frames are mapped through (decode/video_decoder.h).
  static const std::array<uint8_t, 256>& limited_range_lut();

  // Counters of the decoder, meaningful once fill() has returned false.
  int64_t frames_decoded() const;
  int64_t decode_errors() const;
  int64_t fast_frames() const;
  const std::string& pixel_note() const;
  const std::string& hardware_fell_back() const;

 private:
  explicit FrameSource(FrameSampling sampling);
  Status open_nvdec(const VideoInput& input, const FrameSourceConfig& config, bool required);

  FrameSampling sampling_;  // read by the decoder (which frames to convert): declared first
  std::unique_ptr<VideoDecoder> decoder_;
  std::unique_ptr<PdqHasher> hasher_;
  bool on_nvdec_ = false;
  int batch_frames_ = 1;
  std::string note_;
};

}  // namespace vhm
