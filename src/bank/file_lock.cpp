#include "bank/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace vhm {

Result<FileLock> FileLock::acquire(const std::string& path, int timeout_ms) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status(StatusCode::kIoError, std::string("cannot open lock file: ") + std::strerror(errno), path);
  FileLock lock;
  lock.fd_ = fd;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return Status(StatusCode::kIoError, std::string("flock: ") + std::strerror(errno), path);
    if (std::chrono::steady_clock::now() >= deadline)
      return Status(StatusCode::kUnavailable, "locked by another process (timed out waiting)", path);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return lock;
}

void FileLock::release() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace vhm
