#include "pipeline/progress.h"

#include <unistd.h>

#include <cstdio>

namespace vhm {

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

ProgressLine::ProgressLine(size_t total_inputs, bool wanted)
    : total_(total_inputs), enabled_(wanted && ::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::input_done() { ++done_; }

void ProgressLine::draw(const std::string& current) {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const size_t done = done_;
  const double fps = elapsed > 0 ? frames_ / elapsed : 0;
  const double eta = done > 0 ? elapsed / done * (total_ - done) : -1;
  std::string name = current.size() > 40 ? "..." + current.substr(current.size() - 37) : current;
  std::fprintf(stderr, "\r\033[K[%zu/%zu] %.0f frames/s  elapsed %s  ETA %s  %s", done, total_, fps,
               format_duration(elapsed).c_str(), done > 0 ? format_duration(eta).c_str() : "?", name.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  if (drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

}  // namespace vhm
