// How many connections the HTTP front door serves at once, and how long a client may
// take (serve/http_connections.h applies them). Apart from the server's hashing slots.
#pragma once

#include <chrono>

namespace vhm::serve {

struct ConnectionLimits {
  int max_connections = 256;                        // beyond: 503 at once (--max-connections)
  std::chrono::milliseconds header_timeout{10000};  // a request's line and headers (--header-timeout)
  std::chrono::milliseconds read_timeout{10000};    // each wait for body bytes (--read-timeout)
  std::chrono::milliseconds write_timeout{60000};   // each wait to send the answer
  std::chrono::milliseconds keep_alive{2000};       // an idle keep-alive connection
  int max_requests_per_connection = 1000;
};

}  // namespace vhm::serve
