// IndexSnapshot: an immutable picture of what a Bank can search, the one object a
// lookup holds (as RocksDB's readers hold a SuperVersion). A lookup copies the
// shared_ptr under a mutex held for that copy alone, then searches without any lock:
// refreshes and merges build a new snapshot beside it and swap it in (live_index.h).
//
//   main     the main HashIndex: every frame <= main_max_frame_id of the contents live
//            when it was built, and the inside-bars code of each that has one;
//   deltas   small `flat` indexes of the frames committed after it;
//   removed  tombstoned content ids, filtered at query time;
//   chunks   the frame id -> content map, per content (first frame id, frame count).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "bank/bank.h"
#include "bank/checksums.h"
#include "index/hash_index.h"

namespace vhm {

struct ContentSpan {
  int64_t first_frame_id = 0;
  int64_t content_id = 0;
  int64_t frame_count = 0;
  ContentKind type = ContentKind::kVideo;
};
using SpanChunk = std::vector<ContentSpan>;  // sorted by first_frame_id (= by content id)
using RemovedSet = std::unordered_set<int64_t>;

struct DeltaSegment {
  std::shared_ptr<const HashIndex> index;
  std::shared_ptr<const std::vector<Hash256>> codes;  // kept for compaction
  std::shared_ptr<const std::vector<HashId>> ids;     // index ids (bank_index_ids.h)
  int64_t inside_bars = 0;                            // of those, inside-bars codes
  int64_t lo = 0;                                     // holds frames lo < id <= hi (of contents live when read)
  int64_t hi = 0;
};

// Where the main index came from: typed, so that no caller reads the text.
enum class IndexOrigin { kCache, kRebuilt, kMerged };

struct IndexSnapshot {
  std::shared_ptr<const HashIndex> main;
  int64_t main_max_frame_id = 0;  // main holds frames <= this (of contents live at its build)
  int64_t main_inside_bars = 0;   // inside-bars codes among main's
  std::vector<DeltaSegment> deltas;
  std::vector<std::shared_ptr<const SpanChunk>> chunks;
  std::shared_ptr<const RemovedSet> removed;
  int64_t generation = 0;  // every commit up to this one is reflected
  int64_t max_content_id = 0;
  int64_t max_frame_id = 0;
  FramesChecksum frames_checksum;  // of every frame row <= max_frame_id (frames_checksum.h)
  // The store's record agreed with frames_checksum when this snapshot was built: only
  // then does a later disagreement mean the database was replaced (a record that never
  // matched its rows is verify's finding, not a reason to rebuild at every lookup).
  bool record_agrees = false;
  IndexOrigin origin = IndexOrigin::kRebuilt;
  std::string rebuilt_because;  // kRebuilt: why ("no cache", "cache <reason>")

  // BankIndexInfo::origin: "cache", "rebuilt (<why>)", "merged".
  std::string origin_text() const;
  int64_t delta_codes() const;
  int64_t delta_inside_bars() const;
  // The content span holding a frame id; nullptr when none does (a damaged bank).
  const ContentSpan* find(int64_t frame_id) const;

  // Every frame within max_distance of each query, once per (query, frame), tombstoned
  // contents left out, sorted by (query, content id, frame id): Bank::lookup's answer.
  // `main_threads`: SearchOptions::threads for the main index; errors name `subject`.
  Result<std::vector<BankHit>> search(std::span<const Hash256> queries, int max_distance, const LookupOptions& options,
                                      int main_threads, const std::string& subject) const;
};

}  // namespace vhm
