// SIGINT and SIGTERM delivered as a plain function call on a thread of its own, so
// that a daemon can stop gracefully with code that is not async-signal-safe (closing
// sockets, joining workers, logging).
//
// Blocking the signals and waiting for them (sigwait) is not enough: libraries start
// threads before main() runs (OpenBLAS starts its pool from a constructor), those
// threads leave the signals unblocked, and the kernel may hand the signal to one of
// them, whose default action ends the process. So a real handler is installed; it only
// writes the signal number to a pipe (async-signal-safe), and the watcher thread reads it.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace vhm::serve {

class StopSignals {
 public:
  // Called with the signal's name ("SIGTERM") and how many stop signals have arrived
  // so far (1 for the first).
  using Handler = std::function<void(const char* name, int count)>;

  // Installs the handlers (one StopSignals at a time per process) and starts the
  // watcher, which calls `handler` for each signal that arrives.
  explicit StopSignals(Handler handler);
  // Restores the previous handlers and stops the watcher.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void watch();

  Handler handler_;
  int pipe_[2] = {-1, -1};
  struct sigaction old_int_ {
  }, old_term_{};
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace vhm::serve
