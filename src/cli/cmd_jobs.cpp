// vhm enqueue and vhm results: the Redis Streams workers' jobs from the command line, so
// that a batch spreads across machines with two commands and no redis-cli script
// (docs/SERVE.md, "Redis Streams workers").
#include <unistd.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/json_text.h"
#include "pipeline/inputs.h"
#include "serve/redis_connection.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace vhm::cli {
namespace {

using serve::RedisConnection;

int usage_error(const char* command, const std::string& message) {
  std::fprintf(stderr, "vhm %s: %s (try 'vhm %s --help')\n", command, message.c_str(), command);
  return kExitUsage;
}

// Commands wait at most this long; a blocking read's BLOCK stays below it.
constexpr auto kRedisTimeout = std::chrono::seconds(10);
constexpr const char* kBlockMs = "2000";

Result<std::unique_ptr<RedisConnection>> connect(const std::string& url) {
  auto address = serve::parse_redis_url(url);
  if (!address) return address.status();
  return RedisConnection::connect(*address, kRedisTimeout);
}

// A job id unique across hosts and runs: HOST-PID-MILLISECONDS-N.
std::string job_id_prefix() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0) std::snprintf(host, sizeof host, "vhm");
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + std::to_string(ms) + "-";
}

// A results stream entry's job and result (its fields "job", "result").
struct StreamResult {
  std::string entry_id;
  std::string job;
  std::string result;
};

std::vector<StreamResult> stream_results(const redisReply* entries) {
  std::vector<StreamResult> out;
  if (!entries || entries->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < entries->elements; ++i) {
    const redisReply* e = entries->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) continue;
    StreamResult r;
    r.entry_id = serve::reply_string(e->element[0]);
    const redisReply* fields = e->element[1];
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      const std::string k = serve::reply_string(fields->element[f]);
      if (k == "job") r.job = serve::reply_string(fields->element[f + 1]);
      if (k == "result") r.result = serve::reply_string(fields->element[f + 1]);
    }
    out.push_back(std::move(r));
  }
  return out;
}

// One JSON line: the result object, with its job id.
void print_result(const std::string& job, const std::string& result) {
  nlohmann::json j = nlohmann::json::parse(result, nullptr, false);
  if (!j.is_object()) j = {{"result", result}};
  if (!j.contains("job")) j["job"] = job;
  std::cout << json_text(j) << "\n";
}

}  // namespace

