#include "bank/bank_schema.h"

#include <iterator>
#include <set>
#include <string_view>
#include <utility>

#include "bank/bank.h"

namespace vhm {
namespace {

// Format 1, as the first vhm banks were written. Never edited: a change is a new step
// in kMigrations, which old banks run at open and new banks run at create.
constexpr const char* kSchemaFormat1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE contents (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id        TEXT,
  label              TEXT NOT NULL DEFAULT '',
  source             TEXT NOT NULL DEFAULT '',
  signal_type        TEXT NOT NULL CHECK (signal_type IN ('video', 'pdq')),
  added_at           TEXT NOT NULL,
  added_generation   INTEGER NOT NULL,
  removed_at         TEXT,
  removed_generation INTEGER,
  removed_reason     TEXT,
  first_frame_id     INTEGER NOT NULL,
  frame_count        INTEGER NOT NULL CHECK (frame_count > 0),
  input_frame_count  INTEGER NOT NULL,
  CHECK ((removed_at IS NULL) = (removed_generation IS NULL))
);
CREATE UNIQUE INDEX contents_live_external_id ON contents(external_id)
  WHERE removed_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX contents_external_id ON contents(external_id);
CREATE INDEX contents_removed_generation ON contents(removed_generation);
CREATE TABLE frames (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  content_id INTEGER NOT NULL REFERENCES contents(id),
  frame      INTEGER NOT NULL CHECK (frame >= 0),
  timestamp  REAL NOT NULL,
  quality    INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 100),
  hash       BLOB NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE pending_adds (
  id          INTEGER PRIMARY KEY,
  pid         INTEGER NOT NULL,
  started_at  TEXT NOT NULL,
  contents    INTEGER NOT NULL,
  frames      INTEGER NOT NULL,
  description TEXT NOT NULL
);
)sql";

struct Migration {
  int to_format;
  const char* what;  // for the note
  const char* sql;
};

// Each step takes a bank from format to_format - 1 to to_format. Column constraints
// only (ALTER TABLE ADD COLUMN cannot add a table constraint); since SQLite 3.37 they
// are checked against the rows already there, which all hold NULL.
constexpr Migration kMigrations[] = {
    {2,
     "frames gained inside_bars_hash and inside_bars_quality, for the picture inside letterbox/pillarbox bars; "
     "the frames already stored have none",
     R"sql(
ALTER TABLE frames ADD COLUMN inside_bars_hash BLOB
  CHECK (inside_bars_hash IS NULL OR length(inside_bars_hash) = 32);
ALTER TABLE frames ADD COLUMN inside_bars_quality INTEGER
  CHECK ((inside_bars_quality IS NULL) = (inside_bars_hash IS NULL)
         AND (inside_bars_quality IS NULL OR inside_bars_quality BETWEEN 0 AND 100));
CREATE INDEX frames_inside_bars ON frames(id) WHERE inside_bars_hash IS NOT NULL;
)sql"},
    // A signal's name, not a number: the name is what SignalType promises to keep. No
    // list of names in a CHECK, so that adding a signal needs no table rewrite; verify
    // counts the frames of a signal this vhm does not know.
    {3, "frames gained signal, the signal their hashes are of; the frames already stored are 'pdq'",
     R"sql(
ALTER TABLE frames ADD COLUMN signal TEXT NOT NULL DEFAULT 'pdq' CHECK (length(signal) > 0);
)sql"},
    // Whole-content signals. A content may now hold no frame (a video known only by its
    // MD5 or TMK), which format 1's CHECK (frame_count > 0) forbids: SQLite cannot alter
    // a CHECK, so contents is rebuilt (SQLite's own recipe: new table, copy, drop,
    // rename, indexes again; open_bank_schema turns foreign keys off around it). The
    // AUTOINCREMENT counter is carried over so that ids are still never reused.
    // A value lives in `digest` when its signal's values have one size (indexed, for
    // lookups by value) and in `value` otherwise (TMK: the whole .tmk file, 257 KiB,
    // never read by a lookup's first cut); what a first cut reads of it (TMK's pure
    // average) is a row of content_signal_vectors, so that reading every vector never
    // touches the files' pages.
    {4,
     "contents may hold no frame; content_signals and content_signal_vectors hold whole-content signals "
     "(video_md5, video_sha256, tmk); the contents already stored have none",
     R"sql(
CREATE TABLE contents_v4 (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id        TEXT,
  label              TEXT NOT NULL DEFAULT '',
  source             TEXT NOT NULL DEFAULT '',
  signal_type        TEXT NOT NULL CHECK (signal_type IN ('video', 'pdq')),
  added_at           TEXT NOT NULL,
  added_generation   INTEGER NOT NULL,
  removed_at         TEXT,
  removed_generation INTEGER,
  removed_reason     TEXT,
  first_frame_id     INTEGER NOT NULL,
  frame_count        INTEGER NOT NULL CHECK (frame_count >= 0),
  input_frame_count  INTEGER NOT NULL,
  CHECK ((removed_at IS NULL) = (removed_generation IS NULL))
);
INSERT INTO contents_v4(id, external_id, label, source, signal_type, added_at, added_generation, removed_at,
                        removed_generation, removed_reason, first_frame_id, frame_count, input_frame_count)
  SELECT id, external_id, label, source, signal_type, added_at, added_generation, removed_at,
         removed_generation, removed_reason, first_frame_id, frame_count, input_frame_count FROM contents;
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'contents') WHERE name = 'contents_v4';
DROP TABLE contents;
ALTER TABLE contents_v4 RENAME TO contents;
CREATE UNIQUE INDEX contents_live_external_id ON contents(external_id)
  WHERE removed_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX contents_external_id ON contents(external_id);
CREATE INDEX contents_removed_generation ON contents(removed_generation);
CREATE TABLE content_signals (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  content_id INTEGER NOT NULL REFERENCES contents(id),
  signal     TEXT NOT NULL CHECK (length(signal) > 0),
  digest     BLOB CHECK (digest IS NULL OR length(digest) BETWEEN 1 AND 64),
  value      BLOB,
  CHECK ((digest IS NULL) != (value IS NULL))
);
CREATE INDEX content_signals_digest ON content_signals(signal, digest) WHERE digest IS NOT NULL;
CREATE INDEX content_signals_content ON content_signals(content_id);
CREATE TABLE content_signal_vectors (
  signal_row INTEGER PRIMARY KEY REFERENCES content_signals(id),
  content_id INTEGER NOT NULL REFERENCES contents(id),
  signal     TEXT NOT NULL,
  vector     BLOB NOT NULL CHECK (length(vector) % 4 = 0)
);
)sql"},
};

