#include "bank/sqlite_store.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "bank/bank_schema.h"
#include "bank/distinct_frames.h"
#include "bank/file_lock.h"
#include "bank/frames_checksum.h"
#include "bank/hash_blob.h"
#include "bank/sqlite_rows.h"
#include "bank/sqlite_signals.h"
#include "bank/sqlite_store_reader.h"
#include "bank/utc_time.h"
#include "signal/signal_registry.h"

namespace vhm {

namespace fs = std::filesystem;

namespace {

// Connection settings every bank connection gets.
Status configure_connection(const SqliteDb& db, int busy_timeout_ms) {
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  VHM_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"));
  return Status::ok();
}

// bank.sqlite must be there and be a regular file: a symlink loop was an exception (exit
// 3), and SQLite reading a FIFO in its place would wait forever.
Status check_database_file(const std::string& dir) {
  const fs::path file = fs::path(dir) / kBankDatabaseFile;
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (st.type() == fs::file_type::not_found) {
    std::error_code dir_ec;
    return {StatusCode::kNotFound,
            fs::is_directory(dir, dir_ec) ? "not a bank (no bank.sqlite; make one with 'vhm bank create')"
                                          : "no such bank directory",
            dir};
  }
  if (ec) return {StatusCode::kIoError, "cannot open " + file.string() + ": " + ec.message(), dir};
  if (st.type() != fs::file_type::regular) return {StatusCode::kCorrupt, file.string() + " is not a regular file", dir};
  return Status::ok();
}

// A pending add's description: its first content's external id or source, and how many more.
std::string describe_add(std::span<const NewContent> contents) {
  const ContentMeta& m0 = contents.front().meta;
  std::string description = !m0.external_id.empty() ? "'" + m0.external_id + "'"
                            : !m0.source.empty()    ? m0.source
                                                    : "unnamed";
  if (contents.size() > 1) description += " and " + std::to_string(contents.size() - 1) + " more";
  return description;
}

Result<SqliteDb> open_bank_connection(const std::string& dir, int busy_timeout_ms, bool query_only) {
  const std::string file = (fs::path(dir) / kBankDatabaseFile).string();
  auto db = SqliteDb::open(file, SQLITE_OPEN_READWRITE, dir);
  if (!db) return db.status();
  VHM_RETURN_IF_ERROR(configure_connection(*db, busy_timeout_ms));
  if (query_only) VHM_RETURN_IF_ERROR(db->exec("PRAGMA query_only = 1"));
  return db;
}

}  // namespace

std::string SqliteBankStore::file(const char* name) const { return (fs::path(dir_) / name).string(); }

Status SqliteBankStore::create(const std::string& dir, const std::string& index_spec) {
  const std::string file = (fs::path(dir) / kBankDatabaseFile).string();
  auto db = SqliteDb::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, dir);
  if (!db) return db.status();
  auto tables = db->query_int("SELECT count(*) FROM sqlite_master");
  if (!tables) return tables.status();
  if (*tables != 0) return {StatusCode::kInvalidArgument, "a bank already exists here", dir};
  VHM_RETURN_IF_ERROR(configure_connection(*db, 5000));
  auto mode = db->prepare("PRAGMA journal_mode = WAL");
  if (!mode) return mode.status();
  auto row = mode->step();
  if (!row) return row.status();
  if (!*row || mode->column_text(0) != "wal")
    return {StatusCode::kUnsupported, "this file system cannot hold an SQLite WAL database", dir};
  mode->reset();
  auto txn = SqliteTransaction::begin(*db, "BEGIN IMMEDIATE");
  if (!txn) return txn.status();
  tables = db->query_int("SELECT count(*) FROM sqlite_master");
  if (!tables) return tables.status();
  if (*tables != 0) return {StatusCode::kInvalidArgument, "a bank already exists here", dir};
  VHM_RETURN_IF_ERROR(create_bank_schema(*db));
  VHM_RETURN_IF_ERROR(sqlite_set_meta(*db, "index_spec", index_spec));
  VHM_RETURN_IF_ERROR(sqlite_set_meta(*db, "generation", "0"));
  VHM_RETURN_IF_ERROR(sqlite_set_meta(*db, "created_at", utc_now_iso()));
  return txn->commit();
}

