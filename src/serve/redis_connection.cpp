#include "serve/redis_connection.h"

#include <sys/time.h>

#include <charconv>

namespace vhm::serve {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The command's name, for error messages (never its arguments: they may be megabytes).
std::string command_name(const std::vector<std::string_view>& args) {
  return args.empty() ? std::string("(empty command)") : std::string(args.front());
}

}  // namespace

std::string RedisAddress::url() const {
  return "redis://" + host + ":" + std::to_string(port) + (db ? "/" + std::to_string(db) : "");
}

Result<RedisAddress> parse_redis_url(const std::string& url) {
  const std::string scheme = "redis://";
  const Status bad{StatusCode::kInvalidArgument, "expected redis://HOST[:PORT][/DB]", url};
  if (url.rfind(scheme, 0) != 0) return bad;
  std::string_view rest = std::string_view(url).substr(scheme.size());
  RedisAddress a;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (!parse_int(rest.substr(slash + 1), a.db) || a.db < 0) return bad;
    rest = rest.substr(0, slash);
  }
  if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(rest.substr(colon + 1), a.port) || a.port < 1 || a.port > 65535) return bad;
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad;
  a.host = std::string(rest);
  return a;
}

std::string reply_string(const redisReply* r) {
  if (!r) return {};
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  return {};
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::connect(const RedisAddress& address,
                                                                  std::chrono::milliseconds timeout) {
  redisContext* raw = redisConnectWithTimeout(address.host.c_str(), address.port, to_timeval(timeout));
  if (!raw) return Status{StatusCode::kUnavailable, "cannot allocate a connection", address.url()};
  std::unique_ptr<RedisConnection> conn(new RedisConnection(address, raw));
  if (raw->err) return Status{StatusCode::kUnavailable, std::string("cannot connect: ") + raw->errstr, address.url()};
  // Without a command timeout a silently dead server (no RST) would hang a worker forever.
  if (redisSetTimeout(raw, to_timeval(timeout)) != REDIS_OK)
    return Status{StatusCode::kUnavailable, "cannot set the command timeout", address.url()};
  if (address.db != 0) {
    const std::string db = std::to_string(address.db);
    if (auto r = conn->command({"SELECT", db}); !r) return r.status();
  }
  return conn;
}

Result<RedisReply> RedisConnection::command(const std::vector<std::string_view>& args) {
  if (broken_) return Status{StatusCode::kUnavailable, "connection lost earlier", address_.url()};
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  RedisReply reply(static_cast<redisReply*>(
      redisCommandArgv(context_.get(), static_cast<int>(args.size()), argv.data(), lens.data())));
  if (!reply) {
    // hiredis leaves the context unusable after any I/O or protocol error.
    broken_ = true;
    return Status{StatusCode::kUnavailable,
                  command_name(args) + ": connection lost (" + std::string(context_->errstr) + ")", address_.url()};
  }
  if (reply->type == REDIS_REPLY_ERROR)
    return Status{StatusCode::kInvalidArgument, command_name(args) + ": " + reply_string(reply.get()), address_.url()};
  return reply;
}

}  // namespace vhm::serve
