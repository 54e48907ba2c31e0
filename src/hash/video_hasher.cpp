#include "hash/video_hasher.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "decode/video_decoder.h"
#include "hash/letterbox.h"
#include "hash/pdq_hasher.h"
#include "kernels/pdq_cuda.h"

extern "C" {
#include <libavformat/avio.h>
#include <libavutil/md5.h>
#include <libavutil/mem.h>
}

namespace vhm {
namespace {

struct Md5Freer {
  void operator()(AVMD5* m) const { av_free(m); }
};

std::string digest_hex(const uint8_t (&digest)[16]) {
  char hex[33];
  for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 32);
}

// Where a video's bytes come from: a URL FFmpeg opens, or bytes already in memory
// (`name` is then only the name errors and the info carry).
struct VideoSource {
  std::string name;
  std::span<const uint8_t> bytes;
  bool in_memory = false;
};

Result<std::unique_ptr<VideoDecoder>> open_decoder(const VideoSource& source, const VideoDecoderOptions& options) {
  return source.in_memory ? VideoDecoder::open_memory(source.bytes, source.name, options)
                          : VideoDecoder::open(source.name, options);
}

// Frames per batch: `wanted`, fewer when two batches of this frame size would exceed
// the memory budget.
int batch_size(int wanted, int width, int height) {
  constexpr int64_t kBudgetBytes = int64_t{512} << 20;  // both batches together
  const int64_t frame_bytes = std::max<int64_t>(1, int64_t{width} * height * 3);
  const int64_t fit = kBudgetBytes / (2 * frame_bytes);
  return static_cast<int>(std::clamp<int64_t>(fit, 1, std::max(wanted, 1)));
}

}  // namespace

int reference_frame_interval(double seconds, double fps) {
  // The reference tool reads -r with std::stof, then computes in double and truncates.
  const double n = static_cast<double>(static_cast<float>(seconds)) * fps;
  if (!(n >= 1.0)) return 1;  // also NaN; an interval of 0 becomes 1, as in the reference
  if (n >= static_cast<double>(INT32_MAX)) return INT32_MAX;
  return static_cast<int>(n);
}

double reference_timestamp(int64_t index, double fps) {
  // vpdqFeature::timeStamp = static_cast<float>(frameNumber) / static_cast<float>(frameRate)
  return static_cast<double>(static_cast<float>(index) / static_cast<float>(fps));
}

Result<std::string> md5_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kIoError, std::string("cannot read: ") + std::strerror(errno), path);
  std::unique_ptr<AVMD5, Md5Freer> md5(av_md5_alloc());
  if (!md5) return Status(StatusCode::kInternal, "out of memory", path);
  av_md5_init(md5.get());
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) av_md5_update(md5.get(), reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(got));
  }
  if (in.bad()) return Status(StatusCode::kIoError, std::string("read failed: ") + std::strerror(errno), path);
  uint8_t digest[16];
  av_md5_final(md5.get(), digest);
  return digest_hex(digest);
}

std::string md5_bytes_hex(std::span<const uint8_t> bytes) {
  uint8_t digest[16];
  av_md5_sum(digest, bytes.data(), bytes.size());
  return digest_hex(digest);
}

namespace {

// Frames per batch when decoding on NVDEC: the frames of both pools stay referenced
// until hashed, and some FFmpeg versions can lend only a few (see
// VideoDecoder::max_hardware_frames_held). Device memory holds them, not the host.
int gpu_batch(int wanted) {
  return std::clamp(wanted, 1, std::max(1, std::min(VideoDecoder::max_hardware_frames_held() / 2, 64)));
}

// "auto" settled on the CPU: said once per process (the first reason), whatever the
// number of videos.
void log_cpu_fallback_once(const std::string& line) {
  static std::once_flag once;
  std::call_once(once, [&] { spdlog::info("device auto: {}", line); });
}

// The hasher(s) behind one video: a PdqHasher for frames in host memory, and for GPU
// decoding the CUDA hasher, which hashes the device luma planes where they are (and the
// host frames too, should NVDEC give up on the stream part-way).
struct FrameHashers {
  std::unique_ptr<PdqHasher> host;
  std::unique_ptr<gpu::PdqCudaHasher> cuda;
  // Scratch for one batch split by where its frames are (device frames to be mapped
  // through the range table, device frames as they are, host frames).
  std::vector<ImageView> views[3];
  std::vector<PdqHash> hashes[3];
  std::vector<PdqDct> group_dcts[3];
  std::vector<size_t> slots[3];

