#include "serve/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

extern char** environ;

namespace vhm::serve {
namespace {

constexpr size_t kOutputKept = size_t{1} << 20;

// The exit code as a shell reports it: the code, or 128 + the signal.
int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<std::unique_ptr<ServeProcess>> ServeProcess::start(const std::string& program,
                                                          const std::vector<std::string>& args,
                                                          std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status(StatusCode::kIoError, std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with no signal blocked and SIGINT/SIGTERM at their defaults, so
  // that it can be stopped whatever this process did with them.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Status(StatusCode::kUnavailable, std::string("cannot start: ") + std::strerror(rc), program);
  }

  std::unique_ptr<ServeProcess> p(new ServeProcess());
  p->pid_ = pid;
  p->reader_ = std::thread([raw = p.get(), fd = fds[0]] { raw->read_output(fd); });
  std::string line;
  if (!p->wait_for_line("serving http://", timeout, line)) {
    const bool ended = [&] {
      std::lock_guard lock(p->mutex_);
      return p->output_closed_;
    }();
    (void)p->stop(std::chrono::seconds(5));
    return Status(StatusCode::kUnavailable,
                  std::string(ended ? "vhm serve ended before it listened" : "vhm serve did not listen in time") +
                      "; it wrote: " + p->output(),
                  program);
  }
  static const std::regex kAddress(R"(serving http://(\[[^\]]+\]|[^ :/]+):(\d+))");
  std::smatch m;
  if (!std::regex_search(line, m, kAddress)) {
    (void)p->stop(std::chrono::seconds(5));
    return Status(StatusCode::kInternal, "cannot read the address in its start line: " + line, program);
  }
  p->host_ = m[1].str();
  if (p->host_.size() > 2 && p->host_.front() == '[') p->host_ = p->host_.substr(1, p->host_.size() - 2);
  p->port_ = std::stoi(m[2].str());
  return p;
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0 && !reaped_) (void)stop(std::chrono::seconds(30));
  if (reader_.joinable()) reader_.join();
}

std::string ServeProcess::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

void ServeProcess::read_output(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    output_.append(buf, static_cast<size_t>(n));
    if (output_.size() > kOutputKept) output_.erase(0, output_.size() - kOutputKept);
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  output_closed_ = true;
  changed_.notify_all();
}

bool ServeProcess::wait_for_lines(const std::string& text, int occurrences, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto seen = [&] {
    int n = 0;
    for (size_t at = output_.find(text); at != std::string::npos; at = output_.find(text, at + text.size()))
      if (output_.find('\n', at) != std::string::npos) ++n;
    return n >= occurrences;
  };
  return changed_.wait_for(lock, timeout, [&] { return seen() || output_closed_; }) && seen();
}

bool ServeProcess::wait_for_line(const std::string& prefix, std::chrono::milliseconds timeout, std::string& line) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t at = output_.find(prefix);
    if (at != std::string::npos) {
      const size_t end = output_.find('\n', at);
      if (end != std::string::npos) {
        line = output_.substr(at, end - at);
        return true;
      }
    }
    if (output_closed_) return false;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return false;
  }
}

Result<int> ServeProcess::stop(std::chrono::milliseconds timeout) {
  if (reaped_) return exit_code_;
  if (pid_ <= 0) return Status(StatusCode::kInternal, "no child to stop");
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) return Status(StatusCode::kInternal, std::string("waitpid: ") + std::strerror(errno));
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      exit_code_ = exit_code_of(status);
      return Status(StatusCode::kUnavailable,
                    "vhm serve did not stop within " + std::to_string(timeout.count()) + " ms of SIGTERM (killed)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reaped_ = true;
  exit_code_ = exit_code_of(status);
  return exit_code_;
}

std::string ServeProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

}  // namespace vhm::serve
