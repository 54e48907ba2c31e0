// The SQLite side of whole-content signals (bank format 4: content_signals,
// content_signal_vectors; docs/BANK.md "Schema"): the add's writes and the reads of
// lookups, export, stats and verify. Each function runs inside the caller's
// transaction on the caller's connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "bank/bank_store.h"
#include "bank/sqlite_ptr.h"

namespace vhm {

// Writes a content's values (exact duplicates once) and, for those that have one, their
// first-cut vector. The values were checked (check_content_signal).
Status sqlite_insert_content_signals(const SqliteDb& db, int64_t content_id, std::span<const ContentSignal> signals);

Result<std::vector<int64_t>> sqlite_contents_with_digest(const SqliteDb& db, SignalId signal,
                                                         std::span<const uint8_t> digest);
Result<bool> sqlite_holds_live_digest(const SqliteDb& db, SignalId signal);
// A value of a signal this vhm does not know is skipped (verify counts it).
Status sqlite_read_content_signals(const SqliteDb& db, int64_t content_id, std::vector<ContentSignal>& signals);
Status sqlite_scan_signal_vectors(const SqliteDb& db, SignalId signal, int64_t after_signal_row,
                                  const std::function<Status(const SignalVectorRow&)>& fn);
Result<std::optional<LiveSignalValue>> sqlite_live_signal_value(const SqliteDb& db, int64_t signal_row);
// Live contents' values per signal, and live contents without a frame.
Status sqlite_signal_counts(const SqliteDb& db, StoreCounts& counts);
Result<SignalViolations> sqlite_signal_violations(const SqliteDb& db);

}  // namespace vhm
