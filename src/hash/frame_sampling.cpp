#include "hash/frame_sampling.h"

#include <cmath>

namespace vhm {

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

double frame_timestamp(TimestampMode mode, int64_t index, double pts_seconds, double fps) {
  return mode == TimestampMode::kReference && fps > 0 ? reference_timestamp(index, fps) : pts_seconds;
}

Status FrameSampling::check() const {
  if (sampling_ == VideoSampling::kEverySeconds && !(std::isfinite(seconds_) && seconds_ >= 0))
    return {StatusCode::kInvalidArgument, "the sampling interval must be a number of seconds >= 0"};
  return Status::ok();
}

Status FrameSampling::set_frame_rate(double fps) {
  // An interval of 0 seconds is the reference's -r 0: every frame, whatever the rate.
  if (sampling_ != VideoSampling::kEverySeconds || !(seconds_ > 0)) return Status::ok();
  if (!(fps > 0)) return {StatusCode::kUnsupported, "the frame rate is unknown, so frames cannot be sampled by time"};
  interval_ = reference_frame_interval(seconds_, fps);
  return Status::ok();
}

}  // namespace vhm
