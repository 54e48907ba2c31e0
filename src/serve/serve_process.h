// `vhm serve` run as a child process, for whoever needs a live daemon to talk to
// (`vhm bench serve --bank`, the tests): started on a port of its choosing, waited for
// until its start line says where it listens, stopped with SIGTERM. RAII: a
// ServeProcess that goes out of scope stops its child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace vhm::serve {

class ServeProcess {
 public:
  // Runs `program` (the vhm binary) with `args` (e.g. {"serve", "--bank", DIR, "--port",
  // "0"}), its stdout and stderr captured, and waits up to `timeout` for the line
  // "serving http://HOST:PORT". Fails, quoting what the child wrote, when it exits or
  // the time runs out first.
  static Result<std::unique_ptr<ServeProcess>> start(const std::string& program, const std::vector<std::string>& args,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string url() const;

  // Sends SIGTERM and waits for the exit: its exit code, or 128 + the signal that
  // killed it. After `timeout` it is killed (SIGKILL) and the result is an error.
  Result<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Waits until the child has written `occurrences` complete lines containing `text`;
  // false when it ends or the time runs out first.
  bool wait_for_lines(const std::string& text, int occurrences, std::chrono::milliseconds timeout);

  // What the child wrote so far (stdout and stderr; the last 1 MiB).
  std::string output() const;

 private:
  ServeProcess() = default;
  void read_output(int fd);
  bool wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout, std::string& line);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::string host_;
  int port_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool output_closed_ = false;
};

}  // namespace vhm::serve
