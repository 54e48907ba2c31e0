// LiveIndex: what an open Bank searches, kept up to date with its store. It owns the
// current IndexSnapshot (index_snapshot.h) and replaces it, never changes it:
//   - load: the main index from the cache when it passes every check (index_cache.h),
//     else rebuilt from the store (and the cache rewritten);
//   - refresh: the frames committed since become a delta segment, new contents new
//     spans, new removals tombstones (more than 8 deltas are compacted into one);
//   - merge: once the deltas pass merge_frames codes, a background thread rebuilds the
//     main index from one store snapshot and swaps it in, keeping what is newer.
// A store that went back in time or whose frames no longer add up to the state's
// record (bank.sqlite replaced) makes a refresh drop the state; the next sync rebuilds.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bank/bank.h"
#include "bank/bank_store.h"
#include "bank/index_cache.h"
#include "bank/index_snapshot.h"
#include "bank/main_index_build.h"
#include "core/status.h"

namespace vhm {

struct LiveIndexOptions {
  SignalId signal = SignalId::kPdq;   // whose codes it holds (its hits say so)
  std::string spec = "mih";           // the main index's factory string
  bool save_index = true;             // write the cache after a rebuild or a merge
  bool background_merge = true;       // merge the deltas on a thread once they pass merge_frames
  int64_t merge_frames = 1 << 16;     // delta codes that make a merge worthwhile
  int search_threads = 0;             // SearchOptions::threads for the main index (0: all cores)
  int cache_lock_timeout_ms = 30000;  // how long a cache write waits for another process's
};

class LiveIndex {
 public:
  // `store` must outlive this.
  LiveIndex(BankStore& store, LiveIndexOptions options);
  // Stops a background merge (between batches) and joins it.
  ~LiveIndex();
  LiveIndex(const LiveIndex&) = delete;
  LiveIndex& operator=(const LiveIndex&) = delete;

  const LiveIndexOptions& options() const { return options_; }

  // What a lookup searches; nullptr until loaded (or after the store was replaced).
  std::shared_ptr<const IndexSnapshot> current() const;
  // Loads or builds the index if it is not there yet.
  Status ensure_loaded();
  // Makes sure the snapshot reflects every commit made before the call. The common
  // case, nothing committed since, costs one store data-version check and no lock here.
  Status sync();
  // Rebuilds the main index from the store now and swaps it in; saves the cache.
  Status merge_now();
  // Joins the background merge thread, if one is running.
  void wait_for_merge();
  // Would the cache on disk be used now (verify)? Loads nothing into the snapshot.
  CacheCheck check_cache() const;
  BankIndexInfo info() const;

 private:
  // What a refresh did: brought the state up to date, or dropped it because the
  // store is not the one it was built from; the caller rebuilds.
  enum class Refreshed { kUpToDate, kStartOver };

  void publish(std::shared_ptr<const IndexSnapshot> next);
  Status ensure_loaded_locked();       // under refresh_mutex_
  Result<Refreshed> refresh_locked();  // under refresh_mutex_
  Status compact(IndexSnapshot& s) const;
  void maybe_start_merge(const IndexSnapshot& s);  // under refresh_mutex_
  void save_cache_logged(const MainIndexBuild& build) const;

  BankStore& store_;
  const LiveIndexOptions options_;
  const IndexCacheLocation cache_;

  // Lock order (a lock may be taken while holding those to its left, never the reverse):
  //
  //   merge_mutex_ -> refresh_mutex_ -> thread_mutex_
  //                                  -> state_mutex_
  //                                  -> the store's locks (data_version, short reads),
  //                                     index.vhmidx.lock (cache writes)
  //
  // state_mutex_ is innermost: held only to copy or swap the snapshot pointer, never
  // while calling anything. Lookups take state_mutex_ alone (and the store's
  // data-version check); they never wait for a refresh being read or a merge being
  // built. The merge thread takes merge_mutex_, reads the store on a connection of its
  // own (no store lock), then refresh_mutex_ to publish. maybe_start_merge joins a
  // finished merge thread under refresh_mutex_ and thread_mutex_: that thread is past
  // every lock by then (it only ever loops again when it set merging_ itself, and then
  // nobody joins it).
  //
  // Atomics never guard other data here: synced_data_version_ is a hint (the state it
  // speaks of is read under state_mutex_ after it); merging_ is a ticket (whoever turns
  // it from false to true runs the next merge); stopping_ is a flag; merges_ a counter.
  std::mutex merge_mutex_;            // one merge build at a time
  mutable std::mutex refresh_mutex_;  // state transitions (load, refresh, merge publish) one at a time
  mutable std::mutex state_mutex_;    // guards state_ (the pointer)
  std::shared_ptr<const IndexSnapshot> state_;
  std::atomic<int64_t> synced_data_version_{-1};  // the store's data version state_ reflects

  std::mutex thread_mutex_;  // guards merge_thread_ (the object, not the work)
  std::thread merge_thread_;
  std::atomic<bool> merging_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> merges_{0};
};

}  // namespace vhm