Result<std::unique_ptr<SqliteBankStore>> SqliteBankStore::open(const std::string& dir,
                                                               const SqliteStoreOptions& options) {
  VHM_RETURN_IF_ERROR(check_database_file(dir));
  std::unique_ptr<SqliteBankStore> store(new SqliteBankStore(dir, options));
  auto w = open_bank_connection(dir, options.busy_timeout_ms, false);
  if (!w) return w.status();
  store->writer_ = std::move(w).value();
  auto r = open_bank_connection(dir, options.busy_timeout_ms, true);
  if (!r) return r.status();
  store->reader_ = std::move(r).value();
  auto migrated = open_bank_schema(store->writer_);
  if (!migrated) return migrated.status();
  store->migration_note_ = std::move(migrated).value();
  return store;
}

Result<std::unique_ptr<BankStoreReader>> SqliteBankStore::begin_read(ReadKind kind) {
  if (kind == ReadKind::kShort) return SqliteStoreReader::begin(reader_, std::unique_lock(reader_mutex_));
  auto db = open_bank_connection(dir_, options_.busy_timeout_ms, true);
  if (!db) return db.status();
  return SqliteStoreReader::begin(std::move(db).value());
}

Result<int64_t> SqliteBankStore::data_version() {
  std::lock_guard lock(reader_mutex_);
  return reader_.query_int("PRAGMA data_version");
}

Result<AddContentsResult> SqliteBankStore::add_contents(std::span<const NewContent> contents,
                                                        const std::function<void(int64_t)>& progress) {
  if (contents.empty()) return AddContentsResult{};
  int64_t removed = 0;
  return write(contents, nullptr, removed, progress);
}

Result<AddContentsResult> SqliteBankStore::apply_changes(const BankChanges& changes, int64_t& removed,
                                                         const std::function<void(int64_t)>& progress) {
  removed = 0;
  return write(changes.add, &changes, removed, progress);
}

Result<AddContentsResult> SqliteBankStore::write(std::span<const NewContent> contents, const BankChanges* changes,
                                                 int64_t& removed, const std::function<void(int64_t)>& progress) {
  int64_t total_frames = 0;
  for (const NewContent& c : contents) total_frames += static_cast<int64_t>(c.frames.size());
  std::lock_guard wlock(writer_mutex_);
  auto flock = FileLock::acquire(file(kBankWriterLockFile), options_.busy_timeout_ms);
  if (!flock) return flock.status();

  // The intent, committed first: if this process dies before the transaction below
  // commits, the row stays behind and the next open reports the interrupted add.
  int64_t pending_id = 0;
  if (!contents.empty()) {
    auto p =
        writer_.prepare("INSERT INTO pending_adds(pid, started_at, contents, frames, description) VALUES(?,?,?,?,?)");
    if (!p) return p.status();
    p->bind(1, static_cast<int64_t>(::getpid()))
        .bind(2, utc_now_iso())
        .bind(3, static_cast<int64_t>(contents.size()))
        .bind(4, total_frames)
        .bind(5, describe_add(contents));
    VHM_RETURN_IF_ERROR(p->run());
    pending_id = writer_.last_insert_rowid();
  }
  auto result = add_transaction(contents, changes, pending_id, removed, progress);
  if (pending_id != 0 && (!result || result->outcome != AddOutcome::kAdded)) {
    // Rolled back: nothing was added, nothing to report later.
    auto d = writer_.prepare("DELETE FROM pending_adds WHERE id = ?");
    if (d) {
      d->bind(1, pending_id);
      (void)d->run();
    }
  }
  return result;
}

