#include "bank/sqlite_store_reader.h"

#include <algorithm>
#include <array>
#include <utility>

#include "bank/cache_expectation.h"
#include "bank/frames_checksum.h"
#include "bank/hash_blob.h"
#include "bank/sqlite_rows.h"
#include "bank/sqlite_signals.h"
#include "signal/signal_registry.h"

namespace vhm {

Result<std::unique_ptr<BankStoreReader>> SqliteStoreReader::begin(const SqliteDb& db,
                                                                  std::unique_lock<std::mutex> lock) {
  std::unique_ptr<SqliteStoreReader> r(new SqliteStoreReader());
  r->lock_ = std::move(lock);
  r->db_ = &db;
  VHM_RETURN_IF_ERROR(r->start());
  return std::unique_ptr<BankStoreReader>(std::move(r));
}

Result<std::unique_ptr<BankStoreReader>> SqliteStoreReader::begin(SqliteDb own) {
  std::unique_ptr<SqliteStoreReader> r(new SqliteStoreReader());
  r->own_ = std::move(own);
  r->db_ = &r->own_;
  VHM_RETURN_IF_ERROR(r->start());
  return std::unique_ptr<BankStoreReader>(std::move(r));
}

Status SqliteStoreReader::start() {
  auto txn = SqliteTransaction::begin(*db_, "BEGIN");
  if (!txn) return txn.status();
  txn_.emplace(std::move(txn).value());
  return Status::ok();
}

Status SqliteStoreReader::finish() {
  if (!txn_) return Status::ok();
  Status st = txn_->commit();
  txn_.reset();
  return st;
}

Result<int64_t> SqliteStoreReader::generation() { return sqlite_read_generation(*db_); }

Result<std::string> SqliteStoreReader::meta_value(const std::string& key) { return sqlite_meta_value(*db_, key); }
Result<std::optional<std::string>> SqliteStoreReader::find_meta_value(const std::string& key) {
  return sqlite_find_meta_value(*db_, key);
}

Result<std::map<std::string, std::string>> SqliteStoreReader::meta_values_with_prefix(const std::string& prefix) {
  // substr, not LIKE: a '_' or '%' in the prefix is a character here.
  auto stmt = db_->prepare("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key");
  if (!stmt) return stmt.status();
  stmt->bind(1, static_cast<int64_t>(prefix.size())).bind(2, prefix);
  std::map<std::string, std::string> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return row.status();
    if (!*row) break;
    out[stmt->column_text(0).substr(prefix.size())] = stmt->column_text(1);
  }
  return out;
}

Result<std::optional<FramesChecksum>> SqliteStoreReader::recorded_frames_checksum(int64_t generation) {
  return vhm::recorded_frames_checksum(*db_, generation);
}

Result<FramesChecksum> SqliteStoreReader::checksum_frames_after(int64_t after_frame_id) {
  return vhm::checksum_frames_after(*db_, after_frame_id);
}

Status SqliteStoreReader::for_each_content_span(int64_t after_content_id,
                                                const std::function<Status(const ContentSpanRow&)>& fn) {
  auto s = db_->prepare(
      "SELECT id, first_frame_id, frame_count, signal_type, removed_generation FROM contents WHERE id > ? ORDER BY id");
  if (!s) return s.status();
  s->bind(1, after_content_id);
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
    const ContentSpanRow span{s->column_int(0), s->column_int(1), s->column_int(2),
                              parse_content_kind(s->column_text(3)).value_or(ContentKind::kVideo),
                              !s->column_is_null(4)};
    VHM_RETURN_IF_ERROR(fn(span));
  }
}

Result<std::vector<int64_t>> SqliteStoreReader::removed_after(int64_t generation) {
  auto r = db_->prepare("SELECT id FROM contents WHERE removed_generation > ?");
  if (!r) return r.status();
  r->bind(1, generation);
  std::vector<int64_t> ids;
  while (true) {
    auto row = r->step();
    if (!row) return row.status();
    if (!*row) return ids;
    ids.push_back(r->column_int(0));
  }
}

