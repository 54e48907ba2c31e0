#include "serve/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <semaphore>
#include <span>
#include <string_view>
#include <thread>

#include "core/json_text.h"
#include "match/hash_list.h"
#include "match/match_json.h"
#include "pipeline/inputs.h"
#include "serve/bank_routes.h"
#include "serve/http_connections.h"
#include "serve/http_reply.h"
#include "serve/json_log.h"
#include "serve/media_input.h"
#include "serve/serve_metrics.h"
#include "signal/signal_registry.h"

namespace vhm::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// When the request this connection's thread is handling had its headers in (httplib
// runs a request's routing, handler and logger on one thread); unset before that.
thread_local std::optional<Clock::time_point> request_started;

// Reason phrases for the statuses httplib answers by itself (before any route runs).
const char* status_text(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "no such endpoint (see GET /v1/health, POST /v1/match, POST /v1/lookup, GET /v1/stats, GET /metrics, "
             "GET /v1/banks)";
    case 405:
      return "method not allowed";
    case 413:
      return "request body too large";
    case 414:
      return "request URI too long";
    case 416:
      return "bad range";
    case 500:
      return "internal error";
    default:
      return "error";
  }
}

// A query flag: absent -> `fallback`; 1/true/yes or 0/false/no; anything else nullopt.
std::optional<bool> flag_param(const httplib::Request& req, const char* key, bool fallback) {
  if (!req.has_param(key)) return fallback;
  const std::string v = req.get_param_value(key);
  if (v == "1" || v == "true" || v == "yes" || v.empty()) return true;
  if (v == "0" || v == "false" || v == "no") return false;
  return std::nullopt;
}

// Per whole-content signal: the live contents holding it and the values stored.
json signal_counts_json(const BankStats& st) {
  json j = json::object();
  for (const BankStats::SignalCount& c : st.signals)
    j[std::string(signal_name(c.signal))] = {{"contents", c.contents}, {"values", c.values}};
  return j;
}

json bank_stats_json(const BankStats& st) {
  return {{"path", st.path},
          {"generation", st.generation},
          {"contents_live", st.contents_live},
          {"contents_removed", st.contents_removed},
          {"video_contents", st.video_contents},
          {"image_contents", st.image_contents},
          {"pdq_contents", st.image_contents},  // the older name, kept for scripts
          {"frames_live", st.frames_live},
          {"frames_total", st.frames_total},
          {"database_bytes", st.database_bytes},
          {"index_cache_bytes", st.index_cache_bytes},
          {"index", index_info_json(st.index)},
          {"signals", signal_counts_json(st)},
          {"checkpoints", st.checkpoints}};
}

// Counts a request while its handler runs.
class InFlight {
 public:
  explicit InFlight(std::atomic<int64_t>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int64_t>& n_;
};

}  // namespace

// Holds one of the server's hashing slots while it lives, counted in `busy`.
class HashingSlot {
 public:
  HashingSlot(std::counting_semaphore<>& slots, std::atomic<int64_t>& busy) : slots_(slots), busy_(busy) {
    slots_.acquire();
    ++busy_;
  }
  ~HashingSlot() {
    --busy_;
    slots_.release();
  }
  HashingSlot(const HashingSlot&) = delete;
  HashingSlot& operator=(const HashingSlot&) = delete;

 private:
  std::counting_semaphore<>& slots_;
  std::atomic<int64_t>& busy_;
};

// A request admitted to /v1/match or /v1/lookup (ServerOptions::max_queue): counted in
// `admitted` for its whole life (taken by the admission check itself, so two requests
// cannot both take the last place), and in `waiting` until it is in a hashing slot.
class QueuePlace {
 public:
  QueuePlace(std::atomic<int64_t>& admitted, std::atomic<int64_t>& waiting) : admitted_(admitted), waiting_(&waiting) {
    ++*waiting_;
  }
  ~QueuePlace() {
    leave();
    --admitted_;
  }
  QueuePlace(const QueuePlace&) = delete;
  QueuePlace& operator=(const QueuePlace&) = delete;
  void leave() {
    if (waiting_) --*waiting_;
    waiting_ = nullptr;
  }