Result<AddContentsResult> SqliteBankStore::add_transaction(std::span<const NewContent> contents,
                                                           const BankChanges* changes, int64_t pending_id,
                                                           int64_t& removed,
                                                           const std::function<void(int64_t)>& progress) {
  AddContentsResult result;
  auto txn = SqliteTransaction::begin(writer_, "BEGIN IMMEDIATE");
  if (!txn) return txn.status();
  auto gen = sqlite_read_generation(writer_);
  if (!gen) return gen.status();
  const int64_t generation = *gen + 1;
  if (changes && changes->expected_checkpoint) {
    auto stored = sqlite_find_meta_value(writer_, "checkpoint:" + changes->checkpoint_name);
    if (!stored) return stored.status();
    if (*stored != *changes->expected_checkpoint) {
      result.outcome = AddOutcome::kCheckpointMoved;
      return result;  // the transaction rolls back: nothing was written
    }
  }
  if (changes && !changes->remove_external_ids.empty()) {
    auto u = writer_.prepare(
        "UPDATE contents SET removed_at = ?, removed_generation = ?, removed_reason = ? "
        "WHERE external_id = ? AND removed_at IS NULL");
    if (!u) return u.status();
    const std::string at = utc_now_iso();
    for (const std::string& id : changes->remove_external_ids) {
      if (id.empty()) continue;
      u->reset();
      u->bind(1, at).bind(2, generation).bind(3, changes->remove_reason).bind(4, id);
      VHM_RETURN_IF_ERROR(u->run());
      removed += writer_.changes();
    }
  }
  if (changes && !changes->checkpoint_name.empty())
    VHM_RETURN_IF_ERROR(sqlite_set_meta(writer_, "checkpoint:" + changes->checkpoint_name, changes->checkpoint_value));
  if (contents.empty() && removed == 0) {
    // Only the checkpoint moved: nothing searchable changed, so the generation stays.
    VHM_RETURN_IF_ERROR(txn->commit());
    return result;
  }
  VHM_RETURN_IF_ERROR(sqlite_set_meta(writer_, "generation", std::to_string(generation)));
  auto next_id = writer_.query_int(
      "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'frames'), 0), "
      "coalesce((SELECT max(id) FROM frames), 0)) + 1");
  if (!next_id) return next_id.status();
  int64_t frame_id = *next_id;
  auto dup = writer_.prepare("SELECT id FROM contents WHERE external_id = ? AND removed_at IS NULL");
  auto ins_content = writer_.prepare(
      "INSERT INTO contents(external_id, label, source, signal_type, added_at, added_generation, first_frame_id, "
      "frame_count, input_frame_count) VALUES(?,?,?,?,?,?,?,?,?)");
  auto ins_frame = writer_.prepare(
      "INSERT INTO frames(id, content_id, frame, timestamp, quality, hash, inside_bars_hash, inside_bars_quality, "
      "signal) VALUES(?,?,?,?,?,?,?,?,?)");
  if (!dup) return dup.status();
  if (!ins_content) return ins_content.status();
  if (!ins_frame) return ins_frame.status();
  const std::string added_at = utc_now_iso();
  // A FrameHash is a PDQ frame (its hash and inside-bars hash): the signal every frame
  // an add writes is stored under, by name.
  const std::string frame_signal(signal_name(SignalId::kPdq));
  int64_t written = 0;
  DistinctFrames distinct;
  FramesChecksum written_rows;
  for (size_t position = 0; position < contents.size(); ++position) {
    const NewContent& c = contents[position];
    if (!c.meta.external_id.empty()) {
      dup->reset();
      dup->bind(1, c.meta.external_id);
      auto row = dup->step();
      if (!row) return row.status();
      if (*row) {
        result.outcome = AddOutcome::kDuplicateExternalId;
        result.position = position;
        result.existing_content_id = dup->column_int(0);
        result.added.clear();
        removed = 0;
        return result;  // the transaction rolls back, removals too
      }
    }
    const std::vector<const FrameHash*>& kept = distinct.of(c.frames);
    ins_content->reset();
    ins_content->bind_text_or_null(1, c.meta.external_id)
        .bind(2, c.meta.label)
        .bind(3, c.meta.source)
        .bind(4, stored_content_kind(c.meta.kind))
        .bind(5, added_at)
        .bind(6, generation)
        .bind(7, frame_id)
        .bind(8, static_cast<int64_t>(kept.size()))
        .bind(9, static_cast<int64_t>(c.frames.size()));
    VHM_RETURN_IF_ERROR(ins_content->run());
    const int64_t content_id = writer_.last_insert_rowid();
    for (const FrameHash* f : kept) {
      const auto blob = hash_to_blob(f->hash);
      ins_frame->reset();
      ins_frame->bind(1, frame_id)
          .bind(2, content_id)
          .bind(3, static_cast<int64_t>(f->index))
          .bind(4, f->pts_seconds)
          .bind(5, static_cast<int64_t>(f->quality))
          .bind_blob(6, blob)
          .bind(9, frame_signal);
      if (f->has_cropped) {
        const auto bars_blob = hash_to_blob(f->cropped);
        ins_frame->bind_blob(7, bars_blob).bind(8, static_cast<int64_t>(f->cropped_quality));
        written_rows.add_row(frame_id, blob, bars_blob);
      } else {
        ins_frame->bind_null(7).bind_null(8);
        written_rows.add_row(frame_id, blob, {});
      }
      ++frame_id;
      VHM_RETURN_IF_ERROR(ins_frame->run());
      if (++written % 4096 == 0 && progress) progress(written);
    }
    VHM_RETURN_IF_ERROR(sqlite_insert_content_signals(writer_, content_id, c.signals));
    if (progress) progress(written);
    result.added.push_back(
        {content_id, static_cast<int64_t>(kept.size()), static_cast<int64_t>(c.frames.size() - kept.size())});
  }
  VHM_RETURN_IF_ERROR(advance_frames_checksum(writer_, generation, written_rows));
  if (pending_id != 0) {
    auto d = writer_.prepare("DELETE FROM pending_adds WHERE id = ?");
    if (!d) return d.status();
    d->bind(1, pending_id);
    VHM_RETURN_IF_ERROR(d->run());
  }
  VHM_RETURN_IF_ERROR(txn->commit());
  return result;
}

