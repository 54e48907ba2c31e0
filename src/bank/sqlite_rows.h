// Rows of the bank's SQLite tables as the SQLite store reads and writes them, on any of
// its connections, inside the caller's transaction (docs/BANK.md, "Schema").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "bank/sqlite_ptr.h"
#include "core/status.h"

namespace vhm {

// kCorrupt when the meta table has no row `key`.
Result<std::string> sqlite_meta_value(const SqliteDb& db, const std::string& key);
// nullopt when the meta table has no row `key`.
Result<std::optional<std::string>> sqlite_find_meta_value(const SqliteDb& db, const std::string& key);
Status sqlite_set_meta(const SqliteDb& db, const std::string& key, const std::string& value);
Result<int64_t> sqlite_read_generation(const SqliteDb& db);

// The columns content_from_row reads, in its order.
extern const char* const kSqliteContentColumns;
ContentInfo sqlite_content_from_row(const SqliteStatement& s);

// The content with this id, or the live one with this external id (else the most
// recent removed one); kNotFound naming the bank when none.
Result<ContentInfo> sqlite_find_content(const SqliteDb& db, const ContentRef& ref);

// The content's stored frames in order; kCorrupt when its range does not hold exactly
// frame_count of its rows, or a hash is not 32 bytes.
Status sqlite_read_frames(const SqliteDb& db, const ContentInfo& c, std::vector<FrameHash>& frames);

}  // namespace vhm
