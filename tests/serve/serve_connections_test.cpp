// vhm serve against slow, idle and oversized clients (serve/http_connections.h): raw
// sockets on loopback playing the attacker, the built daemon on a temporary bank.
// Every wait is for an event (an answer, a close) with a generous bound, never a speed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "serve/serve_test_util.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool eventually(const std::function<bool()>& done, seconds bound = seconds(30)) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return done();
}

// One TCP connection to the daemon.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Everything the daemon sends until it closes, or until `bound` passes.
  std::string read_until_closed(seconds bound = seconds(30)) {
    std::string got;
    const auto until = Clock::now() + bound;
    while (Clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  bool closed() const { return closed_; }
  // Whether the daemon has closed the connection by now (without waiting).
  bool closed_now() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

int status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ")) return 0;
  return std::atoi(response.c_str() + 9);
}

json body_of(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? json() : json::parse(response.substr(at + 4), nullptr, false);
}

// A whole request on a fresh connection, the answer read to the close.
std::string request(int port, const std::string& text) {
  Conn c(port);
  if (!c.connected() || !c.send(text)) return {};
  return c.read_until_closed();
}

std::string get_close(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}

class ServeConnections : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    auto corpus = test::corpus_dir();
    if (!corpus) {
      VHM_SKIP_WITHOUT_CORPUS();
    }
    bank_ = test::make_doorknob_bank(*corpus, "connections");
    ASSERT_FALSE(bank_.empty());
  }
  void TearDown() override {
    daemon_.reset();
    if (!bank_.empty()) fs::remove_all(bank_);
  }
  void start(std::vector<std::string> args) {
    daemon_ = test::start_serve(bank_, std::move(args));
    ASSERT_NE(daemon_, nullptr);
  }
  int port() const { return daemon_->port(); }
  json stats() { return body_of(request(port(), get_close("/v1/stats"))); }

  std::string bank_;
  std::unique_ptr<serve::ServeProcess> daemon_;
};

// Eight clients sending a request a byte at a time and 200 idle connections held the
// daemon's 8 threads: /v1/health went unanswered for 40 s. Now health is answered
// while every one of them is still connected.
TEST_F(ServeConnections, SlowAndIdleClientsDoNotStallHealth) {
  start({"--threads", "8", "--header-timeout", "600"});
  std::vector<std::unique_ptr<Conn>> slow, idle;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<Conn>(port()));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->send("P"));  // "POST /v1/match ..." begun, never finished
  }
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<Conn>(port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  // The daemon has taken all of them before health is asked (each is a thread of its).
  ASSERT_TRUE(eventually([&] { return stats()["connections"]["open"].get<int>() >= 208 + 1; })) << stats().dump();
  const std::string health = request(port(), get_close("/v1/health"));
  EXPECT_EQ(status_of(health), 200) << health;
  for (auto& c : slow) EXPECT_TRUE(c->send("O")) << "a slow client was dropped";
  for (auto& c : slow) EXPECT_FALSE(c->closed_now());
  for (auto& c : idle) EXPECT_FALSE(c->closed_now());
}

// A request line and headers that never finish arriving are cut at --header-timeout,
// however steadily the bytes trickle in.
TEST_F(ServeConnections, HeadersThatTrickleAreCutAtTheHeaderTimeout) {
  start({"--header-timeout", "1"});
  Conn loris(port());
  ASSERT_TRUE(loris.connected());
  const std::string line = "GET /v1/health HTTP/1.1\r\nX-Slow: ";
  bool cut = false;
  const auto until = Clock::now() + seconds(30);
  for (size_t i = 0; Clock::now() < until; ++i) {
    if (!loris.send(std::string(1, i < line.size() ? line[i] : 'a')) || loris.closed_now()) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(cut) << "the connection was still open after 30 s of trickled headers";
  EXPECT_GE(stats()["connections"]["timed_out"].get<int>(), 1);
}

// A Content-Length larger than the body: the read gives up after --read-timeout with a
// 400 and the connection closes; a worker is never held for it.
TEST_F(ServeConnections, ABodyShorterThanItsLengthIsA400AfterTheReadTimeout) {
  start({"--read-timeout", "1"});
  Conn c(port());
  ASSERT_TRUE(c.send("POST /v1/match HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789"));
  const std::string health = request(port(), get_close("/v1/health"));
  EXPECT_EQ(status_of(health), 200) << health;
  const std::string answer = c.read_until_closed();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_TRUE(body_of(answer).contains("error")) << answer;
}

// A body declared over --max-body-mb is refused from its header: the 413 arrives
// while not one byte of the body has been sent.
TEST_F(ServeConnections, AnOversizedBodyGets413BeforeItIsSent) {
  start({"--max-body-mb", "4"});
  Conn c(port());
  ASSERT_TRUE(c.send("POST /v1/match HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"));
  const std::string answer = c.read_until_closed();
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_NE(body_of(answer).value("error", "").find("--max-body-mb"), std::string::npos) << answer;
  // The same with "Expect: 100-continue", as curl sends it for large uploads.
  Conn e(port());
  ASSERT_TRUE(
      e.send("POST /v1/match HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n"));
  const std::string expected = e.read_until_closed(seconds(10));
  EXPECT_EQ(status_of(expected), 413) << expected;
}

// Beyond --max-connections a connection is answered 503 at once, not queued; once a
// held connection goes, new ones are served again.
TEST_F(ServeConnections, ConnectionsBeyondTheLimitGet503AtOnce) {
  start({"--max-connections", "2", "--header-timeout", "600"});
  auto a = std::make_unique<Conn>(port());
  ASSERT_TRUE(a->connected());
  // `a` is being served (open: a and this stats request).
  ASSERT_TRUE(eventually([&] { return stats().value("connections", json::object()).value("open", 0) == 2; }));
  // The stats connection gave its slot back before its close reached us (the next
  // test): b takes the second, and a and b hold both.
  Conn b(port());
  ASSERT_TRUE(b.connected());
  std::string refused;
  ASSERT_TRUE(eventually([&] {
    refused = request(port(), get_close("/v1/health"));
    return status_of(refused) == 503;
  })) << refused;
  EXPECT_NE(body_of(refused).value("error", "").find("--max-connections"), std::string::npos) << refused;
  a.reset();
  std::string served;
  ASSERT_TRUE(eventually([&] {
    served = request(port(), get_close("/v1/health"));
    return status_of(served) == 200;
  })) << served;
  EXPECT_GE(stats()["connections"]["refused"].get<int>(), 1);
}

// A connection's slot is free again by the time its client sees the close: clients that
// reconnect at once, one after another, are never refused at the limit. (The slot was
// given back only after the close, so a quick reconnect could find it still taken and
// get a 503 with no other client around.)
TEST_F(ServeConnections, AClientReconnectingAfterACloseIsNeverRefused) {
  start({"--max-connections", "1"});
  for (int i = 0; i < 200; ++i) {
    const std::string answer = request(port(), get_close("/v1/health"));
    ASSERT_EQ(status_of(answer), 200) << "request " << i << ":\n" << answer;
  }
  EXPECT_EQ(stats()["connections"]["refused"].get<int>(), 0);
}

}  // namespace
}  // namespace vhm
