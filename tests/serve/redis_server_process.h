// A throwaway redis-server for the Redis worker tests: started as a child on a free
// port (redis cannot bind port 0 and report it, so a port is picked by binding a socket
// first), no persistence, stopped by the destructor (RAII).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "serve/redis_connection.h"
#include "support/test_support.h"

namespace vhm::test {

// The redis-server binary on PATH, or empty when it is not installed.
inline std::string find_redis_server() {
  const auto r = run_command("command -v redis-server");
  std::string path = r.exit_code == 0 ? r.out : std::string();
  while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
  return path;
}

// A loopback port that is bound but never listened on, held for the object's life: a
// connection to it is refused, and nobody else can take the port meanwhile (a port
// merely free when asked could be someone's by the time it is used).
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port_ = ntohs(a.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = -1;
};

class RedisServerProcess {
 public:
  // Null when it does not answer PING within 10 s. The port is one the kernel had free
  // a moment before; should another process take it first, this server fails to bind
  // and exits, and another port is tried. The server that answers is checked to be this
  // child (INFO's process_id), not someone else's on that port.
  static std::unique_ptr<RedisServerProcess> start(const std::string& binary) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      std::unique_ptr<RedisServerProcess> p(new RedisServerProcess);
      {
        RefusingPort probe;
        p->port_ = probe.port();
      }
      const std::string port = std::to_string(p->port_);
      p->pid_ = ::fork();
      if (p->pid_ == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
        ::execl(binary.c_str(), binary.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", static_cast<char*>(nullptr));
        ::_exit(127);
      }
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(p->pid_, &status, WNOHANG) == p->pid_) {  // exited: the port was taken
          p->pid_ = -1;
          break;
        }
        if (auto c = p->connect(); c) {
          auto info = (*c)->command({"INFO", "server"});
          if (info && serve::reply_string(info->get()).find("process_id:" + std::to_string(p->pid_) + "\r") !=
                          std::string::npos)
            return p;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    return nullptr;
  }
  ~RedisServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  Result<std::unique_ptr<serve::RedisConnection>> connect() const {
    return serve::RedisConnection::connect({"127.0.0.1", port_, 0}, std::chrono::seconds(5));
  }

 private:
  RedisServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = -1;
};

}  // namespace vhm::test
