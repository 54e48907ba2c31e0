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