Result<RemoveResult> SqliteBankStore::remove(const ContentRef& ref, const std::string& reason) {
  std::lock_guard wlock(writer_mutex_);
  auto txn = SqliteTransaction::begin(writer_, "BEGIN IMMEDIATE");
  if (!txn) return txn.status();
  auto found = sqlite_find_content(writer_, ref);
  if (!found) return found.status();
  RemoveResult result;
  result.content = *found;
  if (found->removed()) {
    result.already_removed = true;
    VHM_RETURN_IF_ERROR(txn->commit());
    return result;
  }
  auto gen = sqlite_read_generation(writer_);
  if (!gen) return gen.status();
  const int64_t generation = *gen + 1;
  VHM_RETURN_IF_ERROR(sqlite_set_meta(writer_, "generation", std::to_string(generation)));
  const std::string at = utc_now_iso();
  auto u =
      writer_.prepare("UPDATE contents SET removed_at = ?, removed_generation = ?, removed_reason = ? WHERE id = ?");
  if (!u) return u.status();
  u->bind(1, at).bind(2, generation).bind(3, reason).bind(4, found->id);
  VHM_RETURN_IF_ERROR(u->run());
  VHM_RETURN_IF_ERROR(advance_frames_checksum(writer_, generation, {}));  // no rows: the record moves on
  VHM_RETURN_IF_ERROR(txn->commit());
  result.content.removed_at = at;
  result.content.removed_generation = generation;
  result.content.removed_reason = reason;
  return result;
}

Result<RecoveryReport> SqliteBankStore::recover_interrupted_adds() {
  RecoveryReport report;
  std::lock_guard wlock(writer_mutex_);
  auto lock = FileLock::acquire(file(kBankWriterLockFile), 0);
  if (!lock) {
    if (lock.status().code() == StatusCode::kUnavailable) return report;  // an add is running now
    return lock.status();
  }
  report.checked = true;
  auto s = writer_.prepare("SELECT id, pid, started_at, contents, frames, description FROM pending_adds ORDER BY id");
  if (!s) return s.status();
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    report.interrupted.push_back(
        {s->column_text(2), s->column_int(1), s->column_int(3), s->column_int(4), s->column_text(5)});
  }
  s->reset();
  if (report.interrupted.empty()) return report;
  VHM_RETURN_IF_ERROR(writer_.exec("DELETE FROM pending_adds"));
  auto check = writer_.prepare("PRAGMA quick_check");
  if (!check) return check.status();
  auto row = check->step();
  if (!row) return row.status();
  report.storage.verdict = *row ? check->column_text(0) : "no answer";
  report.storage.ok = report.storage.verdict == "ok";  // SQLite's word for a sound database
  return report;
}

Result<bool> SqliteBankStore::refresh_stale_frames_checksum() {
  std::lock_guard wlock(writer_mutex_);
  return vhm::refresh_stale_frames_checksum(writer_, options_.busy_timeout_ms);
}

Status SqliteBankStore::record_frames_checksum_now() {
  std::lock_guard wlock(writer_mutex_);
  return vhm::record_frames_checksum_now(writer_);
}

int64_t SqliteBankStore::storage_bytes() const {
  int64_t bytes = 0;
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = fs::file_size(file(kBankDatabaseFile) + suffix, ec);
    if (!ec) bytes += static_cast<int64_t>(size);
  }
  return bytes;
}

}  // namespace vhm