int cmd_enqueue(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm enqueue --redis URL [OPTIONS] INPUT...

Adds one job per input to the Redis stream the workers of 'vhm serve --redis' read, and
prints each job's id on a line of its own (pass them to 'vhm results --ids'). INPUT is a
file, a directory (walked for images and videos), @LIST (one input per line) or a URL.
A job names the file by its absolute path, which every worker must be able to read
(and its --allow-paths allow); with --media the bytes themselves travel in the job
(hashed in the worker's memory, nothing shared needed).

Examples:
  vhm enqueue --redis redis://queue:6379 /data/uploads/ > ids.txt
  vhm enqueue --redis redis://queue:6379 --media clip.mp4 photo.jpg
  vhm results --redis redis://queue:6379 --ids ids.txt > results.jsonl

Exit codes: 0 every input enqueued; 1 some could not be (named on stderr, the rest
were) or Redis could not be reached; 2 usage error.

Options)";
  std::string redis_url, stream = "vhm:jobs", kind;
  bool media = false, json_lines = false;
  double max_mb = 512;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("redis", po::value(&redis_url),
                                                    "redis://HOST[:PORT][/DB] (required)")(
      "stream", po::value(&stream)->default_value(stream), "the jobs stream the workers read (vhm serve --stream)")(
      "media", po::bool_switch(&media), "send each file's bytes in its job instead of its path")(
      "kind", po::value(&kind), "image or video for every input (default: by extension, or sniffed by the worker)")(
      "max-mb", po::value(&max_mb)->default_value(max_mb), "--media: the largest file sent (MiB)")(
      "json", po::bool_switch(&json_lines), "one JSON object per job ({job, input}) instead of bare ids");
  std::vector<std::string> args;
  if (auto rc = parse_command_line(argc, argv, visible, args, "enqueue")) return *rc;
  if (redis_url.empty()) return usage_error("enqueue", "--redis is required");
  if (args.empty()) return usage_error("enqueue", "no inputs");
  if (!kind.empty() && kind != "image" && kind != "video") return usage_error("enqueue", "--kind is image or video");
  if (!(max_mb > 0)) return usage_error("enqueue", "--max-mb must be positive");
  auto inputs = expand_inputs(args, {}, std::cin);
  if (!inputs) return usage_error("enqueue", inputs.status().to_string());
  auto conn = connect(redis_url);
  if (!conn) {
    std::fprintf(stderr, "vhm enqueue: error: %s\n", conn.status().to_string().c_str());
    return kExitInputFailed;
  }
  const std::string prefix = job_id_prefix();
  int failures = 0;
  for (size_t i = 0; i < inputs->size(); ++i) {
    const Input& in = (*inputs)[i];
    const std::string job = prefix + std::to_string(i + 1);
    std::string value;
    if (media) {
      std::error_code ec;
      const auto size = fs::file_size(in.url, ec);
      if (ec || size > static_cast<uintmax_t>(max_mb * 1024 * 1024)) {
        std::fprintf(stderr, "vhm enqueue: error: %s: %s\n", in.url.c_str(),
                     ec ? ec.message().c_str() : "larger than --max-mb");
        ++failures;
        continue;
      }
      std::ifstream file(in.url, std::ios::binary);
      std::stringstream bytes;
      bytes << file.rdbuf();
      value = bytes.str();
      if (!file || value.empty()) {
        std::fprintf(stderr, "vhm enqueue: error: %s: cannot read it (or it is empty)\n", in.url.c_str());
        ++failures;
        continue;
      }
    } else {
      value = is_url(in.url) ? in.url : fs::absolute(in.url).lexically_normal().string();
    }
    std::vector<std::string_view> cmd{"XADD", stream, "*", "job", job, media ? "media" : "path", value};
    const std::string name = fs::path(in.url).filename().string();
    if (media) {
      cmd.push_back("name");
      cmd.push_back(name);
    }
    if (!kind.empty()) {
      cmd.push_back("kind");
      cmd.push_back(kind);
    }
    auto r = (*conn)->command(cmd);
    if (!r) {
      std::fprintf(stderr, "vhm enqueue: error: %s: %s\n", in.url.c_str(), r.status().to_string().c_str());
      ++failures;
      if ((*conn)->broken()) return kExitInputFailed;
      continue;
    }
    if (json_lines) std::cout << json_text(nlohmann::json{{"job", job}, {"input", in.url}}) << "\n";
    else std::cout << job << "\n";
  }
  std::cout.flush();
  return failures ? kExitInputFailed : kExitOk;
}

