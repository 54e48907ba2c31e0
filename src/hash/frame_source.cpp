#include "hash/frame_source.h"

#include <algorithm>
#include <mutex>

#include <spdlog/spdlog.h>

#include "decode/video_decoder.h"

namespace vhm {

struct FrameBatch::Decoded {
  std::vector<DecodedFrame> frames;
};

FrameBatch::FrameBatch() : decoded_(std::make_unique<Decoded>()) {}
FrameBatch::~FrameBatch() = default;
FrameBatch::FrameBatch(FrameBatch&&) noexcept = default;
FrameBatch& FrameBatch::operator=(FrameBatch&&) noexcept = default;

int64_t FrameBatch::index(size_t i) const { return decoded_->frames[i].index; }
double FrameBatch::pts_seconds(size_t i) const { return decoded_->frames[i].pts_seconds; }

void FrameBatch::release() {
  for (size_t i = 0; i < count_; ++i)
    if (DecodedFrame& f = decoded_->frames[i]; f.decoded) av_frame_unref(f.decoded.get());
}

namespace {

Result<std::unique_ptr<VideoDecoder>> open_decoder(const VideoInput& input, const VideoDecoderOptions& options) {
  return input.in_memory ? VideoDecoder::open_memory(input.bytes, input.name, options)
                         : VideoDecoder::open(input.name, options);
}

// Frames per batch on the host: `wanted`, fewer when two batches of this frame size
// would exceed the memory budget.
int host_batch(int wanted, int width, int height) {
  constexpr int64_t kBudgetBytes = int64_t{512} << 20;  // both batches together
  const int64_t frame_bytes = std::max<int64_t>(1, int64_t{width} * height * 3);
  const int64_t fit = kBudgetBytes / (2 * frame_bytes);
  return static_cast<int>(std::clamp<int64_t>(fit, 1, std::max(wanted, 1)));
}

// Frames per batch when decoding on NVDEC: the frames of both batches stay referenced
// until hashed, and some FFmpeg versions can lend only a few (see
// VideoDecoder::max_hardware_frames_held). Device memory holds them, not the host.
int nvdec_batch(int wanted) {
  return std::clamp(wanted, 1, std::max(1, std::min(VideoDecoder::max_hardware_frames_held() / 2, 64)));
}

// "auto" settled on the CPU: said once per process (the first reason), whatever the
// number of videos.
void log_cpu_fallback_once(const std::string& line) {
  static std::once_flag once;
  std::call_once(once, [&] { spdlog::info("device auto: {}", line); });
}

PixelMemory memory_of(const DecodedFrame& frame) {
  if (!frame.on_device) return PixelMemory::kHost;
  return frame.limited_range ? PixelMemory::kDeviceLimitedRange : PixelMemory::kDevice;
}

VideoDecoderOptions decoder_options(const FrameSourceConfig& config, const FrameSampling& sampling) {
  VideoDecoderOptions options;
  options.keyframes_only = sampling.keyframes_only();
  options.threads = config.threads;
  // The sampling outlives the decoder (FrameSource declares it first).
  options.want = [&sampling](int64_t index) { return sampling.wants(index); };
  options.pixels = config.pixels;
  options.fast_range = config.fast_range;
  options.media = config.media;
  options.tmk_frames = config.tmk_frames;
  return options;
}

}  // namespace

FrameSource::FrameSource(FrameSampling sampling) : sampling_(sampling) {}
FrameSource::~FrameSource() = default;

// NVDEC and the GPU hasher in the same (primary) CUDA context. Any reason they cannot
// be had is a kUnavailable naming it.
Status FrameSource::open_nvdec(const VideoInput& input, const FrameSourceConfig& config, bool required) {
  std::string why;
  if (!gpu_hashing_available(&why)) return {StatusCode::kUnavailable, "GPU decoding unavailable: " + why};
  auto gpu = make_pdq_hasher({Device::kGpu, config.threads});
  if (!gpu) return {StatusCode::kUnavailable, "GPU decoding unavailable: " + gpu.status().message()};
  const int batch = nvdec_batch(config.batch_frames);
  VideoDecoderOptions options = decoder_options(config, sampling_);
  options.hardware = HardwareDecode::kCuda;
  options.hardware_required = required;
  options.cuda_device = 0;
  options.hardware_frames_held = 2 * batch;  // two batches of frames (see the header)
  auto dec = open_decoder(input, options);
  if (!dec) return dec.status();
  if (Status s = (*gpu)->check_device_context((*dec)->cuda_context()); !s.is_ok())
    return {StatusCode::kUnavailable, "GPU decoding unavailable: " + s.message()};
  decoder_ = std::move(dec).value();
  hasher_ = std::move(gpu).value();
  batch_frames_ = batch;
  on_nvdec_ = true;
  return Status::ok();
}

Result<std::unique_ptr<FrameSource>> FrameSource::open(const VideoInput& input, const FrameSourceConfig& config,
                                                       FrameSampling sampling) {
  const std::string& url = input.name;
  std::unique_ptr<FrameSource> source(new FrameSource(sampling));
  const Device device = config.device;
  Device host_device = device;  // the PdqHasher for frames decoded on the CPU
  if (device == Device::kAuto) {
    std::string why;
    if (!gpu_hashing_available(&why)) {
      log_cpu_fallback_once((why.empty() ? std::string("no usable GPU") : why) +
                            "; decoding and hashing videos on the CPU");
      host_device = Device::kCpu;
    }
  }
  const bool fast = config.pixels == PixelPath::kFast;
  // TMK's sampler scales host frames: a video hashed for TMK too is decoded on the CPU.
  if (fast && !config.tmk_frames &&
      (device == Device::kGpu || (device == Device::kAuto && host_device == Device::kAuto))) {
    Status s = source->open_nvdec(input, config, /*required=*/device == Device::kGpu);
    if (!s.is_ok()) {
      if (device == Device::kGpu || s.code() != StatusCode::kUnavailable) return s.with_subject(url);
      log_cpu_fallback_once(s.message() + "; decoding such videos on the CPU");
      source->note_ = s.message() + "; decoded on the CPU";
    }
  }
  if (!source->decoder_) {
    auto opened = open_decoder(input, decoder_options(config, source->sampling_));
    if (!opened) return opened.status();
    source->decoder_ = std::move(opened).value();
  }
  const VideoStreamInfo& info = source->decoder_->info();
  if (Status s = source->sampling_.set_frame_rate(info.fps); !s.is_ok()) return s.with_subject(url);
  if (!source->hasher_) {
    auto hasher = make_pdq_hasher({host_device, config.threads});
    if (!hasher) {
      if (hasher.status().code() == StatusCode::kUnavailable)
        return Status(StatusCode::kUnavailable, "GPU hashing unavailable: " + hasher.status().message(), url);
      return hasher.status().with_subject(url);
    }
    source->hasher_ = std::move(hasher).value();
    source->batch_frames_ = host_batch(config.batch_frames, info.width, info.height);
  }
  return source;
}

const VideoStreamInfo& FrameSource::info() const { return decoder_->info(); }
const std::string& FrameSource::local_path() const { return decoder_->local_path(); }

FrameBatch FrameSource::make_batch() const {
  FrameBatch batch;
  batch.decoded_->frames.resize(batch_frames_);
  batch.views_.resize(batch_frames_);
  batch.memory_.resize(batch_frames_);
  return batch;
}

Result<bool> FrameSource::fill(FrameBatch& batch) {
  std::vector<DecodedFrame>& frames = batch.decoded_->frames;
  batch.count_ = 0;
  size_t count = 0;
  while (count < frames.size()) {
    auto got = decoder_->next(frames[count]);
    if (!got) return got.status();
    if (!*got) break;
    ++count;
  }
  for (size_t i = 0; i < count; ++i) {
    batch.views_[i] = frames[i].view();
    batch.memory_[i] = memory_of(frames[i]);
  }
  batch.count_ = count;
  return count == frames.size();
}

const std::array<uint8_t, 256>& FrameSource::limited_range_lut() { return limited_to_full_range_table(); }

int64_t FrameSource::frames_decoded() const { return decoder_->frames_decoded(); }
int64_t FrameSource::decode_errors() const { return decoder_->decode_errors(); }
int64_t FrameSource::fast_frames() const { return decoder_->fast_frames(); }
const std::string& FrameSource::pixel_note() const { return decoder_->pixel_note(); }
const std::string& FrameSource::hardware_fell_back() const { return decoder_->hardware_fell_back(); }

}  // namespace vhm