 private:
  std::atomic<int64_t>& admitted_;
  std::atomic<int64_t>* waiting_;
};

struct Server::Impl {
  Bank& bank;
  const Matcher matcher;
  const ServerOptions options;
  GuardedHttpServer http;
  std::counting_semaphore<> hashing_slots;
  int bound_port = -1;
  const Clock::time_point started = Clock::now();

  // serve() and stop() meet through these two (see stop()).
  std::atomic<bool> serving{false};
  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;
  bool stop_sent = false;

  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> requests{0}, match_requests{0}, lookup_requests{0}, health_requests{0}, stats_requests{0};
  std::atomic<int64_t> client_errors{0}, server_errors{0};
  std::atomic<int64_t> frames_hashed{0}, codes_searched{0}, hashes_looked_up{0}, bytes_received{0};
  // Slots in use, requests waiting for one, requests turned away (429), and the time
  // slots were held (for Retry-After).
  std::atomic<int64_t> request_ids{0};
  std::atomic<int64_t> admitted{0}, hashing{0}, queued{0}, busy_refusals{0}, slot_uses{0}, slot_ns{0};
  ServeMetrics metrics;
  BankRoutes bank_routes;

  Impl(Bank& b, const MatchConfig& config, const ServerOptions& o)
      : bank(b),
        matcher(b, config),
        options(o),
        http(o.connections),
        hashing_slots(static_cast<std::ptrdiff_t>(std::max(1, o.threads))),
        bank_routes(b,
                    {o.bank_name.empty() ? std::filesystem::path(b.path()).filename().string() : o.bank_name,
                     o.write_token, o.reads_need_token, o.bank_hashing},
                    hashing_slots,
                    [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                           std::string& body) { return read_body(req, res, reader, body); }) {
    http.set_payload_max_length(options.max_body_bytes);
    // httplib writes a response's headers and body separately: with Nagle's algorithm
    // the body waits for the client's delayed ACK of the headers (40 ms on Linux).
    http.set_tcp_nodelay(true);
    // httplib's default also sets SO_REUSEPORT, which lets a second daemon bind the same
    // port and silently take half the connections: address reuse only.
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // The request's headers are in: from here body reads get the read timeout each,
    // and the header deadline no longer applies.
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      request_started = Clock::now();
      std::string id = usable_request_id(req.get_header_value("X-Request-Id"));
      if (id.empty()) id = "r-" + std::to_string(++request_ids);
      res.set_header("X-Request-Id", id);
      set_current_request_id(std::move(id));
      GuardedHttpServer::headers_received();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // "Expect: 100-continue" with a body over the limit: refused before it is sent.
    http.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (declared_length(req) > options.max_body_bytes) {
        too_large(res);
        return 413;
      }
      return 100;
    });

    http.Post("/v1/match", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) { handle_match(req, res, reader); });
    http.Post("/v1/lookup", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) { handle_lookup(req, res, reader); });
    http.Get("/v1/health", [this](const httplib::Request&, httplib::Response& res) { handle_health(res); });
    // Not counted in flight: in_flight would then always count the request reading it.
    http.Get("/v1/stats", [this](const httplib::Request&, httplib::Response& res) { reply(res, 200, stats_json()); });
    bank_routes.install(http);
    // The same numbers and the request families, for Prometheus (serve/serve_metrics.h).
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.status = 200;
      res.set_content(metrics.render(stats_json()), "text/plain; version=0.0.4; charset=utf-8");
    });
    // Whatever httplib answers by itself (404, a malformed request, a body over the
    // limit) still gets a JSON body.
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) reply_error(res, res.status, status_text(res.status));
    });
    http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("{} {}: internal error: {}", req.method, req.path, what);
      reply_error(res, 500, "internal error: " + what);
    });
    // Called once per answered request, whatever answered it.
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { count(req, res); });
  }

  void count(const httplib::Request& req, const httplib::Response& res) {
    struct ClearId {
      ~ClearId() { set_current_request_id({}); }
    } clear_id;  // after this request's last log line
    const double seconds =
        request_started ? std::chrono::duration<double>(Clock::now() - *request_started).count() : -1.0;
    request_started.reset();
    metrics.observe_request(req.path, res.status, seconds);
    ++requests;
    if (req.path == "/v1/match") ++match_requests;
    else if (req.path == "/v1/lookup") ++lookup_requests;
    else if (req.path == "/v1/health") ++health_requests;
    else if (req.path == "/v1/stats") ++stats_requests;
    if (res.status < 400) return;
    ++(res.status >= 500 ? server_errors : client_errors);
    std::string why = res.body;
    const json body = json::parse(res.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) why = body["error"].get<std::string>();
    if (why.size() > 300) why = why.substr(0, 300) + "...";
    spdlog::warn("[{}] {} {} -> {}: {}", current_request_id(), req.method, req.path, res.status, why);
  }

  // The Content-Length a request declares (0 when none or unreadable).
  static uint64_t declared_length(const httplib::Request& req) {
    if (!req.has_header("Content-Length")) return 0;
    const std::string v = req.get_header_value("Content-Length");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return 0;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
    return errno == ERANGE ? UINT64_MAX : n;
  }

  void too_large(httplib::Response& res) const {
    reply_error(res, 413,
                "request body larger than --max-body-mb (" + std::to_string(options.max_body_bytes >> 20) + " MiB)");
  }

  // The request body into `body`, within the size limit; false (with `res` set) when
  // there is none to use. Read through the content reader, not httplib's own buffer,
  // so that the limit also holds for chunked uploads, which carry no length up front.
  bool read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                 std::string& body) {
    if (req.is_multipart_form_data()) {
      reply_error(res, 400, "send the bytes as the request body (curl --data-binary @FILE), not as a multipart form");
      return false;
    }
    // Refused from the header, before a byte of the body is read (and the connection
    // closed after the answer: the unread body cannot be the next request).
    if (const uint64_t length = declared_length(req); length > options.max_body_bytes) {
      too_large(res);
      GuardedHttpServer::close_after_response();
      return false;
    } else if (length > 0) {
      body.reserve(length);
    }
    bool over_limit = false;
    const bool read = reader([&](const char* data, size_t n) {
      if (body.size() + n > options.max_body_bytes) {
        over_limit = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    bytes_received += static_cast<int64_t>(body.size());
    if (over_limit || res.status == 413) {
      too_large(res);
      GuardedHttpServer::close_after_response();
      return false;
    }
    if (!read) {
      reply_error(res, 400,
                  "could not read the request body (connection cut, a body shorter than its Content-Length, too slow "
                  "to arrive, or malformed chunked encoding)");
      GuardedHttpServer::close_after_response();
      return false;
    }
    if (body.empty()) {
      reply_error(res, 400, "empty body: POST the bytes (curl --data-binary @FILE)");
      return false;
    }
    return true;
  }

  // A place in the queue for a hashing slot, or null with the 429 answered: full. The
  // Retry-After is the queue's expected wait (mean slot time x queued / slots), >= 1 s.
  std::unique_ptr<QueuePlace> admit(httplib::Response& res) {
    // Admitted: in a slot or waiting for one; at most --threads + --max-queue at once.
    const int64_t capacity = std::max(1, options.threads) + static_cast<int64_t>(options.max_queue);
    if (admitted.fetch_add(1) >= capacity) {
      --admitted;
      ++busy_refusals;
      const int64_t uses = slot_uses.load();
      const double mean_s = uses > 0 ? static_cast<double>(slot_ns.load()) / 1e9 / static_cast<double>(uses) : 1.0;
      const double wait = mean_s * static_cast<double>(queued.load() + 1) / std::max(1, options.threads);
      res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, std::llround(std::ceil(wait)))));
      reply_error(res, 429,
                  "busy: " + std::to_string(hashing.load()) + " hashing, " + std::to_string(queued.load()) +
                      " waiting (--max-queue " + std::to_string(options.max_queue) + "); retry after Retry-After");
      GuardedHttpServer::close_after_response();  // its body is not read
      return nullptr;
    }
    return std::make_unique<QueuePlace>(admitted, queued);
  }

  // Runs fn in a hashing slot, leaving the queue once in it, and times the slot.
  template <typename Fn>
  auto in_slot(QueuePlace& place, Fn&& fn) {
    HashingSlot slot(hashing_slots, hashing);
    place.leave();
    const auto started = Clock::now();
    auto result = fn();
    slot_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
    ++slot_uses;
    return result;
  }

  void handle_match(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    InFlight counted(in_flight);
    auto place = admit(res);
    if (!place) return;
    const std::string kind_param = req.get_param_value("kind");
    bool kind_ok = true;
    const std::optional<InputKind> kind = parse_kind(kind_param, kind_ok);
    if (!kind_ok) return reply_error(res, 400, "kind must be image or video, not '" + kind_param + "'");
    const auto with_hashes = flag_param(req, "with_hashes", options.with_hashes);
    if (!with_hashes) return reply_error(res, 400, "with_hashes must be 1 or 0");
    std::string body;
    if (!read_body(req, res, reader, body)) return;

    // read_body() refused an empty body, which media_input() requires.
    const Input input = media_input(std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                                    req.has_param("name") ? req.get_param_value("name") : "upload", kind);
    const InputMatch m = in_slot(*place, [&] { return matcher.match_input(input); });
    frames_hashed += static_cast<int64_t>(m.frames.size());
    codes_searched += static_cast<int64_t>(m.codes_searched);
    // An upload that cannot be hashed is the client's error; a failed lookup the bank's.
    const int code = m.failure == MatchFailure::kNone ? 200 : m.failure == MatchFailure::kLookup ? 500 : 422;
    reply(res, code, match_json(m, *with_hashes));
  }

  void handle_lookup(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    InFlight counted(in_flight);
    auto place = admit(res);
    if (!place) return;
    std::string body;
    if (!read_body(req, res, reader, body)) return;
    const size_t first = body.find_first_not_of(" \t\r\n");
    HashList list;
    if (first != std::string::npos && body[first] == '[') {
      auto parsed = parse_hash_json_array(body);
      if (!parsed) return reply_error(res, 400, parsed.status().message());
      list = std::move(parsed).value();
    } else {
      list = parse_hash_lines(std::string_view(body));
    }
    if (!list.errors.empty()) {
      json lines = json::array();
      for (const HashListError& e : list.errors) lines.push_back(hash_error_json(e.line, e.message));
      const HashListError& e = list.errors.front();
      return reply(
          res, 400,
          {{"error", std::to_string(list.errors.size()) + " entr" + (list.errors.size() == 1 ? "y is" : "ies are") +
                         " not a hash (first: line " + std::to_string(e.line) + ": " + e.message + ")"},
           {"errors", std::move(lines)}});
    }
    if (list.entries() == 0)
      return reply_error(res, 400,
                         "no hashes in the body (a hash or '<signal> <value>' per line, or a JSON array of them)");
    const auto started = Clock::now();
    auto results = in_slot(*place, [&] { return matcher.match_hash_list(list); });
    if (!results) return reply_error(res, 500, "lookup failed: " + results.status().to_string());
    hashes_looked_up += static_cast<int64_t>(list.entries());
    json out = json::array();
    for (json& j : hash_list_json(list, *results)) out.push_back(std::move(j));
    reply(res, 200,
          {{"results", std::move(out)},
           {"hashes", list.entries()},
           {"lookup_s", std::chrono::duration<double>(Clock::now() - started).count()}});
  }

  void handle_health(httplib::Response& res) {
    InFlight counted(in_flight);
    // Refreshed first, so the generation is the bank's now, not as of the last lookup.
    if (Status s = bank.refresh(); !s.is_ok())
      return reply(res, 503, {{"ok", false}, {"bank", bank.path()}, {"error", s.to_string()}});
    const BankIndexInfo info = bank.index_info();
    reply(res, 200,
          {{"ok", true}, {"bank", bank.path()}, {"generation", info.generation}, {"index", index_info_json(info)}});
  }

  json stats_json() const {
    const double uptime = std::chrono::duration<double>(Clock::now() - started).count();
    json j{{"uptime_s", uptime},
           {"requests",
            {{"total", requests.load()},
             {"match", match_requests.load()},
             {"lookup", lookup_requests.load()},
             {"health", health_requests.load()},
             {"stats", stats_requests.load()}}},
           {"errors",
            {{"total", client_errors.load() + server_errors.load()},
             {"client", client_errors.load()},
             {"server", server_errors.load()}}},
           {"in_flight", in_flight.load()},
           {"hashing", hashing.load()},
           {"queued", queued.load()},
           {"busy_refusals", busy_refusals.load()},
           {"max_queue", options.max_queue},
           {"frames_hashed", frames_hashed.load()},
           {"codes_searched", codes_searched.load()},
           {"hashes_looked_up", hashes_looked_up.load()},
           {"bytes_received", bytes_received.load()},
           {"threads", options.threads},
           {"connections",
            {{"open", http.counters().open.load()},
             {"accepted", http.counters().accepted.load()},
             {"refused", http.counters().refused.load()},
             {"timed_out", http.counters().timed_out.load()},
             {"max", options.connections.max_connections}}}};
    if (options.extra_stats) j.update(options.extra_stats());
    if (auto st = bank.stats()) j["bank"] = bank_stats_json(*st);
    else j["bank"] = {{"path", bank.path()}, {"error", st.status().to_string()}};
    return j;
  }
};

