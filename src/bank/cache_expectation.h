// What SQLite says an index cache built at (generation, max frame id) must hold: the
// count and an order-independent checksum of its index ids, and a few ids to
// spot-check the loaded index with. The contents' frame counts in the database are
// never trusted to size a loop or an allocation: they are checked against the frame
// rows first.
#pragma once

#include <cstdint>
#include <vector>

#include "bank/bank_store.h"
#include "bank/sqlite_ptr.h"
#include "core/status.h"
#include "index/hash_index.h"

namespace vhm {

// ExpectedCache (bank_store.h), read through SQLite: the SQLite store's.
// Read in the caller's transaction. kCorrupt when a content's frame range does not fit
// the frame rows (a damaged frame_count: 2^63 frames was a loop that never ended).
Result<ExpectedCache> expected_cache(const SqliteDb& db, int64_t generation, int64_t max_frame_id);

}  // namespace vhm