  Status hash(const std::vector<DecodedFrame>& frames, const std::vector<ImageView>& all_views,
              std::vector<PdqHash>& out, size_t count, std::vector<PdqDct>& dcts) {
    const std::span<PdqDct> all_dcts = dcts.empty() ? std::span<PdqDct>() : std::span<PdqDct>(dcts.data(), count);
    if (!cuda)
      return host->hash(std::span<const ImageView>(all_views.data(), count), std::span<PdqHash>(out.data(), count),
                        all_dcts);
    for (int g = 0; g < 3; ++g) {
      views[g].clear();
      slots[g].clear();
    }
    for (size_t i = 0; i < count; ++i) {
      const int g = frames[i].on_device ? (frames[i].limited_range ? 0 : 1) : 2;
      views[g].push_back(all_views[i]);
      slots[g].push_back(i);
    }
    for (int g = 0; g < 3; ++g) {
      if (views[g].empty()) continue;
      hashes[g].resize(views[g].size());
      group_dcts[g].resize(all_dcts.empty() ? 0 : views[g].size());
      Status s = g == 0   ? cuda->hash_device_luma_batch(views[g], limited_to_full_range_table(), hashes[g], group_dcts[g])
                 : g == 1 ? cuda->hash_device_batch(views[g], hashes[g], group_dcts[g])
                          : cuda->hash_host_batch(views[g], hashes[g], group_dcts[g]);
      VHM_RETURN_IF_ERROR(s);
      for (size_t k = 0; k < slots[g].size(); ++k) {
        out[slots[g][k]] = hashes[g][k];
        if (!all_dcts.empty()) all_dcts[slots[g][k]] = group_dcts[g][k];
      }
    }
    return Status::ok();
  }
};

// GPU decoding of `url`: the CUDA hasher and a decoder on NVDEC in the same (primary)
// CUDA context. Any reason it cannot be had is a kUnavailable naming it.
Status open_gpu_decoding(const VideoSource& source, VideoDecoderOptions options, bool required, int batch,
                         std::unique_ptr<VideoDecoder>& decoder, FrameHashers& hashers) {
  std::string why;
  if (!gpu::cuda_available(&why)) return {StatusCode::kUnavailable, "GPU decoding unavailable: " + why};
  auto cuda = gpu::PdqCudaHasher::create(0);
  if (!cuda) return {StatusCode::kUnavailable, "GPU decoding unavailable: " + cuda.status().message()};
  options.hardware = HardwareDecode::kCuda;
  options.hardware_required = required;
  options.cuda_device = 0;
  options.hardware_frames_held = 2 * batch;  // two pools of frames (see hash_video)
  auto dec = open_decoder(source, options);
  if (!dec) return dec.status();
  if (Status s = gpu::check_primary_context(0, (*dec)->cuda_context()); !s.is_ok())
    return {StatusCode::kUnavailable, "GPU decoding unavailable: " + s.message()};
  decoder = std::move(dec).value();
  hashers.cuda = std::move(cuda).value();
  return Status::ok();
}

// hash_video and hash_video_memory: everything but where the bytes come from.
Result<VideoHash> hash_video_source(const VideoSource& source, const VideoHashConfig& config) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& url = source.name;
  if (config.sampling == VideoSampling::kEverySeconds && !(std::isfinite(config.seconds) && config.seconds >= 0))
    return Status(StatusCode::kInvalidArgument, "the sampling interval must be a number of seconds >= 0", url);
  if (config.prune_distance < -1 || config.prune_distance > Hash256::kBits)
    return Status(StatusCode::kInvalidArgument, "the prune distance must be -1 (off) or 0..256", url);
  const Device device = config.device;
  const bool fast = config.pixels == PixelPath::kFast;

  // Frames to hash: every `interval`-th by frame number (1 = all).
  int interval = 1;
  VideoDecoderOptions options;
  options.keyframes_only = config.sampling == VideoSampling::kKeyframes;
  options.threads = config.threads;
  options.want = [&interval](int64_t index) { return interval <= 1 || index % interval == 0; };
  options.pixels = config.pixels;
  options.fast_range = config.fast_range;
  options.media = config.media;

