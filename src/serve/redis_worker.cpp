#include "serve/redis_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/json_text.h"
#include "serve/redis_job.h"

namespace vhm::serve {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// XREADGROUP's BLOCK: how long a stop request can wait for an idle worker.
constexpr const char* kBlockMs = "1000";
// The command timeout sits above BLOCK, so that only a dead server trips it.
constexpr milliseconds kCommandTimeout{5000};

// Stores the result and publishes it, atomically and only once per job id: SET NX,
// then XADD only when the SET took. Returns 1 when published, 0 when it already was.
constexpr const char* kPublishScript = R"LUA(
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[2], 'result', ARGV[1])
  return 1
end
return 0
)LUA";

// The same for a job that killed its workers: the error result as above, and the job's
// fields (ARGV[3..]) copied to the dead-letter stream (KEYS[3]), in one step.
constexpr const char* kDeadLetterScript = R"LUA(
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[2], 'result', ARGV[1])
  redis.call('XADD', KEYS[3], '*', unpack(ARGV, 3))
  return 1
end
return 0
)LUA";

// A stream entry reply ([id, [field, value, ...]]); a deleted entry has no fields.
StreamEntry to_entry(const redisReply* r) {
  StreamEntry e;
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1) return e;
  e.id = reply_string(r->element[0]);
  if (r->elements < 2 || r->element[1]->type != REDIS_REPLY_ARRAY) return e;
  const redisReply* f = r->element[1];
  for (size_t i = 0; i + 1 < f->elements; i += 2)
    e.fields.emplace_back(reply_string(f->element[i]), reply_string(f->element[i + 1]));
  return e;
}

// The reconnect delay after `failures` failed tries in a row: 100 ms doubling to 5 s.
milliseconds backoff(int failures) {
  return milliseconds(std::min<int64_t>(5000, int64_t{100} << std::min(failures, 6)));
}

// How often a worker looks for idle entries: often enough to honour claim_idle, never
// more than every 50 ms nor less than every 5 s.
milliseconds claim_interval(milliseconds idle) { return std::clamp(idle / 2, milliseconds(50), milliseconds(5000)); }

// One worker thread's state: its connection and where its XAUTOCLAIM scan stands.
class Worker {
 public:
  Worker(const Matcher& matcher, const RedisWorkerOptions& options, RedisWorkerStats& stats,
         const std::atomic<bool>& stopping, std::string consumer)
      : matcher_(matcher), options_(options), stats_(stats), stopping_(stopping), consumer_(std::move(consumer)) {}

  void run() {
    int failures = 0;
    while (!stopping_) {
      // Nothing thrown may end the thread (std::terminate would take the daemon, HTTP
      // included): a failure is a lost connection, and the loop goes on.
      try {
        if (!conn_) {
          if (Status s = connect(); !s.is_ok()) {
            lost(s, failures);
            continue;
          }
          if (failures > 0) spdlog::info("redis worker {}: reconnected to {}", consumer_, options_.address.url());
          failures = 0;
        }
        if (Status s = step(); !s.is_ok()) lost(s, failures);
      } catch (const std::exception& e) {
        lost(Status(StatusCode::kInternal, std::string("unexpected exception: ") + e.what()), failures);
      } catch (...) {
        lost(Status(StatusCode::kInternal, "unexpected exception"), failures);
      }
    }
  }

 private:
  // Logs the first failure of an outage only, drops the connection, waits (in slices,
  // so that a stop is not held up by the back-off).
  void lost(const Status& s, int& failures) {
    ++stats_.connect_failures;
    if (failures == 0) {
      ++stats_.connection_losses;
      spdlog::warn("redis worker {}: {}; reconnecting with back-off", consumer_, s.to_string());
    }
    conn_.reset();
    const auto until = Clock::now() + backoff(failures++);
    while (!stopping_ && Clock::now() < until) std::this_thread::sleep_for(milliseconds(20));
  }

  Status connect() {
    auto c = RedisConnection::connect(options_.address, kCommandTimeout);
    if (!c) return c.status();
    conn_ = std::move(c).value();
    // The group from the stream's end ($): jobs added before the first daemon ever ran
    // are not work for it. MKSTREAM lets workers start before any producer.
    auto r = conn_->command({"XGROUP", "CREATE", options_.stream, options_.group, "$", "MKSTREAM"});
    if (!r && r.status().message().find("BUSYGROUP") == std::string::npos) return r.status();
    next_claim_ = Clock::now();
    return Status::ok();
  }

