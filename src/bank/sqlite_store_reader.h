// SqliteBankStore's BankStoreReader: one deferred read transaction on a connection,
// rolled back when the reader is destroyed (a read transaction has nothing to keep).
// WAL serves it the last commit as of its first read, whatever writers do meanwhile.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "bank/bank_store.h"
#include "bank/sqlite_ptr.h"

namespace vhm {

class SqliteStoreReader final : public BankStoreReader {
 public:
  // On a connection the store keeps, whose mutex `lock` holds for the reader's life.
  static Result<std::unique_ptr<BankStoreReader>> begin(const SqliteDb& db, std::unique_lock<std::mutex> lock);
  // On a connection of its own, closed with the reader.
  static Result<std::unique_ptr<BankStoreReader>> begin(SqliteDb own);

  Result<int64_t> generation() override;
  Result<std::string> meta_value(const std::string& key) override;
  Result<std::optional<std::string>> find_meta_value(const std::string& key) override;
  Result<std::map<std::string, std::string>> meta_values_with_prefix(const std::string& prefix) override;
  Result<std::optional<FramesChecksum>> recorded_frames_checksum(int64_t generation) override;
  Result<FramesChecksum> checksum_frames_after(int64_t after_frame_id) override;
  Status for_each_content_span(int64_t after_content_id,
                               const std::function<Status(const ContentSpanRow&)>& fn) override;
  Result<std::vector<int64_t>> removed_after(int64_t generation) override;
  Status scan_frames(int64_t after_frame_id, size_t batch_rows,
                     const std::function<Status(std::span<const FrameCodesRow>)>& fn) override;
  Result<ExpectedCache> expected_cache(int64_t generation, int64_t max_frame_id) override;
  Result<std::optional<Hash256>> frame_code(int64_t frame_id, bool inside_bars) override;
  Result<ContentInfo> find_content(const ContentRef& ref) override;
  Status read_frames(const ContentInfo& content, std::vector<FrameHash>& frames) override;
  Status for_each_content(bool include_removed,
                          const std::function<Status(const ContentInfo&, std::span<const FrameHash>)>& fn) override;
  Result<StoreCounts> counts() override;
  Result<std::vector<int64_t>> contents_with_digest(SignalId signal, std::span<const uint8_t> digest) override;
  Result<bool> holds_live_digest(SignalId signal) override;
  Status read_content_signals(int64_t content_id, std::vector<ContentSignal>& signals) override;
  Status for_each_content_with_signals(bool include_removed,
                                       const std::function<Status(const ContentInfo&, std::span<const FrameHash>,
                                                                  std::span<const ContentSignal>)>& fn) override;
  Status scan_signal_vectors(SignalId signal, int64_t after_signal_row,
                             const std::function<Status(const SignalVectorRow&)>& fn) override;
  Result<std::optional<LiveSignalValue>> live_signal_value(int64_t signal_row) override;
  Result<SignalViolations> signal_violations() override;
  Result<StorageCheck> check_storage() override;
  Result<StoreRowCounts> row_counts() override;
  Result<InvariantViolations> invariant_violations(int64_t generation) override;
  Result<int64_t> pending_add_count() override;
  Status for_each_probe_frame(int64_t spacing, const std::function<Status(const FrameCodesRow&)>& fn) override;
  Status for_each_inside_bars_frame(const std::function<Status(const FrameCodesRow&)>& fn) override;
  Status finish() override;

 private:
  SqliteStoreReader() = default;
  Status start();

  // Destroyed in reverse: the transaction ends, then the lock goes, then the connection.
  SqliteDb own_;
  std::unique_lock<std::mutex> lock_;
  const SqliteDb* db_ = nullptr;
  std::optional<SqliteTransaction> txn_;
};

}  // namespace vhm
