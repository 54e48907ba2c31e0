#include "hash/video_hasher.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>

#include "hash/pdq_hasher.h"

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

// The local path behind `url` when FFmpeg would read it as a plain file, else empty.
std::string local_file_path(const std::string& url) {
  if (url.empty() || url == "-") return {};
  const char* protocol = avio_find_protocol_name(url.c_str());
  if (!protocol || std::strcmp(protocol, "file") != 0) return {};
  std::string path = url.starts_with("file:") ? url.substr(5) : url;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return {};
  return path;
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
  char hex[33];
  for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 32);
}

Result<VideoHash> hash_video(const std::string& url, const VideoHashConfig& config) {
  const auto started = std::chrono::steady_clock::now();
  if (config.sampling == VideoSampling::kEverySeconds && !(std::isfinite(config.seconds) && config.seconds >= 0))
    return Status(StatusCode::kInvalidArgument, "the sampling interval must be a number of seconds >= 0", url);
  if (config.prune_distance < -1 || config.prune_distance > Hash256::kBits)
    return Status(StatusCode::kInvalidArgument, "the prune distance must be -1 (off) or 0..256", url);

  // Frames to hash: every `interval`-th by frame number (1 = all).
  int interval = 1;
  VideoDecoderOptions options;
  options.keyframes_only = config.sampling == VideoSampling::kKeyframes;
  options.threads = config.threads;
  options.want = [&interval](int64_t index) { return interval <= 1 || index % interval == 0; };
  auto decoder = VideoDecoder::open(url, options);
  if (!decoder) return decoder.status();
  VideoDecoder& dec = **decoder;
  const VideoStreamInfo& info = dec.info();
  if (config.sampling == VideoSampling::kEverySeconds && config.seconds > 0) {
    if (!(info.fps > 0))
      return Status(StatusCode::kUnsupported, "the frame rate is unknown, so frames cannot be sampled by time", url);
    interval = reference_frame_interval(config.seconds, info.fps);
  }

  auto hasher = make_pdq_hasher({config.device, config.threads});
  if (!hasher) return hasher.status().with_subject(url);

  // The MD5 reads the file on another thread while the video decodes.
  std::future<Result<std::string>> md5;
  if (config.compute_md5) {
    if (std::string path = local_file_path(url); !path.empty())
      md5 = std::async(std::launch::async, [path] { return md5_file_hex(path); });
  }

  VideoHash result;
  result.info = info;
  result.hasher = (*hasher)->name();

  std::optional<Hash256> last_kept;
  auto keep = [&](const DecodedFrame& frame, const PdqHash& h) {
    if (config.prune_distance >= 0 && last_kept && last_kept->hamming(h.hash) <= config.prune_distance) return;
    last_kept = h.hash;
    FrameHash fh;
    fh.index = static_cast<int>(frame.index);
    fh.quality = h.quality;
    fh.hash = h.hash;
    fh.pts_seconds = config.timestamps == TimestampMode::kReference && info.fps > 0
                         ? reference_timestamp(frame.index, info.fps)
                         : frame.pts_seconds;
    result.frames.push_back(fh);
  };

  // Two pools of frames: one is hashed (on another thread) while the next is decoded.
  const int batch = batch_size(config.batch_frames, info.width, info.height);
  struct Pool {
    std::vector<DecodedFrame> frames;
    std::vector<ImageView> views;
    std::vector<PdqHash> hashes;
    size_t count = 0;
  };
  Pool pools[2];
  for (Pool& p : pools) {
    p.frames.resize(batch);
    p.views.resize(batch);
    p.hashes.resize(batch);
  }
  std::future<Status> pending;
  int pending_pool = -1;
  auto collect = [&]() -> Status {
    if (pending_pool < 0) return Status::ok();
    Status s = pending.get();
    Pool& p = pools[pending_pool];
    pending_pool = -1;
    if (!s.is_ok()) return s.with_subject(url);
    for (size_t i = 0; i < p.count; ++i) keep(p.frames[i], p.hashes[i]);
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
      PdqHasher* h = hasher->get();
      pending = std::async(std::launch::async, [h, &p] {
        return h->hash(std::span<const ImageView>(p.views.data(), p.count), std::span<PdqHash>(p.hashes.data(), p.count));
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
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace vhm