  // Reclaims idle entries when due, then waits up to BLOCK for a new one.
  Status step() {
    if (Clock::now() >= next_claim_) {
      if (Status s = reclaim(); !s.is_ok()) return s;
      next_claim_ = Clock::now() + claim_interval(options_.claim_idle);
    }
    auto r = conn_->command({"XREADGROUP", "GROUP", options_.group, consumer_, "COUNT", "1", "BLOCK", kBlockMs,
                             "STREAMS", options_.stream, ">"});
    if (!r) return r.status();
    // nil: BLOCK ran out. Else [[stream, [entry...]]].
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY) return Status::ok();
    for (size_t s = 0; s < reply->elements; ++s) {
      const redisReply* stream = reply->element[s];
      if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) continue;
      const redisReply* entries = stream->element[1];
      for (size_t i = 0; i < entries->elements; ++i)
        if (Status st = handle(to_entry(entries->element[i]), false); !st.is_ok()) return st;
    }
    return Status::ok();
  }

  // Takes over entries idle longer than claim_idle, one at a time (a worker never holds
  // more than the job in hand), until the scan of the pending list comes round.
  Status reclaim() {
    const std::string idle = std::to_string(options_.claim_idle.count());
    while (!stopping_) {
      auto r = conn_->command({"XAUTOCLAIM", options_.stream, options_.group, consumer_, idle, cursor_, "COUNT", "1"});
      if (!r) return r.status();
      // [next cursor, [entry...], [deleted ids...]] (Redis 7).
      const redisReply* reply = r->get();
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) return Status::ok();
      cursor_ = reply_string(reply->element[0]);
      const redisReply* entries = reply->element[1];
      for (size_t i = 0; i < entries->elements; ++i) {
        if (entries->element[i]->type != REDIS_REPLY_ARRAY) continue;  // deleted (Redis 6.2 puts nil)
        ++stats_.reclaimed;
        const StreamEntry entry = to_entry(entries->element[i]);
        auto deliveries = delivery_count(entry.id);
        if (!deliveries) return deliveries.status();
        if (*deliveries > options_.max_deliveries) {
          if (Status st = dead_letter(entry, *deliveries); !st.is_ok()) return st;
          continue;
        }
        if (Status st = handle(entry, true); !st.is_ok()) return st;
      }
      if (cursor_ == "0-0" || cursor_.empty()) {
        cursor_ = "0-0";
        return Status::ok();
      }
    }
    return Status::ok();
  }

  // How many times the entry has been delivered (XAUTOCLAIM counts its own delivery).
  Result<int64_t> delivery_count(const std::string& id) {
    auto r = conn_->command({"XPENDING", options_.stream, options_.group, id, id, "1"});
    if (!r) return r.status();
    // [[id, consumer, idle ms, deliveries]]; empty when no longer pending.
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) return int64_t{0};
    const redisReply* row = reply->element[0];
    if (row->type != REDIS_REPLY_ARRAY || row->elements < 4 || row->element[3]->type != REDIS_REPLY_INTEGER)
      return int64_t{0};
    return static_cast<int64_t>(row->element[3]->integer);
  }

  // The job killed the workers that took it: no more tries. An error result (once per
  // job id, as any result), its fields copied to the dead-letter stream, acknowledged.
  Status dead_letter(const StreamEntry& entry, int64_t deliveries) {
    std::string job = entry.id;
    for (const auto& [k, v] : entry.fields)
      if (k == "job" && !v.empty()) job = v;
    const std::string why = "job " + job + " was delivered " + std::to_string(deliveries) +
                            " times without a result (it ended the workers that took it); moved to " +
                            options_.dead_letter;
    const std::string result =
        json_text({{"job", job}, {"error", why}, {"code", status_code_name(StatusCode::kInternal)}});
    std::vector<std::string> args = {"EVAL",
                                     kDeadLetterScript,
                                     "3",
                                     options_.result_prefix + job,
                                     options_.results,
                                     options_.dead_letter,
                                     result,
                                     job,
                                     "entry",
                                     entry.id,
                                     "deliveries",
                                     std::to_string(deliveries),
                                     "error",
                                     why};
    for (const auto& [k, v] : entry.fields) {
      args.push_back(k);
      args.push_back(v);
    }
    auto r = conn_->command(std::vector<std::string_view>(args.begin(), args.end()));
    if (!r) return r.status();
    ++stats_.dead_lettered;
    ++stats_.failed;
    ++stats_.done;
    spdlog::error("redis worker {}: {}", consumer_, why);
    return ack(entry.id);
  }

  Status handle(const StreamEntry& entry, bool reclaimed) {
    if (entry.id.empty()) return Status::ok();
    if (entry.fields.empty()) return ack(entry.id);  // trimmed from the stream: nothing to do
    const JobOutcome out = run_job(matcher_, entry);
    stats_.frames_hashed += static_cast<int64_t>(out.frames);
    if (out.retry) {
      ++stats_.retried;
      spdlog::warn("redis worker {}: job {} left pending for a retry: {}", consumer_, out.job,
                   out.result.value("error", std::string()));
      return Status::ok();
    }
    const std::string json = json_text(out.result);
    const std::string key = options_.result_prefix + out.job;
    auto r = conn_->command({"EVAL", kPublishScript, "2", key, options_.results, json, out.job});
    if (!r) return r.status();
    if ((*r)->type == REDIS_REPLY_INTEGER && (*r)->integer == 1) {
      ++stats_.done;
      if (out.failed) ++stats_.failed;
      if (out.failed)
        spdlog::warn("redis worker {}: job {} failed: {}", consumer_, out.job, out.result.value("error", ""));
    } else {
      ++stats_.duplicates;
      spdlog::info("redis worker {}: job {} already has a result; not published again", consumer_, out.job);
    }
    if (reclaimed) spdlog::info("redis worker {}: reclaimed entry {} (job {})", consumer_, entry.id, out.job);
    return ack(entry.id);
  }

  Status ack(const std::string& id) {
    auto r = conn_->command({"XACK", options_.stream, options_.group, id});
    return r ? Status::ok() : r.status();
  }

  const Matcher& matcher_;
  const RedisWorkerOptions& options_;
  RedisWorkerStats& stats_;
  const std::atomic<bool>& stopping_;
  const std::string consumer_;
  std::unique_ptr<RedisConnection> conn_;
  std::string cursor_ = "0-0";
  Clock::time_point next_claim_ = Clock::now();
};

}  // namespace

