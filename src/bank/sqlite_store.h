// SqliteBankStore: the BankStore in <bank>/bank.sqlite (SQLite, WAL mode,
// synchronous=FULL; docs/BANK.md, "Schema"). Every SQLite call the bank makes is here or
// in the SQLite helpers it uses (sqlite_rows, frames_checksum, cache_expectation,
// bank_schema).
//
// Connections: one writer (adds, removes, recovery, checksum records), one resident
// reader (data_version, short reads), and a fresh read-only connection per long read
// (BankStore::ReadKind::kLong), which WAL lets read the last commit while the writer
// writes. A connection is never shared across a fork().
//
// Crash marker: an add takes flock(<bank>/writer.lock), commits a pending_adds row
// saying what it is about to add, and deletes that row in its own transaction; a row
// whose writer.lock is free was left by a writer that died.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "bank/bank_store.h"
#include "bank/sqlite_ptr.h"

namespace vhm {

struct SqliteStoreOptions {
  int busy_timeout_ms = 30000;  // how long a writer waits for another writer
};

class SqliteBankStore final : public BankStore {
 public:
  // Makes <dir>/bank.sqlite a new, empty bank whose main index is `index_spec`. Fails
  // if a bank is there already; the directory must exist.
  static Status create(const std::string& dir, const std::string& index_spec);
  // Opens an existing bank: bank.sqlite must be a regular file, of a format this vhm
  // reads; an older format is migrated in place (migration_note() says so).
  static Result<std::unique_ptr<SqliteBankStore>> open(const std::string& dir, const SqliteStoreOptions& options = {});

  // What open() migrated; empty when nothing.
  const std::string& migration_note() const { return migration_note_; }

  const std::string& subject() const override { return dir_; }
  Result<std::unique_ptr<BankStoreReader>> begin_read(ReadKind kind) override;
  Result<int64_t> data_version() override;
  Result<AddContentsResult> add_contents(std::span<const NewContent> contents,
                                         const std::function<void(int64_t)>& progress) override;
  Result<AddContentsResult> apply_changes(const BankChanges& changes, int64_t& removed,
                                          const std::function<void(int64_t)>& progress) override;
  Result<RemoveResult> remove(const ContentRef& ref, const std::string& reason) override;
  Result<RecoveryReport> recover_interrupted_adds() override;
  Result<bool> refresh_stale_frames_checksum() override;
  Status record_frames_checksum_now() override;
  int64_t storage_bytes() const override;

 private:
  SqliteBankStore(std::string dir, const SqliteStoreOptions& options) : dir_(std::move(dir)), options_(options) {}
  std::string file(const char* name) const;
  // add_contents and apply_changes: `changes` (null for a plain add) brings the
  // removals and the checkpoint; its `add` is ignored in favour of `contents`.
  Result<AddContentsResult> write(std::span<const NewContent> contents, const BankChanges* changes, int64_t& removed,
                                  const std::function<void(int64_t)>& progress);
  // Under writer_mutex_, inside nothing: the write's own transaction (pending_id 0: no
  // crash marker, as when nothing is added).
  Result<AddContentsResult> add_transaction(std::span<const NewContent> contents, const BankChanges* changes,
                                            int64_t pending_id, int64_t& removed,
                                            const std::function<void(int64_t)>& progress);

  std::string dir_;
  SqliteStoreOptions options_;
  std::string migration_note_;

  // Lock order: writer_mutex_ and reader_mutex_ are never held together, and the store
  // calls nothing outside itself while holding either, except add_contents' progress
  // callback (under writer_mutex_: it must not write to this store). writer.lock (a
  // flock, other processes' writers) is taken under writer_mutex_.
  //
  // writer_mutex_ guards writer_: one write transaction (or recovery step) at a time.
  std::mutex writer_mutex_;
  SqliteDb writer_;
  // reader_mutex_ guards reader_: data_version() and each kShort reader, for the
  // reader's whole life (one statement stepped from one thread at a time).
  std::mutex reader_mutex_;
  SqliteDb reader_;
};

}  // namespace vhm
