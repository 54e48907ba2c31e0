#include "serve/http_connections.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vhm::serve {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kLinger{2000};  // see GuardedHttpServer::linger

// Waits until `sock` is readable (POLLIN) or writable (POLLOUT), at most `wait`.
bool wait_for(socket_t sock, short events, milliseconds wait) {
  const auto until = Clock::now() + wait;
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
    pollfd p{sock, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left)));
    if (rc > 0) return true;  // readable, or an error/hang-up that the next recv() reports
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char host[NI_MAXHOST] = {}, service[NI_MAXSERV] = {};
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

// One connection's stream: buffered reads with the request's deadlines, writes with a
// timeout. One object serves every request of the connection, so that bytes of a
// pipelined next request already read are not lost.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, const ConnectionLimits& limits) : sock_(sock), limits_(limits) {}

  // A new request: its line and headers are due within header_timeout from now.
  void start_request() {
    header_deadline_ = Clock::now() + limits_.header_timeout;
    headers_done_ = false;
  }
  void headers_done() { headers_done_ = true; }
  void request_close() { close_requested_ = true; }
  bool close_requested() const { return close_requested_; }
  bool timed_out() const { return timed_out_; }
  bool has_buffered() const { return pos_ < len_; }

  bool is_readable() const override { return has_buffered() || wait_for(sock_, POLLIN, read_wait()); }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, limits_.write_timeout); }

  ssize_t read(char* ptr, size_t size) override {
    if (has_buffered()) return take(ptr, size);
    if (!wait_for(sock_, POLLIN, read_wait())) {
      timed_out_ = true;
      return -1;
    }
    if (size >= sizeof buffer_) return receive(ptr, size);
    const ssize_t n = receive(buffer_, sizeof buffer_);
    if (n <= 0) return n;
    pos_ = 0;
    len_ = static_cast<size_t>(n);
    return take(ptr, size);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(sock_, false, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  // Headers: whatever is left before their deadline; the body: read_timeout per read.
  milliseconds read_wait() const {
    if (headers_done_) return limits_.read_timeout;
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(header_deadline_ - Clock::now()));
  }
  ssize_t take(char* ptr, size_t size) {
    const size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t receive(char* ptr, size_t size) {
    ssize_t n;
    do n = ::recv(sock_, ptr, size, 0);
    while (n < 0 && errno == EINTR);
    return n;
  }

  const socket_t sock_;
  const ConnectionLimits& limits_;
  Clock::time_point header_deadline_ = Clock::now();
  bool headers_done_ = false;
  bool close_requested_ = false;
  bool timed_out_ = false;
  char buffer_[4096];
  size_t pos_ = 0, len_ = 0;
};

// The stream of the request this thread is serving (for the handlers' hooks).
thread_local DeadlineStream* t_stream = nullptr;
// Set on the thread that answers connections over the limit.
thread_local bool t_refusing = false;
// Set once this thread's connection has given its slot back (before its close).
thread_local bool t_slot_released = false;

}  // namespace

// Connection threads, grown on demand up to max_connections, plus one thread that
// turns away what comes beyond. httplib's accept loop calls enqueue() with a task
// that serves one socket (process_and_close_socket); shutdown() joins them all once
// the listening socket is closed, so requests in flight are answered.
class GuardedHttpServer::Queue final : public httplib::TaskQueue {
 public:
  explicit Queue(int max_connections) : max_(static_cast<size_t>(std::max(1, max_connections))) {
    refuser_ = std::thread([this] {
      t_refusing = true;
      run(refusals_);
    });
  }
  ~Queue() override { shutdown(); }

