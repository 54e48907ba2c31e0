// The vhm fetch tests' processes: the scripted exchange (vhm_fake_exchange) and a vhm
// child that a test can kill mid-run. Both are real processes on loopback, as the
// exchanges and vhm are to each other; every wait is on an event (a line the server
// prints for each request it answers), bounded by a deadline only so that a broken
// build fails instead of hanging.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace vhm::test {

class FakeExchange {
 public:
  // Writes `script` into `dir` (with any body files already there) and starts the
  // server on it; null (and a test failure) when it does not say it listens.
  static std::unique_ptr<FakeExchange> start(const std::filesystem::path& dir, const nlohmann::json& script) {
    const std::string path = (dir / "script.json").string();
    std::ofstream(path) << script.dump(1);
    std::unique_ptr<FakeExchange> f(new FakeExchange);
    int fds[2];
    if (::pipe(fds) != 0) return nullptr;
    f->pid_ = ::fork();
    if (f->pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execl(VHM_FAKE_EXCHANGE, VHM_FAKE_EXCHANGE, path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    f->fd_ = fds[0];
    const auto line = f->next_line(std::chrono::seconds(20));
    if (!line || line->rfind("listening ", 0) != 0) {
      ADD_FAILURE() << "vhm_fake_exchange did not start: " << line.value_or("(nothing)");
      return nullptr;
    }
    f->port_ = std::stoi(line->substr(10));
    return f;
  }

  ~FakeExchange() { stop(); }
  FakeExchange(const FakeExchange&) = delete;
  FakeExchange& operator=(const FakeExchange&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Reads request lines until one contains `needle`; nullopt when none did in time.
  std::optional<std::string> wait_for(const std::string& needle,
                                      std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto line = next_line(left);
      if (!line) return std::nullopt;
      if (line->find(needle) != std::string::npos) return line;
    }
  }

  // Every request line printed so far. The server prints a line before it answers, so
  // once a client has had its answers, their lines are all here.
  const std::vector<std::string>& requests() {
    while (next_line(std::chrono::seconds(0))) {
    }
    return lines_;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  FakeExchange() = default;

  std::optional<std::string> next_line(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (line.rfind("listening ", 0) != 0) lines_.push_back(line);
        return line;
      }
      if (fd_ < 0) return std::nullopt;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count()))) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  int port_ = 0;
  std::string buffer_;
  std::vector<std::string> lines_;
};

// A vhm child run with extra environment, its stdout and stderr in files; killed and
// reaped by the destructor if still running.
class VhmChild {
 public:
  VhmChild(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::filesystem::path& dir)
      : out_((dir / "child.out").string()), err_((dir / "child.err").string()) {
    pid_ = ::fork();
    if (pid_ == 0) {
      for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
      ::dup2(::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
      ::dup2(::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
      std::vector<char*> argv{const_cast<char*>(VHM_BINARY)};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(VHM_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~VhmChild() { kill(); }
  VhmChild(const VhmChild&) = delete;
  VhmChild& operator=(const VhmChild&) = delete;

  // SIGKILL: no handler runs, no buffer is flushed, as when a machine loses power.
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string err() const { return read_text_file(err_); }

 private:
  pid_t pid_ = -1;
  std::string out_, err_;
};

// A --config file for `exchange` at the server, with quick retries (the waits a real
// exchange asks for are tested through Retry-After).
inline std::string write_exchange_config(const std::filesystem::path& dir, const std::string& exchange,
                                         const std::string& base_url,
                                         nlohmann::json settings = nlohmann::json::object()) {
  settings["base_url"] = base_url;
  const nlohmann::json config = {{exchange, settings}, {"http", {{"attempts", 4}, {"first_delay_ms", 20}}}};
  const std::string path = (dir / (exchange + ".json")).string();
  std::ofstream(path) << config.dump();
  return path;
}

// 64 hex digits of well-spread bits for record i: any two are ~128 bits apart, so no
// two match within PDQ's 31.
inline std::string spread_pdq_hex(int i) {
  uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1);
  std::string hex;
  for (int w = 0; w < 4; ++w) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
    hex += buf;
  }
  return hex;
}

// A fresh directory with an empty bank per test, and lookups against it.
class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vhm_exchange_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    bank_ = (dir_ / "bank").string();
    ASSERT_EQ(run_vhm("bank create " + bank_).exit_code, 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // vhm match --hashes on typed lines ("pdq <hex>", "video_md5 <hex>"): each line's "match".
  std::vector<bool> matches(const std::string& lines) {
    const std::string list = (dir_ / "query.txt").string();
    std::ofstream(list) << lines;
    const auto r = run_vhm("match --bank " + bank_ + " --hashes " + list);
    std::vector<bool> out;
    for (const auto& l : json_lines(r.out)) out.push_back(l.value("match", false));
    return out;
  }

  std::filesystem::path dir_;
  std::string bank_;
};

// The last JSON line of a command's stdout (vhm fetch's summary).
inline nlohmann::json last_json_line(const std::string& out) {
  const auto lines = json_lines(out);
  return lines.empty() ? nlohmann::json() : lines.back();
}

}  // namespace vhm::test
