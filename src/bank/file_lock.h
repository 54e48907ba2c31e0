// An flock() on a file in the bank directory, released (with the file closed) when
// destroyed. The kernel releases it too when the process dies, however it dies: that is
// what makes writer.lock a crash detector (a marker whose lock is free was left by a
// dead writer).
#pragma once

#include <string>
#include <utility>

#include "core/status.h"

namespace vhm {

class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock& operator=(FileLock&& o) noexcept {
    release();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~FileLock() { release(); }

  // Waits up to timeout_ms (0: does not wait); kUnavailable when still held elsewhere.
  static Result<FileLock> acquire(const std::string& path, int timeout_ms);

 private:
  void release();
  int fd_ = -1;
};

}  // namespace vhm
