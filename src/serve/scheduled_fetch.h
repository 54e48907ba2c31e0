// vhm serve --fetch-every: the exchanges' feeds applied to the daemon's bank on a
// schedule (exchange/fetch_run.h), on one thread of their own: each feed at start and
// then every interval, one log line per run ("fetch stopncii: {summary}"). A change a
// run commits is seen by the very next request, as any other writer's is.
//
// Thread safety: start, stop and join from one thread (the daemon's main); stats_json
// from any. Lock order: mutex_ alone (nothing is called while holding it, except
// notify).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "exchange/exchange_settings.h"
#include "exchange/fetch_run.h"

namespace vhm::serve {

class ScheduledFetch {
 public:
  ScheduledFetch(Bank& bank, std::vector<ExchangeSettings> feeds, std::chrono::milliseconds every);
  ~ScheduledFetch();
  ScheduledFetch(const ScheduledFetch&) = delete;
  ScheduledFetch& operator=(const ScheduledFetch&) = delete;

  void start();
  // Ends the schedule: a run in progress stops after its current page (a retry's wait
  // ends at once); nothing is half-applied.
  void stop();
  void join();
  // {"fetch": {"every_s", "runs", "failed_runs", "last": {exchange: summary}}} for /v1/stats.
  nlohmann::json stats_json() const;

 private:
  void run();
  // Waits up to `d` or until stop(); false when stopped.
  bool wait(std::chrono::milliseconds d);

  Bank& bank_;
  std::vector<ExchangeSettings> feeds_;
  std::chrono::milliseconds every_;
  mutable std::mutex mutex_;  // guards the fields below
  std::condition_variable wake_;
  bool stopping_ = false;
  int64_t runs_ = 0;
  int64_t failed_runs_ = 0;
  nlohmann::json last_ = nlohmann::json::object();
  std::thread thread_;
};

}  // namespace vhm::serve