  // The calling connection thread's slot is free again. Called before the socket is
  // closed: a client that sees the close and connects again at once must find the slot
  // free, not be refused by a thread that has not returned yet.
  void release_slot() {
    std::lock_guard lock(mutex_);
    if (t_slot_released || t_refusing) return;
    t_slot_released = true;
    --busy_;
  }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    if (busy_ + jobs_.size() >= max_) {
      refusals_.push_back(std::move(fn));
    } else {
      jobs_.push_back(std::move(fn));
      // Every waiting connection needs a thread of its own: idle threads each take one,
      // the rest get new threads (a connection left queued would wait for another one,
      // a keep-alive connection, to end).
      if (jobs_.size() > idle_ && workers_.size() < max_) workers_.emplace_back([this] { run(jobs_); });
    }
    wake_.notify_all();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    refuser_.join();
  }

 private:
  void run(std::deque<std::function<void()>>& queue) {
    const bool counted = &queue == &jobs_;
    std::unique_lock lock(mutex_);
    while (true) {
      if (counted) ++idle_;
      wake_.wait(lock, [&] { return !queue.empty() || stopping_; });
      if (counted) --idle_;
      if (queue.empty()) return;  // stopping, and nothing left to serve
      std::function<void()> fn = std::move(queue.front());
      queue.pop_front();
      if (counted) ++busy_;
      t_slot_released = false;
      lock.unlock();
      fn();
      lock.lock();
      if (counted && !t_slot_released) --busy_;
    }
  }

  const size_t max_;
  // Lock order: mutex_ only (no other lock is taken while it is held).
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_, refusals_;
  std::vector<std::thread> workers_;
  std::thread refuser_;
  size_t idle_ = 0, busy_ = 0;
  bool stopping_ = false;
};

GuardedHttpServer::GuardedHttpServer(const ConnectionLimits& limits) : limits_(limits) {
  new_task_queue = [this] {
    queue_ = new Queue(limits_.max_connections);
    return queue_;
  };
}

void GuardedHttpServer::widen_backlog() {
  // listen() again on a listening socket only changes its backlog (Linux).
  if (svr_sock_ != INVALID_SOCKET) ::listen(svr_sock_, SOMAXCONN);
}

void GuardedHttpServer::headers_received() {
  if (t_stream) t_stream->headers_done();
}

void GuardedHttpServer::close_after_response() {
  if (t_stream) t_stream->request_close();
}

void GuardedHttpServer::refuse(socket_t sock) {
  ++counters_.refused;
  const std::string body = "{\"error\":\"too many connections (more than --max-connections " +
                           std::to_string(limits_.max_connections) + "); try again\"}";
  const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  if (wait_for(sock, POLLOUT, milliseconds(100))) {
    [[maybe_unused]] const ssize_t n = ::send(sock, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// After an answer sent before the request's body was read (a 413 from the header): the
// client may still be sending, and closing now would reset the connection before it
// reads the answer. So: end our side, then read and drop what still comes, for a
// bounded time, as web servers' lingering close does.
void GuardedHttpServer::linger(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto until = Clock::now() + kLinger;
  char sink[1 << 16];
  while (Clock::now() < until) {
    if (!wait_for(sock, POLLIN, std::chrono::duration_cast<milliseconds>(until - Clock::now()))) break;
    const ssize_t n = ::recv(sock, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  if (t_refusing) {
    refuse(sock);
    return true;
  }
  ++counters_.open;
  ++counters_.accepted;
  DeadlineStream stream(sock, limits_);
  bool ok = true;
  for (int n = 0; n < limits_.max_requests_per_connection && svr_sock_ != INVALID_SOCKET; ++n) {
    stream.start_request();
    // The first request is due within the header timeout; later ones may idle for the
    // keep-alive time before they start.
    if (!stream.has_buffered() && !wait_for(sock, POLLIN, n == 0 ? limits_.header_timeout : limits_.keep_alive)) {
      if (n == 0) ++counters_.timed_out;
      break;
    }
    if (n > 0) stream.start_request();
    bool connection_closed = false;
    t_stream = &stream;
    const bool last = n + 1 == limits_.max_requests_per_connection;
    ok = process_request(stream, last, connection_closed, nullptr);
    t_stream = nullptr;
    if (stream.timed_out()) ++counters_.timed_out;
    if (!ok || connection_closed || stream.close_requested() || stream.timed_out()) break;
  }
  if (stream.close_requested()) linger(sock);
  --counters_.open;
  if (queue_) queue_->release_slot();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace vhm::serve