  VideoHash result;
  result.pixels = config.pixels;
  FrameHashers hashers;
  std::unique_ptr<VideoDecoder> decoder;
  Device host_device = device;  // the PdqHasher for host frames
  if (device == Device::kAuto) {
    std::string why;
    if (!gpu::cuda_available(&why)) {
      log_cpu_fallback_once((why.empty() ? std::string("no usable GPU") : why) +
                            "; decoding and hashing videos on the CPU");
      host_device = Device::kCpu;
    }
  }
  if (fast && (device == Device::kGpu || (device == Device::kAuto && host_device == Device::kAuto))) {
    Status s = open_gpu_decoding(source, options, /*required=*/device == Device::kGpu, gpu_batch(config.batch_frames),
                                 decoder, hashers);
    if (!s.is_ok()) {
      if (device == Device::kGpu || s.code() != StatusCode::kUnavailable) return s.with_subject(url);
      log_cpu_fallback_once(s.message() + "; decoding such videos on the CPU");
      result.note = s.message() + "; decoded on the CPU";
    }
  }
  if (!decoder) {
    auto opened = open_decoder(source, options);
    if (!opened) return opened.status();
    decoder = std::move(opened).value();
  }
  VideoDecoder& dec = *decoder;
  const VideoStreamInfo& info = dec.info();
  if (config.sampling == VideoSampling::kEverySeconds && config.seconds > 0) {
    if (!(info.fps > 0))
      return Status(StatusCode::kUnsupported, "the frame rate is unknown, so frames cannot be sampled by time", url);
    interval = reference_frame_interval(config.seconds, info.fps);
  }

  if (hashers.cuda) {
    result.hasher = "gpu";
    result.decoder = "nvdec";
  } else {
    auto hasher = make_pdq_hasher({host_device, config.threads});
    if (!hasher) {
      if (hasher.status().code() == StatusCode::kUnavailable)
        return Status(StatusCode::kUnavailable, "GPU hashing unavailable: " + hasher.status().message(), url);
      return hasher.status().with_subject(url);
    }
    hashers.host = std::move(hasher).value();
    result.hasher = hashers.host->name();
  }

  // The MD5 reads the file (or the bytes in memory) on another thread while the video decodes.
  std::future<Result<std::string>> md5;
  if (config.compute_md5) {
    if (source.in_memory) {
      const std::span<const uint8_t> bytes = source.bytes;
      md5 = std::async(std::launch::async, [bytes]() -> Result<std::string> { return md5_bytes_hex(bytes); });
    } else if (const std::string& path = dec.local_path(); !path.empty()) {
      md5 = std::async(std::launch::async, [path] { return md5_file_hex(path); });
    }
  }

  result.info = info;

  std::optional<Hash256> last_kept;
  auto keep = [&](const DecodedFrame& frame, const PdqHash& h, const PdqDct* dct, const PdqHash* cropped) {
    if (config.prune_distance >= 0 && last_kept && last_kept->hamming(h.hash) <= config.prune_distance) return;
    last_kept = h.hash;
    FrameHash fh;
    fh.index = static_cast<int>(frame.index);
    fh.quality = h.quality;
    fh.hash = h.hash;
    if (cropped) {
      fh.has_cropped = true;
      fh.cropped = cropped->hash;
      fh.cropped_quality = cropped->quality;
    }
    if (dct) {
      const PdqDihedralHashes d = pdq_dihedral_from_dct(*dct);
      fh.dihedral.assign(d.hashes.begin() + 1, d.hashes.end());
    }
    fh.pts_seconds = config.timestamps == TimestampMode::kReference && info.fps > 0
                         ? reference_timestamp(frame.index, info.fps)
                         : frame.pts_seconds;
    result.frames.push_back(fh);
  };

