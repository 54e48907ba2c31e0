// A one-line progress display for long batch jobs: inputs done/total, frames/s and
// ETA, redrawn in place on a terminal. Silent when stderr is not a terminal (piped,
// redirected, CI), so logs and machine-read output stay clean.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace vhm {

class ProgressLine {
 public:
  // Enabled when `wanted` and stderr is a terminal.
  ProgressLine(size_t total_inputs, bool wanted);
  ~ProgressLine();

  bool enabled() const { return enabled_; }
  // Called when an input finishes (any thread).
  void input_done();
  // Called as frames are hashed (any thread).
  void frames_done(int64_t frames) { frames_ += frames; }
  // Redraws the line (rate-limited; call from one thread).
  void draw(const std::string& current = {});
  // Clears the line (before printing something else to stderr, and at the end).
  void clear();

 private:
  size_t total_;
  bool enabled_;
  std::atomic<size_t> done_{0};
  std::atomic<int64_t> frames_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  bool drawn_ = false;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace vhm