Status SqliteStoreReader::scan_frames(int64_t after_frame_id, size_t batch_rows,
                                      const std::function<Status(std::span<const FrameCodesRow>)>& fn) {
  auto s = db_->prepare("SELECT id, content_id, hash, inside_bars_hash, signal FROM frames WHERE id > ? ORDER BY id");
  if (!s) return s.status();
  s->bind(1, after_frame_id);
  batch_rows = std::max<size_t>(batch_rows, 1);
  // A row's blobs are SQLite's only until the next step: the batch copies them, and the
  // rows' spans are pointed at the copies once the batch is complete (the buffer may
  // move while it fills).
  std::vector<FrameCodesRow> rows;
  std::vector<std::array<size_t, 3>> at;  // per row: hash offset, hash size, inside-bars size
  std::vector<uint8_t> bytes;
  rows.reserve(batch_rows);
  at.reserve(batch_rows);
  bytes.reserve(batch_rows * 64);
  auto flush = [&]() -> Status {
    if (rows.empty()) return Status::ok();
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i].hash = {bytes.data() + at[i][0], at[i][1]};
      rows[i].inside_bars = {bytes.data() + at[i][0] + at[i][1], at[i][2]};
    }
    Status st = fn(rows);
    rows.clear();
    at.clear();
    bytes.clear();
    return st;
  };
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    const auto hash = s->column_blob(2), bars = s->column_blob(3);
    at.push_back({bytes.size(), hash.size(), bars.size()});
    bytes.insert(bytes.end(), hash.begin(), hash.end());
    bytes.insert(bytes.end(), bars.begin(), bars.end());
    FrameCodesRow r;
    r.id = s->column_int(0);
    r.content_id = s->column_int(1);
    r.has_inside_bars = !s->column_is_null(3);
    r.signal = parse_signal_name(s->column_text(4));
    rows.push_back(r);
    if (rows.size() == batch_rows) VHM_RETURN_IF_ERROR(flush());
  }
  return flush();
}

Result<ExpectedCache> SqliteStoreReader::expected_cache(int64_t generation, int64_t max_frame_id) {
  return vhm::expected_cache(*db_, generation, max_frame_id);
}

Result<std::optional<Hash256>> SqliteStoreReader::frame_code(int64_t frame_id, bool inside_bars) {
  auto s = db_->prepare(inside_bars ? "SELECT inside_bars_hash FROM frames WHERE id = ?"
                                    : "SELECT hash FROM frames WHERE id = ?");
  if (!s) return s.status();
  s->bind(1, frame_id);
  auto row = s->step();
  if (!row) return row.status();
  Hash256 h;
  if (!*row || !hash_from_blob(s->column_blob(0), h)) return std::optional<Hash256>();
  return std::optional<Hash256>(h);
}

Result<ContentInfo> SqliteStoreReader::find_content(const ContentRef& ref) { return sqlite_find_content(*db_, ref); }

Status SqliteStoreReader::read_frames(const ContentInfo& content, std::vector<FrameHash>& frames) {
  return sqlite_read_frames(*db_, content, frames);
}

Status SqliteStoreReader::for_each_content(
    bool include_removed, const std::function<Status(const ContentInfo&, std::span<const FrameHash>)>& fn) {
  return for_each_content_with_signals(include_removed, [&](const ContentInfo& c, std::span<const FrameHash> frames,
                                                            std::span<const ContentSignal>) { return fn(c, frames); });
}

Status SqliteStoreReader::for_each_content_with_signals(
    bool include_removed,
    const std::function<Status(const ContentInfo&, std::span<const FrameHash>, std::span<const ContentSignal>)>& fn) {
  auto s = db_->prepare(std::string("SELECT ") + kSqliteContentColumns + " FROM contents " +
                        (include_removed ? "" : "WHERE removed_at IS NULL ") + "ORDER BY id");
  if (!s) return s.status();
  std::vector<FrameHash> frames;
  std::vector<ContentSignal> signals;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
    const ContentInfo c = sqlite_content_from_row(*s);
    VHM_RETURN_IF_ERROR(sqlite_read_frames(*db_, c, frames));
    VHM_RETURN_IF_ERROR(sqlite_read_content_signals(*db_, c.id, signals));
    VHM_RETURN_IF_ERROR(fn(c, frames, signals));
  }
}

