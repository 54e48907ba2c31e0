// A checksum of the bank's frame rows (id, hash, inside-bars hash), kept in the store,
// so that the index cache can prove it was built from *this* database's hashes.
//
// Why: the cache was checked against SQLite by generation, frame ids and counts only.
// Restore bank.sqlite from a backup and add a content, and the generation, the ids and
// the counts come out as they were in the abandoned history the cache was built from:
// the cache passed, the new hashes were not found and the abandoned ones were reported
// under the new content's id.
//
// How: the checksum is an order-independent sum (mod 2^64) of a 64-bit mix of each row,
// so the checksum of the rows up to frame id M is the total less the rows after M (the
// rows a cache load reads anyway, as its delta). Every commit keeps the total in the
// meta row 'frames_checksum' as "<generation> <16 hex digits>". A record of an older
// generation (a commit by a vhm that does not keep it) is stale: the next writer, or an
// open that finds the write lock free, recomputes it from every row.
#pragma once

#include <cstdint>
#include <optional>

#include "bank/checksums.h"
#include "bank/sqlite_ptr.h"
#include "core/status.h"

namespace vhm {

// These read and write the record through an SQLite connection: they are the SQLite
// store's (sqlite_store.h), inside its transactions; the value type is checksums.h's.

// The checksum of the frame rows with id > after_id, read in the caller's transaction.
Result<FramesChecksum> checksum_frames_after(const SqliteDb& db, int64_t after_id);

// The recorded total, if it was recorded at `generation`; nullopt when absent or stale.
Result<std::optional<FramesChecksum>> recorded_frames_checksum(const SqliteDb& db, int64_t generation);

// For a writer inside its transaction, after its rows are written, committing
// `generation`: the record of generation - 1 moved on by `added` (the rows it wrote),
// or, when the record was stale or absent, recomputed from every row.
Status advance_frames_checksum(const SqliteDb& db, int64_t generation, const FramesChecksum& added);

// Recomputes the record from every row now, at the current generation, in its own
// write transaction (verify --rebuild-index, when the rows no longer add up to it).
Status record_frames_checksum_now(const SqliteDb& db);

// At open: recomputes a stale or absent record if the write lock can be had at once
// (an add running elsewhere is never waited for: it brings the record up to date
// itself); the connection's busy timeout is `busy_timeout_ms` again afterwards.
// Returns whether the record is now current.
Result<bool> refresh_stale_frames_checksum(const SqliteDb& db, int busy_timeout_ms);

}  // namespace vhm
