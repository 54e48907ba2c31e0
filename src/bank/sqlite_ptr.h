// SQLite handles for the bank: RAII owners of sqlite3* and sqlite3_stmt*, and a thin
// statement wrapper whose errors are vhm::Status values carrying sqlite3_errmsg, the
// operation and the bank (or database) path they concern.
//
// Connections are opened in SQLite's serialized threading mode; the bank still gives
// each connection its own mutex so that a statement is never stepped from two threads.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vhm {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqliteDbPtr = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// The StatusCode for an SQLite result code: CORRUPT/NOTADB -> kCorrupt, CANTOPEN ->
// kNotFound, BUSY/LOCKED -> kUnavailable, CONSTRAINT -> kInvalidArgument, IOERR/FULL/
// READONLY -> kIoError, anything else -> kInternal.
StatusCode sqlite_status_code(int rc);

// "operation: <sqlite3_errmsg> (<sqlite3_errstr>)" naming `subject`.
Status sqlite_error(sqlite3* db, int rc, std::string_view operation, const std::string& subject);

class SqliteStatement;

// One connection. `subject` (the bank directory) names every error.
class SqliteDb {
 public:
  SqliteDb() = default;

  // Opens `file` with sqlite3_open_v2 `flags` (SQLITE_OPEN_FULLMUTEX is added).
  static Result<SqliteDb> open(const std::string& file, int flags, const std::string& subject);

  sqlite3* get() const { return db_.get(); }
  explicit operator bool() const { return db_ != nullptr; }
  const std::string& subject() const { return subject_; }

  // Runs one or more statements without results.
  Status exec(std::string_view sql) const;
  Result<SqliteStatement> prepare(std::string_view sql) const;
  // The first column of the first row of `sql` as an integer (`fallback` when no row).
  Result<int64_t> query_int(std::string_view sql, int64_t fallback = 0) const;
  Status error(int rc, std::string_view operation) const { return sqlite_error(db_.get(), rc, operation, subject_); }

  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  // Rows the last INSERT, UPDATE or DELETE changed.
  int64_t changes() const { return sqlite3_changes(db_.get()); }

 private:
  SqliteDbPtr db_;
  std::string subject_;
};

// A prepared statement. bind_* take 1-based parameter positions; column_* 0-based.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, std::string subject, SqliteStmtPtr stmt)
      : db_(db), subject_(std::move(subject)), stmt_(std::move(stmt)) {}

  SqliteStatement& bind(int pos, int64_t v) { return check(sqlite3_bind_int64(stmt_.get(), pos, v)); }
  SqliteStatement& bind(int pos, int v) { return bind(pos, static_cast<int64_t>(v)); }
  SqliteStatement& bind(int pos, double v) { return check(sqlite3_bind_double(stmt_.get(), pos, v)); }
  SqliteStatement& bind(int pos, std::string_view v) {
    return check(sqlite3_bind_text(stmt_.get(), pos, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  SqliteStatement& bind(int pos, const char* v) { return bind(pos, std::string_view(v)); }
  SqliteStatement& bind(int pos, const std::string& v) { return bind(pos, std::string_view(v)); }
  SqliteStatement& bind_blob(int pos, std::span<const uint8_t> v) {
    return check(sqlite3_bind_blob(stmt_.get(), pos, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  SqliteStatement& bind_null(int pos) { return check(sqlite3_bind_null(stmt_.get(), pos)); }
  // NULL for an empty string (optional text columns such as the external id).
  SqliteStatement& bind_text_or_null(int pos, std::string_view v) { return v.empty() ? bind_null(pos) : bind(pos, v); }

  // True when a row is ready, false when done; errors (including a failed bind
  // before it) come back as a Status.
  Result<bool> step();
  // Steps to completion, ignoring rows.
  Status run();
  // Ready for new bindings and a new run (bindings cleared).
  void reset();

  int64_t column_int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  double column_double(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  bool column_is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  std::string column_text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_.get(), col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)))
             : std::string();
  }
  std::span<const uint8_t> column_blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_.get(), col);
    const int n = sqlite3_column_bytes(stmt_.get(), col);
    return p ? std::span<const uint8_t>(static_cast<const uint8_t*>(p), static_cast<size_t>(n))
             : std::span<const uint8_t>();
  }

  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  std::string describe() const;  // the SQL, shortened, for error messages
  SqliteStatement& check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  sqlite3* db_ = nullptr;  // the connection that prepared it (errors read its errmsg)
  std::string subject_;
  SqliteStmtPtr stmt_;
  int bind_rc_ = SQLITE_OK;
};

// Rolls back an open transaction unless commit() succeeded (errors in the rollback
// itself are ignored: the connection's next BEGIN reports a broken state).
class SqliteTransaction {
 public:
  // `begin` is "BEGIN IMMEDIATE" for writers, "BEGIN" (deferred) for readers.
  static Result<SqliteTransaction> begin(const SqliteDb& db, const char* begin = "BEGIN IMMEDIATE");
  SqliteTransaction(SqliteTransaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction() { rollback(); }

  Status commit();
  void rollback();

 private:
  explicit SqliteTransaction(const SqliteDb* db) : db_(db) {}
  const SqliteDb* db_ = nullptr;
};

}  // namespace vhm