Result<std::vector<int64_t>> SqliteStoreReader::contents_with_digest(SignalId signal, std::span<const uint8_t> digest) {
  return sqlite_contents_with_digest(*db_, signal, digest);
}

Result<bool> SqliteStoreReader::holds_live_digest(SignalId signal) { return sqlite_holds_live_digest(*db_, signal); }

Status SqliteStoreReader::read_content_signals(int64_t content_id, std::vector<ContentSignal>& signals) {
  return sqlite_read_content_signals(*db_, content_id, signals);
}

Status SqliteStoreReader::scan_signal_vectors(SignalId signal, int64_t after_signal_row,
                                              const std::function<Status(const SignalVectorRow&)>& fn) {
  return sqlite_scan_signal_vectors(*db_, signal, after_signal_row, fn);
}

Result<std::optional<LiveSignalValue>> SqliteStoreReader::live_signal_value(int64_t signal_row) {
  return sqlite_live_signal_value(*db_, signal_row);
}

Result<SignalViolations> SqliteStoreReader::signal_violations() { return sqlite_signal_violations(*db_); }

Result<StoreCounts> SqliteStoreReader::counts() {
  auto s = db_->prepare(
      "SELECT coalesce(sum(removed_at IS NULL), 0), coalesce(sum(removed_at IS NOT NULL), 0), "
      "coalesce(sum(removed_at IS NULL AND signal_type = 'video'), 0), "
      "coalesce(sum(removed_at IS NULL AND signal_type = 'pdq'), 0), "
      // total(), not sum(): a damaged frame_count must not turn stats into an
      // "integer overflow" error (the counts are far below 2^53 in any real bank).
      "CAST(total(CASE WHEN removed_at IS NULL THEN frame_count ELSE 0 END) AS INTEGER), "
      "CAST(total(frame_count) AS INTEGER) FROM contents");
  if (!s) return s.status();
  auto row = s->step();
  if (!row) return row.status();
  StoreCounts c;
  c.contents_live = s->column_int(0);
  c.contents_removed = s->column_int(1);
  c.video_contents = s->column_int(2);
  c.image_contents = s->column_int(3);
  c.frames_live = s->column_int(4);
  c.frames_total = s->column_int(5);
  // Reads only the frames that have an inside-bars hash (the partial index).
  auto bars = db_->query_int(
      "SELECT count(*) FROM frames f JOIN contents c ON c.id = f.content_id "
      "WHERE f.inside_bars_hash IS NOT NULL AND c.removed_at IS NULL");
  if (!bars) return bars.status();
  c.frames_inside_bars = *bars;
  VHM_RETURN_IF_ERROR(sqlite_signal_counts(*db_, c));
  return c;
}

Result<StorageCheck> SqliteStoreReader::check_storage() {
  auto s = db_->prepare("PRAGMA integrity_check");
  if (!s) return s.status();
  std::string verdict;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    if (!verdict.empty()) verdict += "; ";
    verdict += s->column_text(0);
  }
  return StorageCheck{verdict == "ok", verdict};  // "ok" is SQLite's word for a sound database
}

Result<StoreRowCounts> SqliteStoreReader::row_counts() {
  StoreRowCounts c;
  auto contents = db_->query_int("SELECT count(*) FROM contents");
  if (!contents) return contents.status();
  auto frames = db_->query_int("SELECT count(*) FROM frames");
  if (!frames) return frames.status();
  auto barred = db_->query_int("SELECT count(*) FROM frames WHERE inside_bars_hash IS NOT NULL");
  if (!barred) return barred.status();
  c.contents = *contents;
  c.frames = *frames;
  c.frames_inside_bars = *barred;
  return c;
}