static_assert(std::size(kMigrations) == kBankFormatVersion - 1, "one migration step per format after 1");

Status set_format(const SqliteDb& db, int format) {
  const std::string v = std::to_string(format);
  return db.exec("INSERT INTO meta(key, value) VALUES('format', '" + v +
                 "') ON CONFLICT(key) DO UPDATE SET value = excluded.value; PRAGMA user_version = " + v + ";");
}

// Runs the steps after `from`; the caller holds the write transaction.
Status run_migrations(const SqliteDb& db, int from) {
  for (const Migration& m : kMigrations) {
    if (m.to_format <= from) continue;
    Status st = db.exec(m.sql);
    if (!st.is_ok())
      return {st.code(), "migrating the bank to format " + std::to_string(m.to_format) + ": " + st.message(),
              db.subject()};
  }
  return Status::ok();
}

Status check_application_id(const SqliteDb& db) {
  auto app = db.query_int("PRAGMA application_id");
  if (!app) return app.status();
  if (*app == kBankApplicationId) return Status::ok();
  auto tables = db.query_int("SELECT count(*) FROM sqlite_master");
  if (tables && *tables == 0)
    return {StatusCode::kCorrupt, "bank.sqlite is empty (an interrupted 'vhm bank create'? run it again)",
            db.subject()};
  return {StatusCode::kCorrupt, "bank.sqlite is an SQLite database but not a vhm bank (application_id)", db.subject()};
}

Status unreadable_format(int64_t version, const std::string& subject) {
  if (version > kBankFormatVersion)
    return {StatusCode::kUnsupported,
            "bank format " + std::to_string(version) + " is newer than this vhm reads (formats 1.." +
                std::to_string(kBankFormatVersion) + "); open it with a newer vhm",
            subject};
  return {StatusCode::kUnsupported, "bank format " + std::to_string(version) + " is not a format vhm ever wrote",
          subject};
}

// Every (table, column) of `db`'s own tables.
Result<std::set<std::pair<std::string, std::string>>> table_columns(const SqliteDb& db) {
  auto s = db.prepare(
      "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
      "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'");
  if (!s) return s.status();
  std::set<std::pair<std::string, std::string>> out;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    out.emplace(s->column_text(0), s->column_text(1));
  }
  return out;
}

