// The HTTP front door's connections, guarded against slow and idle clients.
//
// cpp-httplib serves each connection on a thread of its task queue, reading with a
// timeout per recv() only: eight clients sending a byte every few seconds held all
// eight threads, and /v1/health went unanswered for as long as they liked. Here:
//   - connections have threads of their own (up to ConnectionLimits::max_connections),
//     apart from the work they ask for: hashing is bounded by the server's own slots
//     (server.cpp), so an idle or slow connection costs a parked thread, never a
//     hashing worker;
//   - a request's line and headers must arrive within header_timeout of its first
//     byte being awaited (a slow-loris client is cut off), each body read may wait
//     read_timeout, an idle keep-alive connection is closed after keep_alive;
//   - past max_connections a new connection is answered 503 at once and closed,
//     rather than queued behind the others;
//   - waiting is poll(), never a busy loop (httplib polls idle keep-alive sockets every
//     10 ms).
// Only the reading and the connection loop are ours; request parsing, routing and
// responses remain httplib's (Server::process_request).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include "serve/connection_limits.h"

namespace vhm::serve {

struct ConnectionCounters {
  std::atomic<int64_t> open{0};  // connections being served now
  std::atomic<int64_t> accepted{0};
  std::atomic<int64_t> refused{0};    // over max_connections: answered 503
  std::atomic<int64_t> timed_out{0};  // cut for a request too slow to arrive
};

class GuardedHttpServer : public httplib::Server {
 public:
  explicit GuardedHttpServer(const ConnectionLimits& limits);

  const ConnectionCounters& counters() const { return counters_; }
  const ConnectionLimits& limits() const { return limits_; }

  // After binding: a listen backlog for bursts of connections (httplib listens with a
  // backlog of 5, so the 6th of a burst waited for a SYN retry: 1 s, 3 s, 7 s ...).
  void widen_backlog();

  // From a handler: the request's headers are in (the header deadline no longer
  // applies; body reads get read_timeout each). Called by the pre-routing handler.
  static void headers_received();
  // From a handler: close the connection once the response is written (say, a 413
  // sent before the body it refuses was read).
  static void close_after_response();

 private:
  class Queue;
  bool process_and_close_socket(socket_t sock) override;
  void refuse(socket_t sock);
  static void linger(socket_t sock);

  const ConnectionLimits limits_;
  ConnectionCounters counters_;
  // The connection threads' queue, made by httplib's listen() through new_task_queue
  // and owned by httplib (deleted when listen() returns, after the last connection).
  Queue* queue_ = nullptr;
};

}  // namespace vhm::serve
