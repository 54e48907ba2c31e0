// What SQLite says an index cache built at (generation, max frame id) must hold: the
// count and an order-independent checksum of its index ids, and a few ids to
// spot-check the loaded index with. The contents' frame counts in the database are
// never trusted to size a loop or an allocation: they are checked against the frame
// rows first.
#pragma once

#include <cstdint>
#include <vector>

#include "bank/frames_checksum.h"
#include "bank/sqlite_ptr.h"
#include "core/status.h"
#include "index/hash_index.h"

namespace vhm {

// Order-independent checksum of a set of index ids.
struct IdChecksum {
  int64_t count = 0;
  uint64_t sum = 0;
  void add(int64_t id) {
    ++count;
    sum += mix64(static_cast<uint64_t>(id));
  }
};

// What a cache made at (generation, max_frame_id) must hold: every frame up to
// max_frame_id of the contents live at that generation, and the inside-bars code of each
// of those frames that has one. Also index ids to spot-check the loaded index with: up
// to 16 frames and 4 inside-bars codes, evenly spread.
struct ExpectedCache {
  IdChecksum ids;           // every index id
  int64_t inside_bars = 0;  // inside-bars codes among them
  std::vector<HashId> probes;
};

// Read in the caller's transaction. kCorrupt when a content's frame range does not fit
// the frame rows (a damaged frame_count: 2^63 frames was a loop that never ended).
Result<ExpectedCache> expected_cache(const SqliteDb& db, int64_t generation, int64_t max_frame_id);

}  // namespace vhm