// The bank's tables must have every column the current format's have: a dropped table
// or column otherwise surfaced as "no such table" from some later statement, an SQLite
// "logic error" that read as a vhm bug (exit 3). The expectation is taken from a
// database made by create_bank_schema() itself, so it never drifts from what create
// writes.
Status check_tables(const SqliteDb& db) {
  auto fresh = SqliteDb::open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "the current bank schema");
  if (!fresh) return fresh.status();
  VHM_RETURN_IF_ERROR(create_bank_schema(*fresh));
  auto want = table_columns(*fresh);
  if (!want) return want.status();
  auto have = table_columns(db);
  if (!have) return have.status();
  std::string missing_tables, missing_columns;
  std::set<std::string> tables_here;
  for (const auto& tc : *have) tables_here.insert(tc.first);
  for (const auto& [table, column] : *want) {
    if (have->count({table, column})) continue;
    if (!tables_here.count(table)) {
      const std::string name = "'" + table + "'";
      if (missing_tables.find(name) == std::string::npos) missing_tables += (missing_tables.empty() ? "" : ", ") + name;
    } else {
      missing_columns += (missing_columns.empty() ? "" : ", ") + table + "." + column;
    }
  }
  if (missing_tables.empty() && missing_columns.empty()) return Status::ok();
  std::string what = "bank.sqlite is damaged: ";
  if (!missing_tables.empty()) what += "table(s) " + missing_tables + " missing";
  if (!missing_columns.empty())
    what += (missing_tables.empty() ? "" : "; ") + std::string("column(s) ") + missing_columns + " missing";
  return {StatusCode::kCorrupt, what + " (restore it from a backup)", db.subject()};
}

}  // namespace

Status create_bank_schema(const SqliteDb& db) {
  VHM_RETURN_IF_ERROR(db.exec(kSchemaFormat1));
  VHM_RETURN_IF_ERROR(run_migrations(db, 1));
  VHM_RETURN_IF_ERROR(db.exec("PRAGMA application_id = " + std::to_string(kBankApplicationId)));
  return set_format(db, kBankFormatVersion);
}

Result<std::string> open_bank_schema(const SqliteDb& db) {
  VHM_RETURN_IF_ERROR(check_application_id(db));
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return version.status();
  if (*version == kBankFormatVersion) {
    VHM_RETURN_IF_ERROR(check_tables(db));
    return std::string();
  }
  if (*version > kBankFormatVersion || *version < 1) return unreadable_format(*version, db.subject());

  // An older format: migrate in one write transaction. Another process may be doing
  // the same right now, so the version is read again once the write lock is held.
  // Format 4 rebuilds contents, which frames refer to: with foreign keys on, its DROP
  // would fail on them. The pragma is a no-op inside a transaction, so it is set before
  // and restored after (on every path).
  VHM_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys = OFF"));
  struct ForeignKeysBackOn {
    const SqliteDb& db;
    ~ForeignKeysBackOn() { (void)db.exec("PRAGMA foreign_keys = ON"); }
  } back_on{db};
  auto txn = SqliteTransaction::begin(db, "BEGIN IMMEDIATE");
  if (!txn) return txn.status();
  version = db.query_int("PRAGMA user_version");
  if (!version) return version.status();
  if (*version == kBankFormatVersion) {
    VHM_RETURN_IF_ERROR(txn->commit());
    VHM_RETURN_IF_ERROR(check_tables(db));
    return std::string();
  }
  if (*version > kBankFormatVersion || *version < 1) return unreadable_format(*version, db.subject());
  const int from = static_cast<int>(*version);
  VHM_RETURN_IF_ERROR(run_migrations(db, from));
  VHM_RETURN_IF_ERROR(set_format(db, kBankFormatVersion));
  VHM_RETURN_IF_ERROR(check_tables(db));
  // Foreign keys were off for the table rebuild: prove the rows still point where they
  // should before anything of it commits.
  auto dangling = db.query_int("SELECT count(*) FROM pragma_foreign_key_check");
  if (!dangling) return dangling.status();
  if (*dangling != 0)
    return Status(
        StatusCode::kCorrupt,
        "migrating the bank: " + std::to_string(*dangling) + " rows refer to no row (restore it from a backup)",
        db.subject());
  VHM_RETURN_IF_ERROR(txn->commit());
  std::string note = "bank format " + std::to_string(from) + " migrated in place to format " +
                     std::to_string(kBankFormatVersion) + " (";
  bool first = true;
  for (const Migration& m : kMigrations) {
    if (m.to_format <= from) continue;
    note += (first ? "" : "; ") + std::string(m.what);
    first = false;
  }
  return note + ")";
}

}  // namespace vhm