int cmd_results(int argc, char** argv) {
  constexpr const char* kHelp = R"(Usage: vhm results --redis URL [OPTIONS]

Prints the Redis Streams workers' results as JSON Lines (each the object 'vhm match
--format jsonl' prints, or {job, error}, with its "job" id). With --ids FILE, the
results of those jobs (one id per line, as 'vhm enqueue' prints them; - for stdin), each
once, waiting for those not in yet until all are or --timeout passes; otherwise every
result in the results stream, and with --follow the new ones as they come.

Examples:
  vhm results --redis redis://queue:6379 --ids ids.txt > results.jsonl
  vhm enqueue --redis redis://queue:6379 videos/ | vhm results --redis redis://queue:6379 --ids -
  vhm results --redis redis://queue:6379 --follow

Exit codes: 0 every result asked for was printed; 1 --timeout passed with some missing
(named on stderr) or Redis could not be reached; 2 usage error.

Options)";
  std::string redis_url, results = "vhm:results", prefix = "vhm:result:", ids_file;
  bool follow = false;
  double timeout_s = 0;
  po::options_description visible(kHelp);
  visible.add_options()("help,h", "show this help")("redis", po::value(&redis_url),
                                                    "redis://HOST[:PORT][/DB] (required)")(
      "results", po::value(&results)->default_value(results), "the results stream (vhm serve --results)")(
      "result-prefix", po::value(&prefix)->default_value(prefix), "result keys' prefix (vhm serve --result-prefix)")(
      "ids", po::value(&ids_file), "print these jobs' results, waiting for them (FILE, or - for stdin)")(
      "follow", po::bool_switch(&follow), "without --ids: keep printing results as they come")(
      "timeout", po::value(&timeout_s)->default_value(timeout_s),
      "--ids: give up after SECONDS (0: wait as long as it takes)");
  std::vector<std::string> positional;
  if (auto rc = parse_command_line(argc, argv, visible, positional, "results")) return *rc;
  if (redis_url.empty()) return usage_error("results", "--redis is required");
  if (!positional.empty()) return usage_error("results", "unexpected argument '" + positional.front() + "'");
  if (follow && !ids_file.empty()) return usage_error("results", "--follow is for the whole stream, not --ids");
  if (timeout_s < 0) return usage_error("results", "--timeout must be >= 0");
  auto conn = connect(redis_url);
  if (!conn) {
    std::fprintf(stderr, "vhm results: error: %s\n", conn.status().to_string().c_str());
    return kExitInputFailed;
  }
  RedisConnection& redis = **conn;
  const auto fail = [&](const Status& st) {
    std::fprintf(stderr, "vhm results: error: %s\n", st.to_string().c_str());
    return kExitInputFailed;
  };

  if (ids_file.empty()) {
    std::string last = "-";
    while (true) {  // the stream so far, in batches
      auto r = redis.command({"XRANGE", results, last == "-" ? "-" : "(" + last, "+", "COUNT", "1000"});
      if (!r) return fail(r.status());
      const auto batch = stream_results(r->get());
      for (const StreamResult& s : batch) print_result(s.job, s.result);
      if (!batch.empty()) last = batch.back().entry_id;
      if (batch.size() < 1000) break;
    }
    std::cout.flush();
    if (!follow) return kExitOk;
    if (last == "-") last = "0";
    while (true) {
      auto r = redis.command({"XREAD", "BLOCK", kBlockMs, "STREAMS", results, last});
      if (!r) return fail(r.status());
      if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements == 0) continue;
      for (const StreamResult& s : stream_results((*r)->element[0]->element[1])) {
        print_result(s.job, s.result);
        last = s.entry_id;
      }
      std::cout.flush();
    }
  }

  std::vector<std::string> wanted;
  {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (ids_file != "-") {
      file.open(ids_file);
      if (!file) return usage_error("results", "cannot read --ids " + ids_file);
      in = &file;
    }
    for (std::string line; std::getline(*in, line);) {
      std::istringstream words(line);
      std::string id;
      if (words >> id && id[0] != '#') wanted.push_back(id);
    }
  }
  std::set<std::string> missing(wanted.begin(), wanted.end());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  // Where the results stream ends before the keys are read: a result published after
  // that is in the stream after it, so none is missed between the two reads.
  std::string since = "0";
  {
    auto r = redis.command({"XREVRANGE", results, "+", "-", "COUNT", "1"});
    if (!r) return fail(r.status());
    const auto tail = stream_results(r->get());
    if (!tail.empty()) since = tail.front().entry_id;
  }
  for (const std::string& id : wanted) {
    if (!missing.count(id)) continue;  // listed twice
    auto r = redis.command({"GET", prefix + id});
    if (!r) return fail(r.status());
    if ((*r)->type != REDIS_REPLY_STRING) continue;
    print_result(id, serve::reply_string(r->get()));
    missing.erase(id);
  }
  std::cout.flush();
  while (!missing.empty()) {
    if (timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) {
      std::fprintf(stderr, "vhm results: %zu job(s) without a result after %.0f s, first: %s\n", missing.size(),
                   timeout_s, missing.begin()->c_str());
      return kExitInputFailed;
    }
    auto r = redis.command({"XREAD", "BLOCK", kBlockMs, "STREAMS", results, since});
    if (!r) return fail(r.status());
    if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements == 0) continue;
    for (const StreamResult& s : stream_results((*r)->element[0]->element[1])) {
      since = s.entry_id;
      if (!missing.erase(s.job)) continue;
      print_result(s.job, s.result);
    }
    std::cout.flush();
  }
  return kExitOk;
}

}  // namespace vhm::cli