Result<InvariantViolations> SqliteStoreReader::invariant_violations(int64_t generation) {
  InvariantViolations v;
  auto count = [&](int64_t& into, const std::string& sql) -> Status {
    auto n = db_->query_int(sql);
    if (!n) return n.status();
    into = *n;
    return Status::ok();
  };
  VHM_RETURN_IF_ERROR(
      count(v.frames_outside_ranges,
            "SELECT count(*) FROM frames f LEFT JOIN contents c ON c.id = f.content_id "
            "WHERE c.id IS NULL OR f.id < c.first_frame_id OR f.id >= c.first_frame_id + c.frame_count"));
  VHM_RETURN_IF_ERROR(count(v.contents_miscounted,
                            "SELECT count(*) FROM contents c WHERE c.frame_count != (SELECT count(*) FROM frames f "
                            "WHERE f.id BETWEEN c.first_frame_id AND c.first_frame_id + c.frame_count - 1 "
                            "AND f.content_id = c.id)"));
  VHM_RETURN_IF_ERROR(count(v.malformed_frames,
                            "SELECT count(*) FROM frames WHERE typeof(hash) != 'blob' OR length(hash) != 32 "
                            "OR quality NOT BETWEEN 0 AND 100 OR frame < 0"));
  VHM_RETURN_IF_ERROR(count(v.malformed_inside_bars,
                            "SELECT count(*) FROM frames "
                            "WHERE (inside_bars_hash IS NULL) != (inside_bars_quality IS NULL) "
                            "OR (inside_bars_hash IS NOT NULL AND (typeof(inside_bars_hash) != 'blob' "
                            "OR length(inside_bars_hash) != 32 OR inside_bars_quality NOT BETWEEN 0 AND 100))"));
  VHM_RETURN_IF_ERROR(count(
      v.duplicate_hashes, "SELECT count(*) FROM (SELECT 1 FROM frames GROUP BY content_id, hash HAVING count(*) > 1)"));
  VHM_RETURN_IF_ERROR(
      count(v.image_not_one_frame, "SELECT count(*) FROM contents WHERE signal_type = 'pdq' AND frame_count != 1"));
  std::string known;  // the registry's names as an SQL list: 'pdq'
  for (const SignalType* s : builtin_signals().all())
    known += (known.empty() ? "'" : ", '") + std::string(s->name()) + "'";
  VHM_RETURN_IF_ERROR(
      count(v.frames_of_unknown_signal, "SELECT count(*) FROM frames WHERE signal NOT IN (" + known + ")"));
  VHM_RETURN_IF_ERROR(count(v.from_later_generation,
                            "SELECT count(*) FROM contents WHERE added_generation > " + std::to_string(generation) +
                                " OR coalesce(removed_generation, 0) > " + std::to_string(generation)));
  VHM_RETURN_IF_ERROR(count(v.overlapping_ranges,
                            "SELECT count(*) FROM contents a JOIN contents b ON b.id = (SELECT min(id) FROM contents "
                            "WHERE id > a.id) WHERE b.first_frame_id < a.first_frame_id + a.frame_count"));
  return v;
}

Result<int64_t> SqliteStoreReader::pending_add_count() { return db_->query_int("SELECT count(*) FROM pending_adds"); }

Status SqliteStoreReader::for_each_probe_frame(int64_t spacing, const std::function<Status(const FrameCodesRow&)>& fn) {
  auto s = db_->prepare(
      "SELECT f.id, f.content_id, f.hash, c.removed_at IS NOT NULL FROM frames f "
      "JOIN contents c ON c.id = f.content_id WHERE (f.id - 1) % ? = 0 ORDER BY f.id");
  if (!s) return s.status();
  s->bind(1, spacing);
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
    FrameCodesRow r;
    r.id = s->column_int(0);
    r.content_id = s->column_int(1);
    r.hash = s->column_blob(2);
    r.content_removed = s->column_int(3) != 0;
    VHM_RETURN_IF_ERROR(fn(r));
  }
}

Status SqliteStoreReader::for_each_inside_bars_frame(const std::function<Status(const FrameCodesRow&)>& fn) {
  auto b = db_->prepare(
      "SELECT f.id, f.content_id, f.hash, f.inside_bars_hash, c.removed_at IS NOT NULL FROM frames f "
      "JOIN contents c ON c.id = f.content_id WHERE f.inside_bars_hash IS NOT NULL ORDER BY f.id");
  if (!b) return b.status();
  while (true) {
    auto row = b->step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
    FrameCodesRow r;
    r.id = b->column_int(0);
    r.content_id = b->column_int(1);
    r.hash = b->column_blob(2);
    r.inside_bars = b->column_blob(3);
    r.has_inside_bars = true;
    r.content_removed = b->column_int(4) != 0;
    VHM_RETURN_IF_ERROR(fn(r));
  }
}

}  // namespace vhm
