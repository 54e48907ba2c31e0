// `vhm serve`: the ingest daemon's HTTP front door. Uploads are matched against a bank
// with the same Matcher (and the same JSON) as `vhm match`, straight from the request
// body in memory; nothing is written to disk. docs/SERVE.md is the user's guide.
//
//   POST /v1/match    body: the media bytes (video or image). ?kind=image|video (else
//                     sniffed: image signatures, otherwise video), ?name= (the "path"
//                     reported), ?with_hashes=1|0 (the query's frame hashes in the reply)
//                     -> 200 the object `vhm match --format jsonl` prints for one input;
//                     422 {path, error, code} when the media cannot be hashed
//   POST /v1/lookup   body: PDQ hex hashes, one per line ("pdq <hex>" too), or a JSON
//                     array of them -> 200 {results: [one `vhm match --hashes` line per
//                     hash], hashes, lookup_s}; 400 naming the lines that are not hashes
//   GET  /v1/health   -> 200 {ok: true, bank, generation, index}; 503 when the bank
//                     cannot be read
//   GET  /v1/stats    -> 200 {requests, errors, in_flight, uptime_s, frames_hashed, bank,
//                     and with --redis: redis {jobs_done, jobs_failed, ...}}
//   GET  /metrics     -> 200 the Prometheus text format: requests by route and status,
//                     latency histograms, and every number of /v1/stats as a gauge
//                     (serve/serve_metrics.h)
//   empty body 400, body over the limit 413, unknown route 404: always {"error": ...}.
//
// Threading. Each connection has a thread of its own (at most
// ConnectionLimits::max_connections; slow, idle and surplus connections are dealt with
// in serve/http_connections.h); the work of /v1/match and /v1/lookup runs in one of
// `threads` hashing slots (a counting semaphore), so that connections waiting for a
// client never take a slot and /v1/health, /v1/stats need none. Requests share one Bank
// and one Matcher with no lock of ours:
//   - Bank is internally synchronised (bank.h: every method may be called from any
//     thread). A lookup copies a pointer to an immutable index snapshot and first
//     reads what other processes committed (PRAGMA data_version), so a `vhm bank add`
//     or `vhm bank remove` is seen by the very next request; refreshes and merges are
//     serialised inside the Bank, getters take its reader connection's mutex briefly;
//   - Matcher is immutable after construction (its methods are const and only read the
//     config and call the Bank); each request hashes with decoders and hashers of its
//     own;
//   - the counters below are atomics.
// So a reader/writer lock would add nothing: no request handler writes to the bank (the
// --fetch thread does, through the Bank's own serialisation, as another process would).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "bank/bank_json.h"
#include "core/status.h"
#include "hash/input_hasher.h"
#include "match/matcher.h"
#include "serve/connection_limits.h"

namespace vhm::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (port() says which after bind())
  int threads = 8;  // uploads hashed (and lookups searched) at once: the hashing slots
  // Requests admitted to /v1/match and /v1/lookup beyond the hashing slots, waiting for
  // one (their bodies arriving included): at most threads + max_queue are admitted, the
  // rest get 429 with Retry-After at once, so a burst is pushed back to the clients
  // instead of queueing without bound.
  int max_queue = 64;
  size_t max_body_bytes = size_t{512} << 20;
  bool with_hashes = false;  // /v1/match's default for ?with_hashes
  // Connections, apart from the hashing slots: how many at once, and how long a
  // request may take to arrive (serve/http_connections.h). An idle keep-alive
  // connection is closed after connections.keep_alive, and a stop waits for it at most
  // that long.
  ConnectionLimits connections;
  // Merged into GET /v1/stats: what else the daemon runs reports here (the Redis
  // workers' job counters), without the server knowing about it.
  std::function<nlohmann::json()> extra_stats;
  // The bank routes (serve/bank_routes.h): the bank's name in them (empty: the bank
  // directory's name), the writers' token (empty: writes off), whether reads need it,
  // and how uploaded media is hashed for the bank.
  std::string bank_name;
  std::string write_token;
  bool reads_need_token = false;
  InputHashConfig bank_hashing;
};

class Server {
 public:
  // `bank` must outlive the server.
  Server(Bank& bank, const MatchConfig& config, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port. Errors name the address.
  Status bind();
  // The bound port (after bind()).
  int port() const;
  // "http://HOST:PORT" (IPv6 hosts in brackets).
  std::string url() const;

  // Serves until stop(); returns once every request in flight has been answered.
  Status serve();
  // Asks serve() to return: no new connections; requests in flight finish. From any
  // thread (not from a signal handler); harmless when called twice or before serve().
  void stop();

  // What GET /v1/stats returns.
  nlohmann::json stats_json() const;
  int64_t in_flight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vhm::serve
