// `vhm serve --redis`: worker threads that take jobs from a Redis Streams consumer
// group, match them with the daemon's Matcher and publish the results (docs/SERVE.md,
// "Redis Streams workers").
//
// Guarantees. At-least-once: an entry is acknowledged (XACK) only after its result is
// stored, so a worker that dies holding one leaves it pending, and any worker takes it
// over (XAUTOCLAIM) once it has been idle for claim_idle. Results are idempotent by job
// id: the result key is SET NX and the results stream gets its entry in the same Lua
// script, only when that SET took, so a job processed twice (re-delivered, re-added)
// publishes exactly one result and its key never changes. A bad job fails alone: it
// gets an error result and is acknowledged (no exception leaves a job or a worker
// thread). A job that kills its worker (a crash inside a decoder, an OOM kill) is
// reclaimed like any other, up to max_deliveries; then it is moved to the dead-letter
// stream with an error result, so that it cannot take down every daemon in turn. Losing Redis logs one line per outage;
// the worker backs off and reconnects, and the daemon stays up.
//
// Each worker thread holds its own connection; all share one Matcher (immutable) and
// the counters (atomics).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "match/matcher.h"
#include "serve/redis_connection.h"

namespace vhm::serve {

struct RedisWorkerOptions {
  RedisAddress address;
  std::string stream = "vhm:jobs";
  std::string group = "vhm";
  std::string consumer;  // each worker adds "-<n>" when there are several
  std::string results = "vhm:results";
  std::string result_prefix = "vhm:result:";  // result keys: prefix + job id
  std::chrono::milliseconds claim_idle{60000};
  int workers = 1;
  // A job delivered more often than this without a result (it killed the workers that
  // took it: a crash, an OOM kill) is not tried again: it gets an error result, a copy
  // goes to the dead-letter stream, and it is acknowledged.
  int max_deliveries = 3;
  std::string dead_letter = "vhm:jobs:dead";
};

struct RedisWorkerStats {
  std::atomic<int64_t> done{0};               // results published (errors included)
  std::atomic<int64_t> failed{0};             // of which error results (bad jobs)
  std::atomic<int64_t> reclaimed{0};          // jobs taken over from idle consumers
  std::atomic<int64_t> duplicates{0};         // jobs whose result was already stored
  std::atomic<int64_t> retried{0};            // left pending because the bank failed
  std::atomic<int64_t> dead_lettered{0};      // moved to the dead-letter stream
  std::atomic<int64_t> connection_losses{0};  // outages (one per run of failures)
  std::atomic<int64_t> connect_failures{0};   // failed tries, every one
  std::atomic<int64_t> frames_hashed{0};
};

class RedisWorkers {
 public:
  // `bank` must outlive the workers.
  RedisWorkers(Bank& bank, const MatchConfig& config, RedisWorkerOptions options);
  // Stops and joins.
  ~RedisWorkers();
  RedisWorkers(const RedisWorkers&) = delete;
  RedisWorkers& operator=(const RedisWorkers&) = delete;

  // Starts the threads; they connect (retrying) on their own.
  void start();
  // Asks every worker to finish the job in hand and return (from any thread).
  void stop();
  // Waits for the threads (after stop()).
  void join();

  // {"redis": {url, stream, group, workers, jobs_done, jobs_failed, jobs_reclaimed, ...}}
  nlohmann::json stats_json() const;

 private:
  void run(int index);

  const Matcher matcher_;
  const RedisWorkerOptions options_;
  RedisWorkerStats stats_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace vhm::serve
