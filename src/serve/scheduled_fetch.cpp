// ScheduledFetch (scheduled_fetch.h).
#include "serve/scheduled_fetch.h"

#include <spdlog/spdlog.h>

#include "core/json_text.h"

namespace vhm::serve {

ScheduledFetch::ScheduledFetch(Bank& bank, std::vector<ExchangeSettings> feeds, std::chrono::milliseconds every)
    : bank_(bank), feeds_(std::move(feeds)), every_(every) {
  // A retry's back-off waits on the schedule's stop, not on a plain sleep.
  for (ExchangeSettings& s : feeds_) s.http.wait = [this](std::chrono::milliseconds d) { return wait(d); };
}

ScheduledFetch::~ScheduledFetch() {
  stop();
  join();
}

void ScheduledFetch::start() {
  thread_ = std::thread([this] { run(); });
}

void ScheduledFetch::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
}

void ScheduledFetch::join() {
  if (thread_.joinable()) thread_.join();
}

bool ScheduledFetch::wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

void ScheduledFetch::run() {
  FetchOptions options;
  options.stop_requested = [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  do {
    for (const ExchangeSettings& settings : feeds_) {
      if (options.stop_requested()) return;
      const FetchSummary summary = fetch_once(bank_, settings, options);
      const nlohmann::json line = fetch_summary_json(summary);
      if (summary.ok()) spdlog::info("fetch {}: {}", summary.exchange, json_text(line));
      else spdlog::warn("fetch {}: {}", summary.exchange, json_text(line));
      std::lock_guard lock(mutex_);
      ++runs_;
      if (!summary.ok()) ++failed_runs_;
      last_[summary.exchange] = line;
    }
  } while (wait(every_));
}

nlohmann::json ScheduledFetch::stats_json() const {
  std::lock_guard lock(mutex_);
  return {{"fetch",
           {{"every_s", static_cast<double>(every_.count()) / 1000},
            {"runs", runs_},
            {"failed_runs", failed_runs_},
            {"last", last_}}}};
}

}  // namespace vhm::serve
