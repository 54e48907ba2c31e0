#include "bank/sqlite_ptr.h"

namespace vhm {

StatusCode sqlite_status_code(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK:
      return StatusCode::kOk;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorrupt;
    case SQLITE_CANTOPEN:
      return StatusCode::kNotFound;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return StatusCode::kInvalidArgument;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return StatusCode::kIoError;
    default:
      return StatusCode::kInternal;
  }
}

Status sqlite_error(sqlite3* db, int rc, std::string_view operation, const std::string& subject) {
  std::string message(operation);
  message += ": ";
  const char* text = db ? sqlite3_errmsg(db) : nullptr;
  const char* generic = sqlite3_errstr(rc);
  if (text && *text) {
    message += text;
    if (generic && std::string_view(text) != generic) {
      message += " (";
      message += generic;
      message += ")";
    }
  } else {
    message += generic ? generic : "unknown SQLite error";
  }
  return {sqlite_status_code(rc), std::move(message), subject};
}

Result<SqliteDb> SqliteDb::open(const std::string& file, int flags, const std::string& subject) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  SqliteDb db;
  db.db_.reset(raw);
  db.subject_ = subject;
  if (rc != SQLITE_OK) return sqlite_error(raw, rc, "open " + file, subject);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status SqliteDb::exec(std::string_view sql) const {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // sqlite3_errmsg carries the same text
  if (rc != SQLITE_OK) {
    std::string op = text.substr(0, text.find_first_of("\n;("));
    return error(rc, op);
  }
  return Status::ok();
}

Result<SqliteStatement> SqliteDb::prepare(std::string_view sql) const {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  SqliteStmtPtr stmt(raw);
  if (rc != SQLITE_OK) return error(rc, "prepare '" + std::string(sql.substr(0, 60)) + "'");
  return SqliteStatement(db_.get(), subject_, std::move(stmt));
}

Result<int64_t> SqliteDb::query_int(std::string_view sql, int64_t fallback) const {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.status();
  auto row = stmt->step();
  if (!row) return row.status();
  return *row && !stmt->column_is_null(0) ? stmt->column_int(0) : fallback;
}

Result<bool> SqliteStatement::step() {
  if (bind_rc_ != SQLITE_OK) {
    const int rc = bind_rc_;
    bind_rc_ = SQLITE_OK;
    return sqlite_error(db_, rc, "bind " + describe(), subject_);
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = sqlite_error(db_, rc, "step " + describe(), subject_);
  sqlite3_reset(stmt_.get());
  return s;
}

std::string SqliteStatement::describe() const {
  const char* sql = sqlite3_sql(stmt_.get());
  std::string text = sql ? std::string(sql) : std::string();
  for (char& c : text)
    if (c == '\n') c = ' ';
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return "'" + text + "'";
}

Status SqliteStatement::run() {
  while (true) {
    auto row = step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
  }
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

Result<SqliteTransaction> SqliteTransaction::begin(const SqliteDb& db, const char* begin) {
  VHM_RETURN_IF_ERROR(db.exec(begin));
  return SqliteTransaction(&db);
}

Status SqliteTransaction::commit() {
  if (!db_) return {StatusCode::kInternal, "commit without a transaction"};
  Status s = db_->exec("COMMIT");
  if (s.is_ok()) db_ = nullptr;  // else the destructor rolls back
  return s;
}

void SqliteTransaction::rollback() {
  if (!db_) return;
  if (!sqlite3_get_autocommit(db_->get())) (void)db_->exec("ROLLBACK");
  db_ = nullptr;
}

}  // namespace vhm
