#include "serve/stop_signals.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace vhm::serve {
namespace {

// The pipe's write end, for the signal handler: a signal handler can reach nothing but
// globals. -1 while no StopSignals exists.
std::atomic<int> g_signal_pipe{-1};

void on_stop_signal(int sig) {
  const int saved_errno = errno;  // the interrupted code may be about to read errno
  const int fd = g_signal_pipe.load();
  if (fd >= 0) {
    const unsigned char b = static_cast<unsigned char>(sig);
    [[maybe_unused]] const ssize_t n = ::write(fd, &b, 1);  // full pipe: a stop is pending already
  }
  errno = saved_errno;
}

}  // namespace

StopSignals::StopSignals(Handler handler) : handler_(std::move(handler)) {
  // Without a pipe (no file descriptors left) the signals keep their default action:
  // the process ends at once rather than never.
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    pipe_[0] = pipe_[1] = -1;
    return;
  }
  g_signal_pipe = pipe_[1];
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // other threads' system calls carry on
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
  watcher_ = std::thread([this] { watch(); });
}

StopSignals::~StopSignals() {
  if (!watcher_.joinable()) return;  // nothing was installed
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  g_signal_pipe = -1;
  done_ = true;
  if (watcher_.joinable()) watcher_.join();
  for (int fd : pipe_)
    if (fd >= 0) ::close(fd);
}

void StopSignals::watch() {
  int count = 0;
  pollfd p{pipe_[0], POLLIN, 0};
  // A timeout rather than a blocking wait: the destructor needs the thread back when
  // the daemon ends for another reason.
  while (!done_) {
    if (::poll(&p, 1, 100) <= 0) continue;
    unsigned char sig = 0;
    while (::read(pipe_[0], &sig, 1) == 1) {
      ++count;
      handler_(sig == SIGINT ? "SIGINT" : "SIGTERM", count);
    }
  }
}

}  // namespace vhm::serve