  // Two pools of frames: one is hashed (on another thread) while the next is decoded.
  // A pool's frames (and so the decoded pictures they reference, in device memory when
  // decoding on the GPU) are kept until its hashes are collected.
  const int batch = hashers.cuda ? gpu_batch(config.batch_frames)
                                 : batch_size(config.batch_frames, info.width, info.height);
  struct Pool {
    std::vector<DecodedFrame> frames;
    std::vector<ImageView> views;
    std::vector<PdqHash> hashes;
    std::vector<PdqDct> dcts;             // when dihedral variants are wanted
    std::vector<ImageView> crop_views;    // the pictures inside bars, and
    std::vector<size_t> crop_of;          // the frame each belongs to
    std::vector<PdqHash> crop_hashes;
    size_t count = 0;
  };
  Pool pools[2];
  for (Pool& p : pools) {
    p.frames.resize(batch);
    p.views.resize(batch);
    p.hashes.resize(batch);
    if (config.dihedral) p.dcts.resize(batch);
  }
  // The variants of a pool's frames, after its main hashes (runs on the hashing thread).
  auto hash_variants = [&config, &hashers](Pool& p) -> Status {
    p.crop_views.clear();
    p.crop_of.clear();
    if (!config.crop_bars) return Status::ok();
    for (size_t i = 0; i < p.count; ++i) {
      if (p.frames[i].on_device) continue;
      const CropRect r = detect_bars(p.views[i]);
      if (r.empty()) continue;
      p.crop_views.push_back(crop_view(p.views[i], r));
      p.crop_of.push_back(i);
    }
    p.crop_hashes.resize(p.crop_views.size());
    if (p.crop_views.empty()) return Status::ok();
    if (hashers.host) return hashers.host->hash(p.crop_views, p.crop_hashes);
    return hashers.cuda->hash_host_batch(p.crop_views, p.crop_hashes);  // host frames NVDEC gave up on
  };
  std::future<Status> pending;
  int pending_pool = -1;
  auto collect = [&]() -> Status {
    if (pending_pool < 0) return Status::ok();
    Status s = pending.get();
    Pool& p = pools[pending_pool];
    pending_pool = -1;
    if (!s.is_ok()) return s.with_subject(url);
    if (config.on_frames_hashed) config.on_frames_hashed(static_cast<int64_t>(p.count));
    size_t next_crop = 0;
    for (size_t i = 0; i < p.count; ++i) {
      const PdqHash* cropped = nullptr;
      if (next_crop < p.crop_of.size() && p.crop_of[next_crop] == i) cropped = &p.crop_hashes[next_crop++];
      keep(p.frames[i], p.hashes[i], p.dcts.empty() ? nullptr : &p.dcts[i], cropped);
      // Hashed: the decoder may have its picture back now (NVDEC surfaces are few).
      if (p.frames[i].decoded) av_frame_unref(p.frames[i].decoded.get());
    }
    return Status::ok();
  };

  Status failure;
  int current = 0;
  bool more = true;
  while (more) {
    Pool& p = pools[current];
    p.count = 0;
    while (p.count < p.frames.size()) {
      auto got = dec.next(p.frames[p.count]);
      if (!got) {
        failure = got.status();
        break;
      }
      if (!*got) break;
      ++p.count;
    }
    more = failure.is_ok() && p.count == p.frames.size();
    if (Status s = collect(); !s.is_ok() && failure.is_ok()) failure = s;
    if (!failure.is_ok()) break;
    if (p.count > 0) {
      for (size_t i = 0; i < p.count; ++i) p.views[i] = p.frames[i].view();
      FrameHashers* h = &hashers;
      pending = std::async(std::launch::async, [h, &p, &hash_variants] {
        VHM_RETURN_IF_ERROR(h->hash(p.frames, p.views, p.hashes, p.count, p.dcts));
        return hash_variants(p);
      });
      pending_pool = current;
    }
    current ^= 1;
  }
  if (Status s = collect(); !s.is_ok() && failure.is_ok()) failure = s;
  if (md5.valid()) {
    auto digest = md5.get();
    if (!digest && failure.is_ok()) failure = digest.status();
    if (digest) result.md5_hex = *digest;
  }
  if (!failure.is_ok()) return failure.with_subject(url);

  result.frames_decoded = dec.frames_decoded();
  result.decode_errors = dec.decode_errors();
  result.fast_frames = dec.fast_frames();
  auto add_note = [&](const std::string& line) {
    if (line.empty()) return;
    result.note += (result.note.empty() ? "" : "; ") + line;
  };
  add_note(dec.pixel_note());
  if (!dec.hardware_fell_back().empty()) add_note(dec.hardware_fell_back() + "; the rest was decoded on the CPU");
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace

Result<VideoHash> hash_video(const std::string& url, const VideoHashConfig& config) {
  return hash_video_source({url, {}, false}, config);
}

Result<VideoHash> hash_video_memory(std::span<const uint8_t> bytes, const std::string& name,
                                    const VideoHashConfig& config) {
  return hash_video_source({name, bytes, true}, config);
}

}  // namespace vhm