RedisWorkers::RedisWorkers(Bank& bank, const MatchConfig& config, RedisWorkerOptions options)
    : matcher_(bank, config), options_(std::move(options)) {}

RedisWorkers::~RedisWorkers() {
  stop();
  join();
}

void RedisWorkers::start() {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { run(i); });
}

void RedisWorkers::stop() { stopping_ = true; }

void RedisWorkers::join() {
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void RedisWorkers::run(int index) {
  // Distinct names: a consumer's pending entries are its own, and XAUTOCLAIM must be
  // able to tell a dead worker's entries from a live one's.
  const std::string consumer =
      options_.workers > 1 ? options_.consumer + "-" + std::to_string(index) : options_.consumer;
  Worker(matcher_, options_, stats_, stopping_, consumer).run();
}

nlohmann::json RedisWorkers::stats_json() const {
  return {{"redis",
           {{"url", options_.address.url()},
            {"stream", options_.stream},
            {"group", options_.group},
            {"results", options_.results},
            {"workers", options_.workers},
            {"jobs_done", stats_.done.load()},
            {"jobs_failed", stats_.failed.load()},
            {"jobs_reclaimed", stats_.reclaimed.load()},
            {"jobs_duplicate", stats_.duplicates.load()},
            {"jobs_retried", stats_.retried.load()},
            {"jobs_dead_lettered", stats_.dead_lettered.load()},
            {"connection_losses", stats_.connection_losses.load()},
            {"connect_failures", stats_.connect_failures.load()},
            {"frames_hashed", stats_.frames_hashed.load()}}}};
}

}  // namespace vhm::serve
