#include "hash/video_hasher.h"

#include <chrono>
#include <future>
#include <optional>
#include <span>
#include <vector>

#include "decode/tmk_frames.h"
#include "hash/frame_pruning.h"
#include "hash/frame_source.h"
#include "hash/frame_variants.h"
#include "hash/pdq_hasher.h"
#include "hash/tmk_hasher.h"

namespace vhm {
namespace {

// One batch of frames on its way: decoded, hashed (on another thread while the next
// batch decodes), then its hashes taken into the result.
struct BatchInFlight {
  BatchInFlight(const FrameSource& source, FrameVariantOptions variant_options)
      : frames(source.make_batch()), variants(variant_options) {
    hashes.resize(source.batch_frames());
    if (variants.wants_dcts()) dcts.resize(source.batch_frames());
  }

  // The main hashes of the frames, then their variants (runs on the hashing thread).
  Status hash(PdqHasher& hasher) {
    const size_t n = frames.size();
    const std::span<PdqDct> frame_dcts = dcts.empty() ? std::span<PdqDct>() : std::span<PdqDct>(dcts.data(), n);
    VHM_RETURN_IF_ERROR(hash_frames(hasher, frames.views(), frames.memory(), FrameSource::limited_range_lut(),
                                    std::span<PdqHash>(hashes.data(), n), frame_dcts));
    return variants.hash_batch(hasher, frames.views(), frames.memory());
  }

  FrameBatch frames;
  std::vector<PdqHash> hashes;
  std::vector<PdqDct> dcts;  // when dihedral variants are wanted
  BatchVariants variants;
};

// hash_video and hash_video_memory: everything but where the bytes come from.
// Sample (in the source) -> hash -> prune -> variants, batch by batch.
Result<VideoHash> hash_video_input(const VideoInput& input, const VideoHashConfig& config) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& url = input.name;
  FrameSampling sampling(config.sampling, config.seconds);
  if (Status s = sampling.check(); !s.is_ok()) return s.with_subject(url);
  if (Status s = FramePruning::check_distance(config.prune_distance); !s.is_ok()) return s.with_subject(url);

  FrameSourceConfig source_config;
  source_config.device = config.device;
  source_config.pixels = config.pixels;
  source_config.fast_range = config.fast_range;
  source_config.threads = config.threads;
  source_config.batch_frames = config.batch_frames;
  source_config.media = config.media;
  // TMK+PDQF from the same decode: the sampler sees every decoded frame on the decoding
  // thread, the accumulator sums each 15 fps frame's PDQF as it comes.
  std::optional<TmkAccumulator> tmk;
  std::optional<TmkFrameSampler> tmk_frames;
  if (config.compute_tmk) {
    tmk.emplace();
    tmk_frames.emplace([&tmk](const uint8_t* rgb) { tmk->add_rgb64x64(rgb); });
    source_config.tmk_frames = &*tmk_frames;
  }
  auto opened = FrameSource::open(input, source_config, sampling);
  if (!opened) return opened.status();
  FrameSource& source = **opened;
  PdqHasher& hasher = source.hasher();

  VideoHash result;
  result.pixels = config.pixels;
  result.note = source.note();
  result.hasher = hasher.name();
  result.decoder = source.decoder_name();
  result.info = source.info();

  // The digests read the file (or the bytes in memory) on another thread while the video decodes.
  std::future<Result<InputDigests>> digests;
  const DigestKinds kinds{config.compute_md5, config.compute_sha256};
  if (kinds.md5 || kinds.sha256) {
    if (input.in_memory) digests = digest_bytes_async(input.bytes, kinds);
    else if (const std::string& path = source.local_path(); !path.empty()) digests = digest_file_async(path, kinds);
  }

  FramePruning pruning(config.prune_distance);
  const double fps = result.info.fps;
  // Two batches: one is hashed (on another thread) while the next is decoded. A batch's
  // decoded pictures (in device memory when decoding on NVDEC) are kept until its
  // hashes are taken.
  const FrameVariantOptions variant_options{config.crop_bars, config.dihedral};
  BatchInFlight batches[2] = {{source, variant_options}, {source, variant_options}};
  std::future<Status> pending;
  int pending_batch = -1;
  auto collect = [&]() -> Status {
    if (pending_batch < 0) return Status::ok();
    Status s = pending.get();
    BatchInFlight& b = batches[pending_batch];
    pending_batch = -1;
    if (!s.is_ok()) return s.with_subject(url);
    if (config.on_frames_hashed) config.on_frames_hashed(static_cast<int64_t>(b.frames.size()));
    for (size_t i = 0; i < b.frames.size(); ++i) {
      if (!pruning.keep(b.hashes[i].hash)) continue;
      FrameHash fh;
      fh.index = static_cast<int>(b.frames.index(i));
      fh.quality = b.hashes[i].quality;
      fh.hash = b.hashes[i].hash;
      b.variants.add_to(i, b.dcts.empty() ? nullptr : &b.dcts[i], fh);
      fh.pts_seconds = frame_timestamp(config.timestamps, b.frames.index(i), b.frames.pts_seconds(i), fps);
      result.frames.push_back(std::move(fh));
    }
    // Hashed: the decoder may have its pictures back now (NVDEC surfaces are few).
    b.frames.release();
    return Status::ok();
  };

  Status failure;
  int current = 0;
  bool more = true;
  while (more) {
    BatchInFlight& b = batches[current];
    auto filled = source.fill(b.frames);
    if (!filled) failure = filled.status();
    more = filled.is_ok() && *filled;
    if (Status s = collect(); !s.is_ok() && failure.is_ok()) failure = s;
    if (!failure.is_ok()) break;
    if (b.frames.size() > 0) {
      pending = std::async(std::launch::async, [&b, &hasher] { return b.hash(hasher); });
      pending_batch = current;
    }
    current ^= 1;
  }
  if (Status s = collect(); !s.is_ok() && failure.is_ok()) failure = s;
  if (digests.valid()) {
    auto digest = digests.get();
    if (!digest && failure.is_ok()) failure = digest.status();
    if (digest) {
      result.md5_hex = std::move(digest->md5_hex);
      result.sha256_hex = std::move(digest->sha256_hex);
    }
  }
  if (!failure.is_ok()) return failure.with_subject(url);

  if (tmk) result.tmk = tmk->finish();
  result.frames_decoded = source.frames_decoded();
  result.decode_errors = source.decode_errors();
  result.fast_frames = source.fast_frames();
  auto add_note = [&](const std::string& line) {
    if (line.empty()) return;
    result.note += (result.note.empty() ? "" : "; ") + line;
  };
  add_note(source.pixel_note());
  if (!source.hardware_fell_back().empty()) add_note(source.hardware_fell_back() + "; the rest was decoded on the CPU");
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace

Result<VideoHash> hash_video(const std::string& url, const VideoHashConfig& config) {
  return hash_video_input({url, {}, false}, config);
}

Result<VideoHash> hash_video_memory(std::span<const uint8_t> bytes, const std::string& name,
                                    const VideoHashConfig& config) {
  return hash_video_input({name, bytes, true}, config);
}

}  // namespace vhm
