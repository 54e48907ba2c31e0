// vhm bench serve: the daemon's HTTP front door under load (docs/SERVE.md).
//
// A server is either started here (--bank DIR: `vhm serve` as a child process on a free
// loopback port, this same binary, stopped with SIGTERM at the end) or already running
// (--url). For each client count in --clients, that many threads, each with its own
// keep-alive connection, send requests back to back for --seconds: POST /v1/match with
// the given videos (default: the corpus's sample videos), or POST /v1/lookup with
// batches of random PDQ hashes, round robin over all clients. A request that has started
// when the time is up is finished and counted; requests/s and frames/s divide by the
// time until the last one came back. Latency is per request, send to full response, on
// the client. Any transport failure or status other than 200 is an error.
#include <httplib.h>
#include <signal.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.h"
#include "bench/bench_util.h"
#include "bench/environment.h"
#include "bench/plot.h"
#include "serve/serve_process.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace vhm::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What one request sends.
struct Item {
  std::string name;  // the video's file name, or "batch N"
  std::string body;
  int64_t units = 0;  // hashes in a lookup batch (videos: read from each answer)
};

struct RunResult {
  int clients = 0;
  int64_t requests = 0, errors = 0, frames = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

std::string self_exe() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("vhm") : p.string();
}

bool parse_url(const std::string& url, std::string& host, int& port) {
  static const std::regex kUrl(R"(^http://(\[[^\]]+\]|[^:/\[\]]+):(\d+)/?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) return false;
  host = m[1].str();
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  port = std::stoi(m[2].str());
  return port > 0 && port < 65536;
}

std::optional<std::vector<int>> parse_clients(const std::string& list) {
  std::vector<int> out;
  for (const std::string& item : video::split_list(list)) {
    try {
      size_t used = 0;
      const int n = std::stoi(item, &used);
      if (used != item.size() || n < 1 || n > 1024) return std::nullopt;
      out.push_back(n);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// One client count: `clients` threads, each on its own connection, for `seconds`.
RunResult run_clients(const std::string& host, int port, const std::string& path, const std::string& content_type,
                      const std::vector<Item>& items, bool lookup, int clients, double seconds) {
  RunResult r;
  r.clients = clients;
  std::atomic<size_t> next{0};
  struct PerClient {
    std::vector<double> latencies_ms;
    int64_t errors = 0, frames = 0;
    std::string first_error;
  };
  std::vector<PerClient> per(static_cast<size_t>(clients));
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      PerClient& me = per[static_cast<size_t>(c)];
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);  // headers and body go in separate writes (see server.cpp)
      client.set_read_timeout(std::chrono::seconds(300));
      client.set_write_timeout(std::chrono::seconds(300));
      while (Clock::now() < deadline) {
        const Item& item = items[next.fetch_add(1) % items.size()];
        const auto t0 = Clock::now();
        auto res = client.Post(path, item.body, content_type);
        me.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        std::string error;
        if (!res) {
          error = "transport: " + httplib::to_string(res.error());
        } else if (res->status != 200) {
          error = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 300);
        } else if (lookup) {
          me.frames += item.units;
        } else {
          const json j = json::parse(res->body, nullptr, false);
          if (j.is_object() && j.contains("frames") && j["frames"].is_number()) me.frames += j["frames"].get<int64_t>();
          else error = "answer without \"frames\": " + res->body.substr(0, 300);
        }
        if (!error.empty()) {
          ++me.errors;
          if (me.first_error.empty()) me.first_error = item.name + ": " + error;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (PerClient& p : per) {
    r.requests += static_cast<int64_t>(p.latencies_ms.size());
    r.errors += p.errors;
    r.frames += p.frames;
    r.latencies_ms.insert(r.latencies_ms.end(), p.latencies_ms.begin(), p.latencies_ms.end());
    if (r.first_error.empty()) r.first_error = p.first_error;
  }
  return r;
}

json run_json(const RunResult& r) {
  double mean = 0;
  for (double v : r.latencies_ms) mean += v;
  mean = r.latencies_ms.empty() ? 0 : mean / static_cast<double>(r.latencies_ms.size());
  return {{"clients", r.clients},
          {"requests", r.requests},
          {"errors", r.errors},
          {"seconds", r.seconds},
          {"requests_per_s", r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0.0},
          {"frames", r.frames},
          {"frames_per_s", r.seconds > 0 ? static_cast<double>(r.frames) / r.seconds : 0.0},
          {"latency_mean_ms", mean},
          {"latency_p50_ms", percentile(r.latencies_ms, 50)},
          {"latency_p95_ms", percentile(r.latencies_ms, 95)},
          {"latency_p99_ms", percentile(r.latencies_ms, 99)},
          {"latency_max_ms",
           r.latencies_ms.empty() ? 0.0 : *std::max_element(r.latencies_ms.begin(), r.latencies_ms.end())},
          {"first_error", r.first_error}};
}

std::vector<plot::Chart> serve_charts(const json& report) {
  const bool lookup = report["config"]["endpoint"] == "lookup";
  plot::Chart latency;
  latency.name = "serve-latency";
  latency.title = std::string("vhm serve: latency per request (POST /v1/") + (lookup ? "lookup" : "match") + ")";
  latency.xlabel = "concurrent clients";
  latency.ylabel = "ms";
  latency.kind = plot::ChartKind::kLines;
  latency.series = {"p50", "p95", "p99"};
  latency.y_min = 0.0;
  plot::Chart throughput;
  throughput.name = "serve-throughput";
  throughput.title = std::string("vhm serve: throughput (POST /v1/") + (lookup ? "lookup" : "match") + ")";
  throughput.xlabel = "concurrent clients";
  throughput.ylabel = "per second";
  throughput.kind = plot::ChartKind::kLines;
  throughput.series = {"requests/s", lookup ? "hashes/s" : "frames/s"};
  for (const json& run : report["runs"]) {
    const double x = run["clients"].get<double>();
    latency.xs.push_back(x);
    latency.values.push_back({run["latency_p50_ms"].get<double>(), run["latency_p95_ms"].get<double>(),
                              run["latency_p99_ms"].get<double>()});
    throughput.xs.push_back(x);
    throughput.values.push_back({run["requests_per_s"].get<double>(), run["frames_per_s"].get<double>()});
  }
  plot::choose_y_axis(throughput);
  if (!throughput.log_y) throughput.y_min = 0.0;
  return {latency, throughput};
}

}  // namespace

int run_serve(int argc, char** argv) {
  std::string url, bank, clients_text = "1,2,4", endpoint = "match", sample = "keyframes", plot_dir;
  double seconds = 10;
  int server_threads = 0, hash_threads = 0, hashes_per_request = 64;
  uint64_t seed = 1;
  bool as_json = false, as_md = false;
  std::vector<std::string> videos;
  po::options_description desc(R"(vhm bench serve: the HTTP daemon (vhm serve) under concurrent clients

Usage: vhm bench serve (--bank DIR | --url http://HOST:PORT) [OPTIONS] [VIDEO...]

With --bank, starts 'vhm serve' on that bank itself (a child process on a free loopback
port, stopped at the end); with --url, uses one already running. For each count in
--clients, that many clients (one keep-alive connection each) send requests back to
back for --seconds: POST /v1/match with the videos round robin (default: every *.mp4
of the corpus's threatexchange/tmk/sample-videos), or with --endpoint lookup POST
/v1/lookup with batches of --hashes-per-request random PDQ hashes. Reports requests/s,
frames/s (hashes/s for lookup), latency p50/p95/p99/max per request and errors (any
status but 200). Exit 1 when any request failed.

Examples:
  vhm bench serve --bank banks/known
  vhm bench serve --bank banks/known --clients 1,2,4,8 --seconds 30 --markdown --plot plots/
  vhm bench serve --url http://127.0.0.1:8080 --endpoint lookup --json
  vhm bench serve --bank banks/known --sample 1s clip1.mp4 clip2.mp4

Options)");
  desc.add_options()("help,h", "this help")("url", po::value(&url), "a running vhm serve (http://HOST:PORT)")(
      "bank", po::value(&bank), "start vhm serve on this bank for the run")(
      "clients", po::value(&clients_text)->default_value(clients_text), "concurrent client counts, one run each")(
      "seconds", po::value(&seconds)->default_value(seconds), "length of each run")(
      "endpoint", po::value(&endpoint)->default_value(endpoint), "match (videos) or lookup (random hash batches)")(
      "videos", po::value(&videos)->multitoken(), "videos to send (also positional)")(
      "hashes-per-request", po::value(&hashes_per_request)->default_value(hashes_per_request),
      "lookup: hashes per request")("seed", po::value(&seed)->default_value(seed), "lookup: random hash seed")(
      "sample", po::value(&sample)->default_value(sample), "--bank: the server's --sample")(
      "server-threads", po::value(&server_threads)->default_value(server_threads),
      "--bank: the server's --threads (0: the largest client count, at least 8)")(
      "hash-threads", po::value(&hash_threads)->default_value(hash_threads), "--bank: the server's --hash-threads")(
      "json", po::bool_switch(&as_json), "print JSON")("markdown", po::bool_switch(&as_md), "print a Markdown table")(
      "plot", po::value(&plot_dir), "draw serve-latency and serve-throughput SVGs into DIR");
  std::vector<std::string> files;
  if (auto stop = parse_workload_args(argc, argv, desc, files, "serve")) return *stop;
  videos.insert(videos.end(), files.begin(), files.end());
  auto usage = [](const std::string& message) {
    std::fprintf(stderr, "vhm bench serve: %s (try 'vhm bench serve --help')\n", message.c_str());
    return 2;
  };
  if (url.empty() == bank.empty()) return usage("give either --url or --bank");
  const auto clients = parse_clients(clients_text);
  if (!clients) return usage("--clients must be a list of counts 1..1024, like 1,2,4");
  if (!(seconds > 0 && seconds <= 3600)) return usage("--seconds must be > 0 and <= 3600");
  if (endpoint != "match" && endpoint != "lookup") return usage("--endpoint must be match or lookup");
  if (hashes_per_request < 1 || hashes_per_request > 100000) return usage("--hashes-per-request must be 1..100000");
  if (server_threads < 0 || server_threads > 1024 || hash_threads < 0 || hash_threads > 1024)
    return usage("--server-threads and --hash-threads must be 0..1024");
  std::string host;
  int port = 0;
  if (!url.empty() && !parse_url(url, host, port)) return usage("--url must look like http://127.0.0.1:8080");
  const bool lookup = endpoint == "lookup";

  // ---- what the clients send, in memory before the clock starts
  std::vector<Item> items;
  size_t total_bytes = 0;
  if (lookup) {
    SplitMix64 rng{seed};
    for (int b = 0; b < 64; ++b) {
      Item item{"batch " + std::to_string(b), {}, hashes_per_request};
      for (int i = 0; i < hashes_per_request; ++i) item.body += rng.code().to_hex() + "\n";
      total_bytes += item.body.size();
      items.push_back(std::move(item));
    }
  } else {
    if (videos.empty()) {
      std::string where;
      videos = video::default_videos(where);
      if (videos.empty()) return usage("no videos given and none found in " + where);
    }
    for (const std::string& path : videos) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      if (!in || bytes.str().empty()) {
        std::fprintf(stderr, "vhm bench serve: cannot read %s\n", path.c_str());
        return 1;
      }
      total_bytes += bytes.str().size();
      items.push_back({video::base_name(path), bytes.str(), 0});
    }
  }
  // A client whose connection the server closes must not die of SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);

  const Environment env = read_environment();
  if (!as_json) std::cout << to_text(env) << std::flush;

  // ---- the server
  std::unique_ptr<serve::ServeProcess> child;
  const int max_clients = *std::max_element(clients->begin(), clients->end());
  const int threads = server_threads > 0 ? server_threads : std::max(8, max_clients);
  std::vector<std::string> serve_args{
      "serve",    "--bank", bank, "--host", "127.0.0.1", "--port", "0", "--threads", std::to_string(threads),
      "--sample", sample};
  if (hash_threads > 0) serve_args.insert(serve_args.end(), {"--hash-threads", std::to_string(hash_threads)});
  if (!bank.empty()) {
    if (!as_json) std::cout << "starting vhm " << serve_args.front() << " on " << bank << "...\n" << std::flush;
    auto started = serve::ServeProcess::start(self_exe(), serve_args);
    if (!started) {
      std::fprintf(stderr, "vhm bench serve: %s\n", started.status().to_string().c_str());
      return 1;
    }
    child = std::move(started).value();
    host = child->host();
    port = child->port();
    url = child->url();
  }
  auto stop_child = [&]() -> int {
    if (!child) return 0;
    auto code = child->stop();
    if (!code || *code != 0) {
      std::fprintf(stderr, "vhm bench serve: the server did not stop cleanly (%s); its log:\n%s\n",
                   code ? ("exit " + std::to_string(*code)).c_str() : code.status().to_string().c_str(),
                   child->output().c_str());
      return 1;
    }
    return 0;
  };

  json server{{"url", url}, {"started_here", child != nullptr}};
  {
    httplib::Client probe(host, port);
    probe.set_read_timeout(std::chrono::seconds(60));
    auto health = probe.Get("/v1/health");
    const json h = health && health->status == 200 ? json::parse(health->body, nullptr, false) : json();
    if (!h.is_object()) {
      std::fprintf(
          stderr, "vhm bench serve: %s/v1/health: %s\n", url.c_str(),
          health ? ("HTTP " + std::to_string(health->status)).c_str() : httplib::to_string(health.error()).c_str());
      stop_child();
      return 1;
    }
    server["health"] = h;
    // One request before the clock: the server's first-use costs (device probe) stay out
    // of the figures, and a server that refuses these requests is named at once.
    auto warm = probe.Post(lookup ? "/v1/lookup" : "/v1/match", items.front().body, "application/octet-stream");
    if (!warm || warm->status != 200) {
      std::fprintf(stderr, "vhm bench serve: warm-up request (%s) failed: %s\n", items.front().name.c_str(),
                   warm ? ("HTTP " + std::to_string(warm->status) + ": " + warm->body.substr(0, 300)).c_str()
                        : httplib::to_string(warm.error()).c_str());
      stop_child();
      return 1;
    }
  }
  const json& index = server["health"]["index"];
  const std::string server_line =
      "server " + url +
      (child ? " (started here: --sample " + sample + ", --threads " + std::to_string(threads) + ")" : "") +
      ", bank generation " + std::to_string(server["health"].value("generation", int64_t{0})) + ", index " +
      index.value("spec", std::string("?")) + " " +
      std::to_string(index.value("main_frames", int64_t{0}) + index.value("delta_frames", int64_t{0})) + " frames";
  const std::string load_line =
      lookup ? "POST /v1/lookup, 64 batches of " + std::to_string(hashes_per_request) + " random hashes round robin"
             : "POST /v1/match, " + std::to_string(items.size()) + " video" + (items.size() == 1 ? "" : "s") +
                   " round robin (" + fmt(static_cast<double>(total_bytes) / (1 << 20), 1) + " MiB)";
  if (!as_json)
    std::cout << server_line << "\n" << load_line << ", " << fmt(seconds, 1) << " s per client count\n" << std::flush;

  // ---- the runs
  json runs = json::array();
  int64_t errors = 0;
  for (int c : *clients) {
    const RunResult r = run_clients(host, port, lookup ? "/v1/lookup" : "/v1/match", "application/octet-stream", items,
                                    lookup, c, seconds);
    errors += r.errors;
    json j = run_json(r);
    if (!as_json) {
      std::cout << c << " client" << (c == 1 ? "" : "s") << ": " << r.requests << " requests, "
                << fmt(j["requests_per_s"], 2) << " req/s, " << fmt(j["frames_per_s"], 1)
                << (lookup ? " hashes/s" : " frames/s") << ", latency p50/p95/p99/max " << fmt(j["latency_p50_ms"], 1)
                << "/" << fmt(j["latency_p95_ms"], 1) << "/" << fmt(j["latency_p99_ms"], 1) << "/"
                << fmt(j["latency_max_ms"], 1) << " ms, " << r.errors << " errors";
      if (!r.first_error.empty()) std::cout << " (first: " << r.first_error << ")";
      std::cout << "\n" << std::flush;
    }
    runs.push_back(std::move(j));
  }
  const int stopped = stop_child();

  const json report{{"benchmark", "serve"},
                    {"environment", to_json(env)},
                    {"config",
                     {{"endpoint", endpoint},
                      {"seconds", seconds},
                      {"clients", *clients},
                      {"items", items.size()},
                      {"bytes", total_bytes},
                      {"hashes_per_request", lookup ? hashes_per_request : 0},
                      {"sample", child ? sample : std::string("(server's)")},
                      {"server_threads", child ? threads : 0}}},
                    {"server", server},
                    {"runs", runs}};
  auto table = [&](std::ostream& out) {
    out << "| clients | requests | errors | req/s | " << (lookup ? "hashes/s" : "frames/s")
        << " | p50 ms | p95 ms | p99 ms | max ms |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const json& j : runs)
      out << "| " << j["clients"].get<int>() << " | " << j["requests"].get<int64_t>() << " | "
          << j["errors"].get<int64_t>() << " | " << fmt(j["requests_per_s"], 2) << " | " << fmt(j["frames_per_s"], 1)
          << " | " << fmt(j["latency_p50_ms"], 1) << " | " << fmt(j["latency_p95_ms"], 1) << " | "
          << fmt(j["latency_p99_ms"], 1) << " | " << fmt(j["latency_max_ms"], 1) << " |\n";
  };
  if (as_json) {
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << "\n";
    table(std::cout);
  }
  if (as_md) {
    std::cout << "\n```\n"
              << to_text(env) << "```\n\n"
              << server_line << ". " << load_line << ", " << fmt(seconds, 0) << " s per client count.\n\n";
    table(std::cout);
  }
  bool plotted = true;
  if (!plot_dir.empty()) plotted = plot::render_and_report("serve", plot_dir, serve_charts(report));
  return (errors || stopped || !plotted) ? 1 : 0;
}

}  // namespace vhm::bench
