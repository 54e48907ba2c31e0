// The main index's on-disk cache, <bank>/index.vhmidx with its .meta: loaded only when
// it passes every check against the store (docs/BANK.md, "At open"), written after a
// rebuild or a merge. The files themselves are read as outside bytes
// (index_cache_files.h): nothing in them can make this throw, block or allocate beyond
// the file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bank/bank_store.h"
#include "bank/checksums.h"
#include "bank/main_index_build.h"
#include "core/status.h"
#include "index/hash_index.h"

namespace vhm {

// A cache that passed every check.
struct LoadedCache {
  std::shared_ptr<const HashIndex> index;
  int64_t generation = 0;
  int64_t max_frame_id = 0;
  int64_t inside_bars = 0;  // inside-bars codes it holds
  FramesChecksum frames;    // of the frame rows <= max_frame_id it was built from
};

// Whether the cache can be used, and why not: typed, so no caller reads the message.
enum class CacheVerdict { kUsable, kMissing, kRejected };
struct CacheCheck {
  CacheVerdict verdict = CacheVerdict::kUsable;
  std::string reason;  // kRejected: why, for the log, the origin and verify's report
};

struct IndexCacheLocation {
  std::string dir;   // the bank directory: the files' home, and what errors name
  std::string spec;  // the index spec the bank wants
};

// Loads the cache into `out` if it is consistent with the store (a short read); the
// reason it is not otherwise. `search_threads` for the spot-check lookups.
CacheCheck load_index_cache(const IndexCacheLocation& where, BankStore& store, int search_threads, LoadedCache& out);

// Writes the cache for a build: index then metadata, each through a temporary file
// renamed into place (a reader that pairs a new index with old metadata sees the
// checksum differ and rebuilds), under index.vhmidx.lock (waited for up to
// lock_timeout_ms).
Status save_index_cache(const IndexCacheLocation& where, const MainIndexBuild& build, int lock_timeout_ms);

}  // namespace vhm