Server::Server(Bank& bank, const MatchConfig& config, const ServerOptions& options)
    : impl_(std::make_unique<Impl>(bank, config, options)) {}

Server::~Server() { stop(); }

Status Server::bind() {
  const ServerOptions& o = impl_->options;
  if (o.port < 0 || o.port > 65535) return {StatusCode::kInvalidArgument, "port must be 0..65535", o.host};
  const std::string where = o.host + ":" + std::to_string(o.port);
  if (o.port == 0) {
    const int port = impl_->http.bind_to_any_port(o.host);
    if (port <= 0) return {StatusCode::kUnavailable, "cannot listen (is the host an address of this machine?)", where};
    impl_->bound_port = port;
  } else {
    if (!impl_->http.bind_to_port(o.host, o.port))
      return {StatusCode::kUnavailable, "cannot listen (port in use, or the host is not an address of this machine)",
              where};
    impl_->bound_port = o.port;
  }
  impl_->http.widen_backlog();
  return Status::ok();
}

int Server::port() const { return impl_->bound_port; }

std::string Server::url() const {
  const std::string& host = impl_->options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->bound_port);
}

Status Server::serve() {
  if (impl_->bound_port < 0) return {StatusCode::kInternal, "serve() before bind()"};
  impl_->serving = true;
  bool listened = true;
  // Returns once stop() closed the listening socket and the worker pool has finished
  // the connections it holds (requests in flight are answered).
  if (!impl_->stopping) listened = impl_->http.listen_after_bind();
  impl_->serving = false;
  if (!listened && !impl_->stopping) return {StatusCode::kIoError, "the listening socket failed", url()};
  return Status::ok();
}

void Server::stop() {
  impl_->stopping = true;
  // httplib's stop() does nothing until listen_after_bind() has marked the server
  // running: wait for that while serve() is on its way in, or the stop would be lost.
  // (serve() re-checks `stopping` after setting `serving`, so one of the two sees the
  // other.)
  while (impl_->serving && !impl_->http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->http.is_running() && !impl_->stop_sent) {  // httplib's stop() must run once
    impl_->stop_sent = true;
    impl_->http.stop();
  }
}

nlohmann::json Server::stats_json() const { return impl_->stats_json(); }

int64_t Server::in_flight() const { return impl_->in_flight.load(); }

}  // namespace vhm::serve
