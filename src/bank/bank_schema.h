// The bank's SQLite schema and its formats: what `Bank::create` writes, the check every
// open makes, and the in-place migration of a bank written by an older vhm.
//
// Formats (PRAGMA user_version, also meta 'format'):
//   1  contents, frames (as hashed), pending_adds, meta
//   2  frames gain inside_bars_hash (32 bytes) and inside_bars_quality, NULL for a frame
//      without bars, and a partial index of the frames that have them
//   3  frames gain signal: the stored name of the signal (signal/signal_registry.h) its
//      hashes are of; 'pdq' for every frame a format-2 bank held
//   4  contents may hold no frame (contents rebuilt: frame_count >= 0); content_signals
//      (content_id, signal, digest or value) holds whole-content signals (video_md5,
//      video_sha256: digest; tmk: the .tmk file as value), content_signal_vectors the
//      vector a first cut reads of a value (TMK: its pure average, 256 float32)
//
// A new bank is made by running format 1's statements and then every migration step,
// so a migrated bank and a new one have the same schema, statement for statement.
#pragma once

#include <cstdint>
#include <string>

#include "bank/sqlite_ptr.h"
#include "core/status.h"

namespace vhm {

// PRAGMA application_id of a vhm bank ("VHMB").
inline constexpr int32_t kBankApplicationId = 0x56484D42;

// Creates the current format's tables in an empty database and stamps application_id
// and user_version. Runs inside the caller's transaction (meta rows are the caller's).
Status create_bank_schema(const SqliteDb& db);

// Checks that `db` is a vhm bank of a format this vhm reads, whose tables have every
// column the current format has (kCorrupt naming what is missing: a damaged bank, not a
// vhm bug). An older format is migrated in place, in one write transaction (a crash
// leaves it as it was); the note says so and is empty when nothing was migrated. A
// newer format is refused (kUnsupported).
Result<std::string> open_bank_schema(const SqliteDb& db);

}  // namespace vhm
