// One connection to Redis (hiredis), RAII: the context is freed with the object and
// every reply with its RedisReply. Commands go as argument vectors, so values are
// binary-safe (a job's `media` field is raw video bytes).
//
// Errors are vhm Status values naming the server and the command. A transport error
// (connection refused, reset, timed out) is kUnavailable and leaves the connection
// broken() for good: the caller drops it and connects again. A reply of type error
// ("ERR ...", "BUSYGROUP ...") is kInvalidArgument and the connection stays usable.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vhm::serve {

// redis://HOST[:PORT][/DB] (PORT 6379, DB 0 when absent).
struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string url() const;  // normalised, for logs
};
Result<RedisAddress> parse_redis_url(const std::string& url);

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, ReplyDeleter>;

// A reply element's bytes (string, status or error replies); empty for others.
std::string reply_string(const redisReply* r);

class RedisConnection {
 public:
  // Connects (within `timeout`), selects the database, and sets `timeout` as the
  // command timeout too: a blocking command's BLOCK must stay below it.
  static Result<std::unique_ptr<RedisConnection>> connect(const RedisAddress& address,
                                                          std::chrono::milliseconds timeout);
  ~RedisConnection() = default;
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command. Error replies and transport errors are errors (see above).
  Result<RedisReply> command(const std::vector<std::string_view>& args);
  bool broken() const { return broken_; }
  const RedisAddress& address() const { return address_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  RedisConnection(RedisAddress address, redisContext* c) : address_(std::move(address)), context_(c) {}

  RedisAddress address_;
  std::unique_ptr<redisContext, ContextDeleter> context_;
  bool broken_ = false;
};

}  // namespace vhm::serve
