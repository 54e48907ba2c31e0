// run_ordered: a batch over n items on `jobs` worker threads whose results are handed
// back in input order on the calling thread. At most `window` finished results wait
// for their turn, so memory stays bounded however long the batch is (back-pressure:
// a worker that runs ahead of the window waits).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace vhm {

template <typename Result, typename Work, typename Emit>
void run_ordered(size_t n, int jobs, Work&& work, Emit&& emit, const std::function<void()>& tick = {},
                 std::chrono::milliseconds tick_every = std::chrono::milliseconds(250)) {
  if (jobs < 1) jobs = 1;
  const size_t window = static_cast<size_t>(jobs) * 2;
  std::vector<std::optional<Result>> slots(window);
  std::mutex mu;
  std::condition_variable ready;     // a slot was filled
  std::condition_variable advanced;  // the emitted frontier moved
  size_t next_to_take = 0, next_to_emit = 0;

  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock lock(mu);
        advanced.wait(lock, [&] { return next_to_take >= n || next_to_take < next_to_emit + window; });
        if (next_to_take >= n) return;
        i = next_to_take++;
      }
      Result r = work(i);
      {
        std::lock_guard lock(mu);
        slots[i % window] = std::move(r);
      }
      ready.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs && static_cast<size_t>(t) < n; ++t) threads.emplace_back(worker);

  while (next_to_emit < n) {
    std::optional<Result> r;
    {
      std::unique_lock lock(mu);
      while (!slots[next_to_emit % window]) {
        if (tick) {
          lock.unlock();
          tick();
          lock.lock();
          ready.wait_for(lock, tick_every);
        } else {
          ready.wait(lock);
        }
      }
      r = std::move(slots[next_to_emit % window]);
      slots[next_to_emit % window].reset();
    }
    emit(next_to_emit, std::move(*r));
    {
      std::lock_guard lock(mu);
      ++next_to_emit;
    }
    advanced.notify_all();
  }
  for (auto& t : threads) t.join();
}

}  // namespace vhm
