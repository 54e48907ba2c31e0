#include "bank/sqlite_rows.h"

#include <algorithm>
#include <cstdint>

#include "bank/hash_blob.h"

namespace vhm {
namespace {

// Reserved up front for a content's frames at most: frame_count comes from the database
// and is checked against the rows actually read, never allocated from.
constexpr int64_t kMaxFramesReserve = int64_t{1} << 16;

}  // namespace

const char* const kSqliteContentColumns =
    "id, external_id, label, source, signal_type, added_at, removed_at, removed_reason, frame_count, "
    "input_frame_count, first_frame_id, added_generation, removed_generation";

Result<std::optional<std::string>> sqlite_find_meta_value(const SqliteDb& db, const std::string& key) {
  auto stmt = db.prepare("SELECT value FROM meta WHERE key = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->column_text(0));
}

Result<std::string> sqlite_meta_value(const SqliteDb& db, const std::string& key) {
  auto v = sqlite_find_meta_value(db, key);
  if (!v) return v.status();
  if (!*v) return Status(StatusCode::kCorrupt, "bank metadata lacks '" + key + "'", db.subject());
  return std::move(**v);
}

Status sqlite_set_meta(const SqliteDb& db, const std::string& key, const std::string& value) {
  auto stmt =
      db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) return stmt.status();
  stmt->bind(1, key).bind(2, value);
  return stmt->run();
}

Result<int64_t> sqlite_read_generation(const SqliteDb& db) {
  auto v = sqlite_meta_value(db, "generation");
  if (!v) return v.status();
  try {
    return static_cast<int64_t>(std::stoll(*v));
  } catch (const std::exception&) {
    return Status(StatusCode::kCorrupt, "bank generation is not a number: '" + *v + "'", db.subject());
  }
}

ContentInfo sqlite_content_from_row(const SqliteStatement& s) {
  ContentInfo c;
  c.id = s.column_int(0);
  c.meta.external_id = s.column_text(1);
  c.meta.label = s.column_text(2);
  c.meta.source = s.column_text(3);
  c.meta.kind = parse_content_kind(s.column_text(4)).value_or(ContentKind::kVideo);
  c.added_at = s.column_text(5);
  c.removed_at = s.column_text(6);
  c.removed_reason = s.column_text(7);
  c.frame_count = s.column_int(8);
  c.input_frame_count = s.column_int(9);
  c.first_frame_id = s.column_int(10);
  c.added_generation = s.column_int(11);
  c.removed_generation = s.column_is_null(12) ? 0 : s.column_int(12);
  return c;
}

Result<ContentInfo> sqlite_find_content(const SqliteDb& db, const ContentRef& ref) {
  const bool by_external = !ref.external_id.empty();
  auto s = db.prepare(std::string("SELECT ") + kSqliteContentColumns + " FROM contents WHERE " +
                      (by_external ? "external_id = ? ORDER BY (removed_at IS NULL) DESC, id DESC LIMIT 1" : "id = ?"));
  if (!s) return s.status();
  if (by_external) s->bind(1, ref.external_id);
  else s->bind(1, ref.id);
  auto row = s->step();
  if (!row) return row.status();
  if (!*row) return Status(StatusCode::kNotFound, "no content with " + ref.to_string() + " in the bank", db.subject());
  return sqlite_content_from_row(*s);
}

Status sqlite_read_frames(const SqliteDb& db, const ContentInfo& c, std::vector<FrameHash>& frames) {
  auto s = db.prepare(
      "SELECT frame, timestamp, quality, hash, inside_bars_hash, inside_bars_quality FROM frames "
      "WHERE id BETWEEN ? AND ? AND content_id = ? ORDER BY id");
  if (!s) return s.status();
  // frame_count is the database's word: the range end saturates instead of
  // overflowing, and only what is read is held (a damaged count of 2^63 frames was a
  // bad_alloc from reserve()).
  int64_t last = 0;
  if (c.frame_count < 1 || __builtin_add_overflow(c.first_frame_id, c.frame_count - 1, &last))
    last = c.frame_count < 1 ? c.first_frame_id - 1 : INT64_MAX;
  s->bind(1, c.first_frame_id).bind(2, last).bind(3, c.id);
  frames.clear();
  frames.reserve(static_cast<size_t>(std::clamp<int64_t>(c.frame_count, 0, kMaxFramesReserve)));
  const std::string& dir = db.subject();
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    FrameHash f;
    f.index = static_cast<int>(s->column_int(0));
    f.pts_seconds = s->column_double(1);
    f.quality = static_cast<int>(s->column_int(2));
    if (!hash_from_blob(s->column_blob(3), f.hash))
      return {StatusCode::kCorrupt, "content " + std::to_string(c.id) + " has a hash of the wrong size", dir};
    if (!s->column_is_null(4)) {
      if (!hash_from_blob(s->column_blob(4), f.cropped))
        return {StatusCode::kCorrupt, "content " + std::to_string(c.id) + " has an inside-bars hash of the wrong size",
                dir};
      f.has_cropped = true;
      f.cropped_quality = static_cast<int>(s->column_int(5));
    }
    frames.push_back(f);
  }
  if (static_cast<int64_t>(frames.size()) != c.frame_count)
    return {StatusCode::kCorrupt,
            "damaged bank: content " + std::to_string(c.id) + " should have " + std::to_string(c.frame_count) +
                " frames, its frame id range holds " + std::to_string(frames.size()) + " (run 'vhm bank verify')",
            dir};
  return Status::ok();
}

}  // namespace vhm
