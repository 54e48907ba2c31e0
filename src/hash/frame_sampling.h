// Sampling: which of a video's decoded frames are hashed, and the timestamp each hashed
// frame is given. The rules are the reference vPDQ hasher's (vpdq-hash-video), so that
// the lines vhm prints equal its lines (hash/video_hasher.h says where vhm differs).
#pragma once

#include <cstdint>

#include "core/status.h"

namespace vhm {

enum class VideoSampling {
  kEveryFrame,    // every decoded frame (the reference's -r 0)
  kEverySeconds,  // frame n when n % int(seconds * fps) == 0 (the reference's -r N)
  kKeyframes,     // only key frames, the others not even decoded (fast; not in the reference)
};

enum class TimestampMode {
  kReference,     // float(index) / float(fps): the reference's printed timestamp
  kPresentation,  // the frame's best_effort_timestamp * time_base
};

// The reference's sampling interval in frames for "every `seconds` seconds" at `fps`.
int reference_frame_interval(double seconds, double fps);

// The reference's printed timestamp of frame `index`: float(index) / float(fps).
double reference_timestamp(int64_t index, double fps);

// The timestamp a hashed frame carries: reference_timestamp() in kReference mode when
// the frame rate is known, else the frame's own presentation time.
double frame_timestamp(TimestampMode mode, int64_t index, double pts_seconds, double fps);

// Which frame indexes are hashed. The interval of kEverySeconds is in frames, so it is
// known only once the stream's frame rate is (set_frame_rate); until then every index
// is wanted.
class FrameSampling {
 public:
  FrameSampling(VideoSampling sampling, double seconds) : sampling_(sampling), seconds_(seconds) {}

  // kInvalidArgument when kEverySeconds is given an interval that is not a number of
  // seconds >= 0.
  Status check() const;
  // Key frames only: the decoder skips the others without decoding them.
  bool keyframes_only() const { return sampling_ == VideoSampling::kKeyframes; }
  // Turns seconds into frames at the stream's rate. kUnsupported when sampling by
  // time at an unknown rate (0): there is no frame interval to speak of.
  Status set_frame_rate(double fps);
  // Whether frame `index` (the decoder's output position) is hashed.
  bool wants(int64_t index) const { return interval_ <= 1 || index % interval_ == 0; }
  int interval() const { return interval_; }

 private:
  VideoSampling sampling_;
  double seconds_;
  int interval_ = 1;
};

}  // namespace vhm
