// vhm serve: the ingest daemon: its HTTP front door (src/serve/server.h) and, with
// --redis, its Redis Streams workers (src/serve/redis_worker.h). docs/SERVE.md.
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

#include "bank/bank.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/hashing_flags.h"
#include "exchange/exchange_settings.h"
#include "index/vector_index.h"
#include "match/matcher.h"
#include "serve/json_log.h"
#include "serve/redis_worker.h"
#include "serve/scheduled_fetch.h"
#include "serve/server.h"
#include "serve/stop_signals.h"

namespace po = boost::program_options;

namespace vhm::cli {
namespace {

constexpr const char* kServeHelp = R"HELP(Usage: vhm serve --bank BANK [OPTIONS]

Serves matching over HTTP: uploads are hashed straight from the request body (never
written to disk) and matched against the bank with the same rule and the same JSON as
'vhm match'. Changes other processes make to the bank ('vhm bank add', 'vhm bank
remove') are seen by the very next request. SIGINT or SIGTERM stops it gracefully:
no new connections, requests in flight are answered, exit 0. See docs/SERVE.md.

Endpoints (JSON responses):
  POST /v1/match    body: a video or an image (?kind=image|video, else sniffed;
                    ?name=NAME reported as "path"; ?with_hashes=1 adds the upload's
                    frame hashes) -> the object 'vhm match --format jsonl' prints;
                    422 {"error": ...} when the media cannot be decoded
  POST /v1/lookup   body: PDQ hashes, 64 hex digits per line ("pdq <hex>" too), or a
                    JSON array of them -> {"results": [one 'vhm match --hashes' line
                    per hash], ...}
  GET  /v1/health   {"ok": true, "bank", "generation", "index"}
  GET  /v1/stats    requests served, errors, in flight, uptime, bank statistics
  GET  /metrics     the same and request latencies, in the Prometheus text format
An empty body is a 400, a body over --max-body-mb a 413 (from its Content-Length,
before the body is read); the daemon stays up after any bad request. An upload is
decoded from its own bytes only: playlists, concat lists and other formats that name
further files or URLs are refused (docs/SECURITY.md).

Connections and work are apart: --threads uploads are hashed at once, while up to
--max-connections connections are served (more get a 503 at once); a request's headers
must arrive within --header-timeout, its body may pause --read-timeout between bytes.

On start it logs one line to stderr: "serving http://HOST:PORT (bank ..., index ...)";
with --port 0 the port is the one the system chose.

Redis Streams workers (--redis): N worker threads (--workers, each with its own
connection) take jobs from a consumer group alongside the HTTP front door (--no-http:
workers only). A job is a stream entry with fields job (its id), path (a file or URL:
refused unless --allow-paths DIR, and --allow-protocols for URLs, say it may be read)
or media (the bytes themselves), optional kind (image|video) and name. Each result is
stored once per job id (SET <result-prefix><job> NX) and, only then, added to the
results stream as {job, result}; then the entry is acknowledged. Entries idle longer
than --claim-idle-ms (a dead worker's) are taken over. A bad job gets an error result
and is acknowledged. A job delivered --max-deliveries times without a result (it
killed the workers that took it) is moved to the --dead-letter stream with an error
result. Losing Redis logs a line and reconnects; the daemon stays up.
Before the workers start it logs "redis workers: N on redis://...".

Bank routes: GET /v1/banks, GET|DELETE /v1/banks/{bank}/contents/{external_id},
POST /v1/banks/{bank}/contents (media, or a hash list: ?format= as vhm bank add takes;
?external_id=, ?label=). Writes need "Authorization: Bearer TOKEN", the first line of
--token-file (else VHM_SERVE_TOKEN); without one configured writes are off (403).

Exchange feeds (--fetch EXCHANGE, repeatable): the bank is kept current from StopNCII,
NCMEC, ThreatExchange or TCAP as 'vhm fetch' does, at start and then every
--fetch-every, on a thread of its own; each run logs "fetch EXCHANGE: {summary}" and
its changes are matched from the very next request. Credentials: the environment or
--fetch-config (docs/EXCHANGES.md).

Examples:
  vhm serve --bank banks/known
  vhm serve --bank banks/ncii --fetch stopncii --fetch-every 5m
  vhm serve --bank banks/known --port 0 --threads 16 --sample 1s
  curl --data-binary @upload.mp4 http://127.0.0.1:8080/v1/match
  curl --data-binary @photo.jpg 'http://127.0.0.1:8080/v1/match?kind=image&with_hashes=1'
  curl --data-binary @batch.txt http://127.0.0.1:8080/v1/lookup
  curl http://127.0.0.1:8080/v1/health
  curl http://127.0.0.1:8080/metrics                 # for a Prometheus scrape job
  vhm serve --bank banks/known --token-file /etc/vhm/token
  curl -H "Authorization: Bearer $(cat /etc/vhm/token)" --data-binary @list.txt \
       'http://127.0.0.1:8080/v1/banks/known/contents?format=pdq'
  vhm serve --bank banks/known --redis redis://127.0.0.1:6379 --workers 4
  vhm serve --bank banks/known --redis redis://queue:6379/2 --no-http --consumer box7
  vhm serve --bank banks/known --redis redis://127.0.0.1:6379 --allow-paths /data/uploads
  redis-cli XADD vhm:jobs '*' job j1 path /data/uploads/upload.mp4
  redis-cli -x XADD vhm:jobs '*' job j2 kind image media < photo.jpg
  redis-cli XREAD COUNT 10 STREAMS vhm:results 0

Exit codes: 0 stopped by SIGINT/SIGTERM; 1 the bank could not be opened or the address
could not be bound (Redis need not be up: workers keep reconnecting); 2 usage error; 3 internal error.

Options)HELP";

struct ServeFlags {
  std::string bank;
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 8;
  int hash_threads = 0;
  // Key frames, as vhm match: the same-family recall of every-frame hashing on the
  // corpus at 11% of the time (docs/MATCHING.md).
  HashingFlags hashing;
  bool dihedral = false;
  bool with_hashes = false;
  bool verbose = false;
  std::string log_format = "text";
  int max_body_mb = 512;
  int max_queue = serve::ServerOptions{}.max_queue;
  int max_connections = serve::ConnectionLimits{}.max_connections;
  double header_timeout = 10;
  double read_timeout = 10;
  MatchThresholds thresholds;
  SignalLookupOptions signal_lookup;
  bool no_tmk = false;
  std::string tmk_index = "flat-ip";
  // Redis Streams workers (empty redis: none).
  std::string redis;
  std::string stream = "vhm:jobs";
  std::string group = "vhm";
  std::string consumer;  // default: HOST-PID
  std::string results = "vhm:results";
  std::string result_prefix = "vhm:result:";
  int64_t claim_idle_ms = 60000;
  int workers = 1;
  int max_deliveries = 3;
  std::string dead_letter = "vhm:jobs:dead";
  bool no_http = false;
  // Exchange feeds kept current on a schedule (none: no fetching).
  std::vector<std::string> fetch;
  std::string fetch_every = "5m";
  std::string fetch_config;
  // Bank writes over HTTP (serve/bank_routes.h).
  std::string token_file;
  bool token_for_reads = false;
  std::string bank_name;
};

// The writers' token: the first line of --token-file, else VHM_SERVE_TOKEN; empty when
// neither is given (writes off). A file that cannot be read is the caller's error.
Result<std::string> read_write_token(const std::string& path) {
  std::string token;
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in || !std::getline(in, token)) return Status(StatusCode::kNotFound, "cannot read a token", path);
  } else if (const char* env = std::getenv("VHM_SERVE_TOKEN")) {
    token = env;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (!path.empty() && token.size() < 16)
    return Status(StatusCode::kInvalidArgument, "a token shorter than 16 characters is too easy to guess", path);
  return token;
}

// "90s", "5m", "1h", "500ms": at least 1 s, at most a week.
std::optional<std::chrono::milliseconds> parse_interval(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  double ms = 0;
  if (unit == "ms") ms = value;
  else if (unit == "s" || unit.empty()) ms = value * 1000;
  else if (unit == "m") ms = value * 60'000;
  else if (unit == "h") ms = value * 3'600'000;
  else return std::nullopt;
  if (!(ms >= 1000 && ms <= 7 * 24 * 3'600'000.0)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

// The daemon's media policy by default: uploads are bytes; a job naming a path or a URL
// is refused until --allow-paths / --allow-protocols say where it may read; an input
// may take 10 minutes at most.
MediaPolicy serve_media_defaults() {
  MediaPolicy p;
  p.access = MediaAccess::memory_only();
  p.limits.max_seconds = 600;
  return p;
}

// HOST-PID: unique per daemon, and readable in XINFO CONSUMERS.
std::string default_consumer() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0) std::snprintf(host, sizeof host, "vhm");
  return std::string(host) + "-" + std::to_string(::getpid());
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "vhm serve: %s (try 'vhm serve --help')\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  ServeFlags opt;
  std::vector<std::string> positional;
  po::options_description visible(kServeHelp);
  // clang-format off
  visible.add_options()
      ("help,h", "show this help")
      ("bank,b", po::value(&opt.bank), "the bank directory (required)")
      ("tmk-index", po::value(&opt.tmk_index)->default_value(opt.tmk_index),
       "TMK level-1 index: flat-ip (exact), ivf<N>,nprobe=P or hnsw<M> (docs/BENCHMARKS.md)")
      ("host", po::value(&opt.host)->default_value(opt.host), "address to listen on (0.0.0.0: every interface)")
      ("port,p", po::value(&opt.port)->default_value(opt.port), "port to listen on (0: any free port, logged at start)")
      ("threads", po::value(&opt.threads)->default_value(opt.threads),
       "uploads hashed and lookups searched at once (connections waiting for their client take none)")
      ("hash-threads", po::value(&opt.hash_threads)->default_value(opt.hash_threads),
       "threads hashing and searching each request (0: cores / --threads, at least 1)")
      ("with-hashes", po::bool_switch(&opt.with_hashes),
       "return the upload's frame hashes unless a request says ?with_hashes=0")
      ("max-body-mb", po::value(&opt.max_body_mb)->default_value(opt.max_body_mb),
       "largest request body accepted (MiB); a larger Content-Length is refused (413) before the body is read")
      ("max-queue", po::value(&opt.max_queue)->default_value(opt.max_queue),
       "uploads and lookups waiting for a --threads slot; more are answered 429 with Retry-After at once")
      ("max-connections", po::value(&opt.max_connections)->default_value(opt.max_connections),
       "connections served at once, apart from --threads; more are answered 503 at once")
      ("header-timeout", po::value(&opt.header_timeout)->default_value(opt.header_timeout),
       "seconds a request's line and headers may take to arrive")
      ("read-timeout", po::value(&opt.read_timeout)->default_value(opt.read_timeout),
       "seconds a request body may pause between bytes")
      ("verbose,v", po::bool_switch(&opt.verbose), "show FFmpeg's warnings")
      ("log-format", po::value(&opt.log_format)->default_value(opt.log_format),
       "text, or json: one object per line (time, level, msg, request_id)")
      ("redis", po::value(&opt.redis), "run Redis Streams workers on redis://HOST[:PORT][/DB]")
      ("stream", po::value(&opt.stream)->default_value(opt.stream), "--redis: the jobs stream")
      ("group", po::value(&opt.group)->default_value(opt.group), "--redis: the consumer group (created if missing)")
      ("consumer", po::value(&opt.consumer), "--redis: this daemon's consumer name (default HOST-PID; -N per worker)")
      ("results", po::value(&opt.results)->default_value(opt.results), "--redis: the results stream")
      ("result-prefix", po::value(&opt.result_prefix)->default_value(opt.result_prefix),
       "--redis: result keys are this prefix + the job id")
      ("claim-idle-ms", po::value(&opt.claim_idle_ms)->default_value(opt.claim_idle_ms),
       "--redis: take over entries pending longer than this (a dead worker's); keep it above the longest job")
      ("workers", po::value(&opt.workers)->default_value(opt.workers), "--redis: worker threads (one connection each)")
      ("max-deliveries", po::value(&opt.max_deliveries)->default_value(opt.max_deliveries),
       "--redis: a job delivered this many times without a result (it killed its workers) goes to --dead-letter")
      ("dead-letter", po::value(&opt.dead_letter)->default_value(opt.dead_letter),
       "--redis: the stream jobs that killed workers are moved to")
      ("no-http", po::bool_switch(&opt.no_http), "--redis: run the workers only, no HTTP server")
      ("token-file", po::value(&opt.token_file),
       "the bank routes' bearer token (its first line; else VHM_SERVE_TOKEN): without one, bank writes are off")
      ("token-for-reads", po::bool_switch(&opt.token_for_reads), "GET /v1/banks... need the token too")
      ("bank-name", po::value(&opt.bank_name), "the bank's name in /v1/banks/{bank}/... (default: its directory's name)")
      ("fetch", po::value(&opt.fetch)->composing(),
       "keep the bank current from this exchange (stopncii, ncmec, threatexchange, tcap; repeatable), as vhm fetch does")
      ("fetch-every", po::value(&opt.fetch_every)->default_value(opt.fetch_every),
       "--fetch: how often (90s, 5m, 1h); the first run is at start")
      ("fetch-config", po::value(&opt.fetch_config),
       "--fetch: the exchanges' credentials and settings (vhm fetch --config; the environment wins)");
  // clang-format on
  add_match_flags(visible, opt.thresholds, opt.dihedral, opt.signal_lookup, opt.no_tmk);
  add_hashing_flags(visible, opt.hashing, HashingPreset::kQuery, serve_media_defaults());
  if (auto stop = parse_command_line(argc, argv, visible, positional, "serve")) return *stop;
  if (!positional.empty()) return usage_error("unexpected argument '" + positional.front() + "'");
  if (opt.bank.empty()) return usage_error("--bank is required");
  if (opt.log_format != "text" && opt.log_format != "json") return usage_error("--log-format is text or json");
  if (opt.log_format == "json") serve::use_json_log_lines();
  if (opt.port < 0 || opt.port > 65535) return usage_error("--port must be 0..65535");
  if (opt.threads < 1 || opt.threads > 1024) return usage_error("--threads must be 1..1024");
  if (opt.hash_threads < 0 || opt.hash_threads > 1024) return usage_error("--hash-threads must be 0..1024");
  if (opt.max_body_mb < 1 || opt.max_body_mb > 65536) return usage_error("--max-body-mb must be 1..65536");
  if (opt.max_queue < 0 || opt.max_queue > 100000) return usage_error("--max-queue must be 0..100000");
  if (opt.max_connections < 1 || opt.max_connections > 900)
    return usage_error("--max-connections must be 1..900 (each is a file descriptor below 1024)");
  if (!(opt.header_timeout > 0 && opt.header_timeout <= 3600) || !(opt.read_timeout > 0 && opt.read_timeout <= 3600))
    return usage_error("--header-timeout and --read-timeout must be seconds in (0, 3600]");
  // Paths allowed but no protocol named: local files are what --allow-paths means.
  MediaFlags& media = opt.hashing.media;
  if (!media.allow_paths.empty() && media.allow_protocols == "none") media.allow_protocols = "file";
  if (auto bad = match_thresholds_error(opt.thresholds, opt.signal_lookup)) return usage_error(*bad);
  if (auto probe = make_vector_index(opt.tmk_index, 256); !probe)
    return usage_error("--tmk-index: " + probe.status().message());
  auto write_token = read_write_token(opt.token_file);
  if (!write_token) return usage_error("--token-file: " + write_token.status().to_string());
  if (opt.token_for_reads && write_token->empty()) return usage_error("--token-for-reads needs a token (--token-file)");
  const auto fetch_every = parse_interval(opt.fetch_every);
  if (!fetch_every) return usage_error("--fetch-every must be a duration from 1s to 168h (90s, 5m, 1h)");
  std::vector<ExchangeSettings> feeds;
  for (const std::string& name : opt.fetch) {
    const auto kind = parse_exchange_kind(name);
    if (!kind) return usage_error("--fetch: unknown exchange '" + name + "' (stopncii, ncmec, threatexchange, tcap)");
    auto settings = load_exchange_settings(*kind, opt.fetch_config);
    if (!settings) return usage_error("--fetch-config: " + settings.status().to_string());
    feeds.push_back(std::move(settings).value());
  }
  serve::RedisWorkerOptions redis_options;
  if (!opt.redis.empty()) {
    auto address = serve::parse_redis_url(opt.redis);
    if (!address) return usage_error("--redis: " + address.status().to_string());
    if (opt.workers < 1 || opt.workers > 1024) return usage_error("--workers must be 1..1024");
    if (opt.claim_idle_ms < 1) return usage_error("--claim-idle-ms must be at least 1");
    if (opt.stream.empty() || opt.group.empty() || opt.results.empty())
      return usage_error("--stream, --group and --results must not be empty");
    redis_options.address = *address;
    redis_options.stream = opt.stream;
    redis_options.group = opt.group;
    redis_options.consumer = opt.consumer.empty() ? default_consumer() : opt.consumer;
    redis_options.results = opt.results;
    redis_options.result_prefix = opt.result_prefix;
    redis_options.claim_idle = std::chrono::milliseconds(opt.claim_idle_ms);
    redis_options.workers = opt.workers;
    if (opt.max_deliveries < 1) return usage_error("--max-deliveries must be at least 1");
    if (opt.dead_letter.empty()) return usage_error("--dead-letter must not be empty");
    redis_options.max_deliveries = opt.max_deliveries;
    redis_options.dead_letter = opt.dead_letter;
  } else if (opt.no_http) {
    return usage_error("--no-http needs --redis (there would be nothing to serve)");
  }
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int concurrent = (opt.no_http ? 0 : opt.threads) + (opt.redis.empty() ? 0 : opt.workers);
  const int hash_threads = opt.hash_threads > 0 ? opt.hash_threads : std::max(1, cores / concurrent);
  auto hashing = hashing_config_from_flags(opt.hashing, hash_threads);
  if (!hashing) return usage_error(hashing.status().message());
  MatchConfig config;
  config.thresholds = opt.thresholds;
  config.signal_lookup = opt.signal_lookup;
  config.tmk = !opt.no_tmk;
  config.dihedral = opt.dihedral;
  config.hashing = *hashing;
  config.hashing.video.dihedral = opt.dihedral;
  if (!opt.verbose) av_log_set_level(AV_LOG_FATAL);

  // SIGINT/SIGTERM from here on stop the server once it runs (or stop it from starting).
  // `running` is the server once it exists; the mutex keeps it alive while the watcher
  // stops it.
  std::mutex running_mutex;
  std::condition_variable stopped;  // --no-http: the main thread waits on it
  serve::Server* running = nullptr;
  serve::RedisWorkers* workers = nullptr;
  bool stop_requested = false;
  serve::StopSignals signals([&](const char* name, int count) {
    if (count > 1) {
      spdlog::warn("{} again: exiting without waiting for requests in flight", name);
      std::_Exit(kExitInternal);
    }
    std::lock_guard lock(running_mutex);
    stop_requested = true;
    stopped.notify_all();
    if (workers) workers->stop();  // each finishes the job in hand
    if (running) {
      spdlog::info("{}: stopping; answering {} request(s) in flight first", name, running->in_flight());
      running->stop();
    } else {
      spdlog::info("{}: stopping", name);
    }
  });
  // A client that hangs up mid-answer must not kill the daemon.
  ::signal(SIGPIPE, SIG_IGN);

  BankOptions bank_options;
  bank_options.search_threads = hash_threads;
  bank_options.tmk_index_spec = opt.tmk_index;
  auto bank = Bank::open(opt.bank, bank_options);
  if (!bank) {
    std::fprintf(stderr, "vhm serve: error: %s\n", bank.status().with_subject(opt.bank).to_string().c_str());
    return kExitInputFailed;
  }
  for (const std::string& note : (*bank)->recovery_notes()) spdlog::info("{}", note);

  std::unique_ptr<serve::RedisWorkers> redis_workers;
  if (!opt.redis.empty()) {
    redis_workers = std::make_unique<serve::RedisWorkers>(**bank, config, redis_options);
    spdlog::info("redis workers: {} on {} (stream {}, group {}, consumer {}, results {}, claim idle {} ms)",
                 opt.workers, redis_options.address.url(), opt.stream, opt.group, redis_options.consumer, opt.results,
                 opt.claim_idle_ms);
    std::lock_guard lock(running_mutex);
    workers = redis_workers.get();
    if (stop_requested) redis_workers->stop();
    redis_workers->start();
  }
  // Stops and joins the workers, then logs what they did.
  auto finish_workers = [&] {
    if (!redis_workers) return;
    {
      std::lock_guard lock(running_mutex);
      redis_workers->stop();
      workers = nullptr;  // a later signal must not reach them
    }
    redis_workers->join();
    const nlohmann::json r = redis_workers->stats_json()["redis"];
    spdlog::info("redis workers stopped after {} job(s) ({} failed, {} reclaimed, {} duplicate)",
                 r["jobs_done"].get<int64_t>(), r["jobs_failed"].get<int64_t>(), r["jobs_reclaimed"].get<int64_t>(),
                 r["jobs_duplicate"].get<int64_t>());
  };

  std::unique_ptr<serve::ScheduledFetch> scheduled_fetch;
  if (!feeds.empty()) {
    std::string names;
    for (const ExchangeSettings& f : feeds)
      names += (names.empty() ? "" : ", ") + std::string(exchange_kind_name(f.kind));
    spdlog::info("fetching {} every {}", names, opt.fetch_every);
    scheduled_fetch = std::make_unique<serve::ScheduledFetch>(**bank, std::move(feeds), *fetch_every);
    scheduled_fetch->start();
  }
  const auto finish_fetch = [&] {
    if (!scheduled_fetch) return;
    scheduled_fetch->stop();
    scheduled_fetch->join();
  };

  if (opt.no_http) {
    std::unique_lock lock(running_mutex);
    stopped.wait(lock, [&] { return stop_requested; });
    lock.unlock();
    finish_workers();
    finish_fetch();
    return kExitOk;
  }

  serve::ServerOptions server_options;
  server_options.host = opt.host;
  server_options.port = opt.port;
  server_options.threads = opt.threads;
  server_options.max_body_bytes = static_cast<size_t>(opt.max_body_mb) << 20;
  server_options.max_queue = opt.max_queue;
  server_options.with_hashes = opt.with_hashes;
  server_options.connections.max_connections = opt.max_connections;
  server_options.connections.header_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(std::llround(opt.header_timeout * 1000)));
  server_options.connections.read_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(std::llround(opt.read_timeout * 1000)));
  server_options.bank_name = opt.bank_name;
  server_options.write_token = *write_token;
  server_options.reads_need_token = opt.token_for_reads;
  // Uploads added to the bank are hashed as `vhm bank add` hashes them (every frame, the
  // bars), within the daemon's media limits.
  server_options.bank_hashing = hashing_preset(HashingPreset::kBank);
  server_options.bank_hashing.video.media = config.hashing.video.media;
  server_options.bank_hashing.video.threads = config.hashing.video.threads;
  server_options.extra_stats = [w = redis_workers.get(), f = scheduled_fetch.get()] {
    nlohmann::json extra = nlohmann::json::object();
    if (w) extra.update(w->stats_json());
    if (f) extra.update(f->stats_json());
    return extra;
  };
  serve::Server server(**bank, config, server_options);
  if (Status s = server.bind(); !s.is_ok()) {
    std::fprintf(stderr, "vhm serve: error: %s\n", s.to_string().c_str());
    finish_workers();
    finish_fetch();
    return kExitInputFailed;
  }
  const BankIndexInfo index = (*bank)->index_info();
  const auto stats = (*bank)->stats();
  spdlog::info(
      "serving {} (bank {}: generation {}, {} live contents, {} frames; index {} {} frames, {}; {} hashing "
      "slots x {} threads, up to {} connections, sample {})",
      server.url(), opt.bank, index.generation, stats ? stats->contents_live : -1, stats ? stats->frames_live : -1,
      index.spec, index.main_frames + index.delta_frames, index.origin, opt.threads, hash_threads, opt.max_connections,
      opt.hashing.sample);
  {
    std::lock_guard lock(running_mutex);
    running = &server;
    if (stop_requested) server.stop();  // a signal came while the bank was opening
  }
  const Status served = server.serve();
  {
    std::lock_guard lock(running_mutex);
    running = nullptr;
  }
  finish_workers();
  finish_fetch();
  const nlohmann::json stats_at_end = server.stats_json();
  if (!served.is_ok()) {
    std::fprintf(stderr, "vhm serve: error: %s\n", served.to_string().c_str());
    return kExitInternal;
  }
  spdlog::info("stopped after {} request(s), {} error(s)", stats_at_end["requests"]["total"].get<int64_t>(),
               stats_at_end["errors"]["total"].get<int64_t>());
  return kExitOk;
}

}  // namespace vhm::cli
