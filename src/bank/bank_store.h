// BankStore: the bank's source of truth, behind an interface so that it can live in
// SQLite (SqliteBankStore, sqlite_store.h) or, later, in PostgreSQL. Everything the
// searchable state, the cache check, export, stats and verify know about a bank comes
// from here; everything they derive (indexes, the cache file) lives elsewhere
// (live_index.h).
//
// What a store keeps (docs/BANK.md, "Schema"):
//   - contents with their frames, each frame's hashes of one signal (SignalId; a
//     NewContent's FrameHash values are PDQ's), each content's frames one contiguous
//     range of frame ids; exact-duplicate hashes within a content stored once (the
//     first kept);
//   - a generation that every commit (add, remove) increments and stamps on the rows
//     it touched; a remove is a tombstone (the rows stay);
//   - external ids unique among live contents;
//   - the frames checksum record (checksums.h) at every generation;
//   - a crash marker for each add in flight (pending adds), so that the next open can
//     report an add a crash interrupted;
//   - meta values (index_spec, created_at, format).
//
// Reads go through a BankStoreReader: one consistent view (a read transaction) of the
// last committed state, which no writer blocks. Outcomes a caller acts on are typed
// (StatusCode, the enums below); message text is only ever shown, never tested.
//
// Thread safety: every method may be called from any thread. Writers are serialised by
// the store; a reader may be used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "bank/checksums.h"
#include "core/hash256.h"
#include "core/status.h"
#include "index/hash_index.h"
#include "signal/signal_type.h"

namespace vhm {

// One content's place in the frame id space, as an index build and a refresh read it.
struct ContentSpanRow {
  int64_t content_id = 0;
  int64_t first_frame_id = 0;
  int64_t frame_count = 0;  // the store's word: never sizes a loop or an allocation
  ContentKind type = ContentKind::kVideo;
  bool removed = false;
};

// One frame row as an index takes it. The bytes are as stored (32 each unless the bank
// is damaged: the reader of the row decides what a wrong size means) and stay valid
// only during the callback that receives the row.
struct FrameCodesRow {
  int64_t id = 0;
  int64_t content_id = 0;
  // The signal its hashes are of; nullopt when the stored name is none this vhm knows
  // (the index build refuses such a row: kCorrupt).
  std::optional<SignalId> signal = SignalId::kPdq;
  std::span<const uint8_t> hash;
  std::span<const uint8_t> inside_bars;  // empty when the frame has none
  bool has_inside_bars = false;          // the column is set (an empty value is damage)
  bool content_removed = false;          // filled by the probe reads only (verify)
};

// What a cache built at (generation, max frame id) must hold: every frame up to that id
// of the contents live at that generation, and the inside-bars code of each of those
// that has one. Also index ids to spot-check the loaded index with: up to 16 frames and
// 4 inside-bars codes, evenly spread.
struct ExpectedCache {
  IdChecksum ids;           // every index id
  int64_t inside_bars = 0;  // inside-bars codes among them
  std::vector<HashId> probes;
};

// One stored whole-content value's first-cut vector (TMK: its pure average), as the
// signal's live index takes it. The bytes stay valid only during the callback.
struct SignalVectorRow {
  int64_t signal_row = 0;  // the value's row: what live_signal_value() reads
  int64_t content_id = 0;
  bool content_removed = false;
  std::span<const uint8_t> vector;  // float32 little-endian, as stored
};

// A stored value read back for a comparison.
struct LiveSignalValue {
  int64_t content_id = 0;
  std::vector<uint8_t> value;
};

// What verify checks of the whole-content signal rows, each as the number that break it.
struct SignalViolations {
  int64_t of_missing_contents = 0;    // value or vector rows whose content is no row
  int64_t of_unknown_signal = 0;      // values of a signal this vhm does not know, or not whole-content
  int64_t malformed_digests = 0;      // digests of a size other than their signal's, or in the wrong column
  int64_t malformed_values = 0;       // tmk values that do not parse as a .tmk file
  int64_t vectors_not_matching = 0;   // tmk values without their vector, or whose vector is not their average
  int64_t duplicate_values = 0;       // (content, signal, value) stored more than once
  int64_t videos_without_hashes = 0;  // contents with neither frames nor signal values
  int64_t values_checked = 0;
};

// The counts `vhm bank stats` shows.
struct StoreCounts {
  int64_t contents_live = 0;
  int64_t contents_removed = 0;
  int64_t video_contents = 0;                   // live
  int64_t image_contents = 0;                   // live
  int64_t frames_live = 0;                      // sum of the live contents' frame counts
  int64_t frames_total = 0;                     // sum of every content's frame count
  int64_t frames_inside_bars = 0;               // frames of live contents with an inside-bars hash
  std::vector<BankStats::SignalCount> signals;  // live contents' whole-content values, per signal
  int64_t contents_without_frames = 0;          // live
};

// Rows verify checks.
struct StoreRowCounts {
  int64_t contents = 0;
  int64_t frames = 0;
  int64_t frames_inside_bars = 0;
};

// The bank's invariants, each as the number of rows (or groups) that break it.
struct InvariantViolations {
  int64_t frames_outside_ranges = 0;     // frames outside their content's id range, or of no content
  int64_t contents_miscounted = 0;       // contents whose frame count differs from their frame rows
  int64_t malformed_frames = 0;          // hash not 32 bytes, quality outside 0..100, frame < 0
  int64_t malformed_inside_bars = 0;     // inside-bars hash and quality not both set, or malformed
  int64_t duplicate_hashes = 0;          // (content, hash) pairs stored more than once
  int64_t image_not_one_frame = 0;       // image contents without exactly one frame
  int64_t frames_of_unknown_signal = 0;  // frames whose signal is none this vhm's registry holds
  int64_t from_later_generation = 0;     // contents added or removed after the bank's generation
  int64_t overlapping_ranges = 0;        // contents whose range overlaps the next one's
};

// The store's own check of its storage (SQLite: PRAGMA integrity_check / quick_check).
struct StorageCheck {
  bool ok = true;
  std::string verdict = "ok";  // the storage's own words, for the report
};

// An add recorded as started that never committed nor rolled back cleanly.
struct InterruptedAdd {
  std::string started_at;
  int64_t pid = 0;
  int64_t contents = 0;
  int64_t frames = 0;
  std::string description;  // its first content's external id or source, and how many more
};

struct RecoveryReport {
  // False when an add is running elsewhere (its marker is not a crash's): nothing was
  // looked at.
  bool checked = false;
  std::vector<InterruptedAdd> interrupted;  // their markers are cleared
  StorageCheck storage;                     // run only when `interrupted` is not empty
};

enum class AddOutcome {
  kAdded,
  kDuplicateExternalId,  // a content's external id is a live content's: nothing was added
  kCheckpointMoved,      // apply_changes: the stored checkpoint is not the expected one: nothing written
};

struct AddContentsResult {
  AddOutcome outcome = AddOutcome::kAdded;
  std::vector<AddedContent> added;  // kAdded: one per content, in order
  size_t position = 0;              // kDuplicateExternalId: the refused content's place
  int64_t existing_content_id = 0;  //   and the live content holding that external id
};

// One consistent view of the store; ends (and lets go of what it holds) when destroyed.
class BankStoreReader {
 public:
  virtual ~BankStoreReader() = default;

  virtual Result<int64_t> generation() = 0;
  // A meta value; kCorrupt when the store has none under `key`.
  virtual Result<std::string> meta_value(const std::string& key) = 0;
  // A meta value, nullopt when the store has none under `key`.
  virtual Result<std::optional<std::string>> find_meta_value(const std::string& key) = 0;
  // Every meta value whose key starts with `prefix`, by key without the prefix.
  virtual Result<std::map<std::string, std::string>> meta_values_with_prefix(const std::string& prefix) = 0;

  // ---- frames checksum (checksums.h)
  // The record, if it was recorded at `generation` (nullopt: absent or stale).
  virtual Result<std::optional<FramesChecksum>> recorded_frames_checksum(int64_t generation) = 0;
  virtual Result<FramesChecksum> checksum_frames_after(int64_t after_frame_id) = 0;

  // ---- what an index holds
  // Content spans with id > after_content_id, in id order.
  virtual Status for_each_content_span(int64_t after_content_id,
                                       const std::function<Status(const ContentSpanRow&)>& fn) = 0;
  // Ids of the contents removed at a generation after `generation`.
  virtual Result<std::vector<int64_t>> removed_after(int64_t generation) = 0;
  // Every frame row with id > after_frame_id, in id order, in batches of at most
  // `batch_rows` rows (each row once); fn's error stops the scan and is returned.
  virtual Status scan_frames(int64_t after_frame_id, size_t batch_rows,
                             const std::function<Status(std::span<const FrameCodesRow>)>& fn) = 0;
  // kCorrupt when a content's frame range does not fit the frame rows.
  virtual Result<ExpectedCache> expected_cache(int64_t generation, int64_t max_frame_id) = 0;
  // A frame's hash (inside_bars false) or inside-bars hash; nullopt when the row, or that
  // hash, is absent or not 32 bytes.
  virtual Result<std::optional<Hash256>> frame_code(int64_t frame_id, bool inside_bars) = 0;

  // ---- contents
  // The content with this id, or the live one with this external id (else the most
  // recent removed one); kNotFound when none.
  virtual Result<ContentInfo> find_content(const ContentRef& ref) = 0;
  // Its stored frames in order; kCorrupt when its range does not hold frame_count rows.
  virtual Status read_frames(const ContentInfo& content, std::vector<FrameHash>& frames) = 0;
  // Each content in id order (removed ones only when asked) with its frames; stops at
  // the first error fn returns.
  virtual Status for_each_content(bool include_removed,
                                  const std::function<Status(const ContentInfo&, std::span<const FrameHash>)>& fn) = 0;
  virtual Result<StoreCounts> counts() = 0;

  // ---- whole-content signals (NewContent::signals)
  // The live contents holding this digest (a signal of IndexFamily::kExactDigest), in id order.
  virtual Result<std::vector<int64_t>> contents_with_digest(SignalId signal, std::span<const uint8_t> digest) = 0;
  // Whether any live content holds a value of this digest signal.
  virtual Result<bool> holds_live_digest(SignalId signal) = 0;
  // A content's values, in the order they were added.
  virtual Status read_content_signals(int64_t content_id, std::vector<ContentSignal>& signals) = 0;
  // for_each_content with each content's values too.
  virtual Status for_each_content_with_signals(
      bool include_removed,
      const std::function<Status(const ContentInfo&, std::span<const FrameHash>, std::span<const ContentSignal>)>&
          fn) = 0;
  // The vectors of `signal`'s values whose row is after after_signal_row, in row order.
  virtual Status scan_signal_vectors(SignalId signal, int64_t after_signal_row,
                                     const std::function<Status(const SignalVectorRow&)>& fn) = 0;
  // The value of a row whose content is live; nullopt when it is not (removed, or no row).
  virtual Result<std::optional<LiveSignalValue>> live_signal_value(int64_t signal_row) = 0;
  virtual Result<SignalViolations> signal_violations() = 0;

  // ---- verify
  virtual Result<StorageCheck> check_storage() = 0;
  virtual Result<StoreRowCounts> row_counts() = 0;
  virtual Result<InvariantViolations> invariant_violations(int64_t generation) = 0;
  virtual Result<int64_t> pending_add_count() = 0;
  // Frames whose (id - 1) is a multiple of `spacing`, in id order, with content_removed.
  virtual Status for_each_probe_frame(int64_t spacing, const std::function<Status(const FrameCodesRow&)>& fn) = 0;
  // Every frame that has an inside-bars hash, in id order, with content_removed.
  virtual Status for_each_inside_bars_frame(const std::function<Status(const FrameCodesRow&)>& fn) = 0;

  // Ends the view; its error is the store's (a read view rarely has one).
  virtual Status finish() = 0;
};

class BankStore {
 public:
  virtual ~BankStore() = default;

  // What errors name: the bank directory.
  virtual const std::string& subject() const = 0;

  // How a reader is served. kShort: by the store's resident connection, which the
  // data-version check also uses (reads of a few rows: lookups' refreshes, getters);
  // kLong: by a connection of its own, so a long read (an index build, export, verify)
  // never holds up short ones.
  enum class ReadKind { kShort, kLong };
  virtual Result<std::unique_ptr<BankStoreReader>> begin_read(ReadKind kind) = 0;

  // A number that changes whenever anything (another connection, another process) has
  // committed since the last call returned it: a few microseconds, the first thing a
  // lookup asks. Commits of this store's own writes count too.
  virtual Result<int64_t> data_version() = 0;

  // Adds every content in ONE transaction, all or none, under a crash marker committed
  // before it (cleared by the same transaction; recover_interrupted_adds reports one
  // left by a crash). Each content's frames are stored in order, exact-duplicate hashes
  // once, in one contiguous id range. Contents must be valid (the Bank checks them).
  // progress(frames written so far) every 4096 frames and after each content.
  virtual Result<AddContentsResult> add_contents(std::span<const NewContent> contents,
                                                 const std::function<void(int64_t)>& progress) = 0;
  // BankChanges (bank.h) in ONE transaction: removals (by external id, live ones
  // only), then the additions as add_contents stores them (under its crash marker when
  // there are any), then the checkpoint as meta value "checkpoint:<name>". The
  // generation moves on only when a content is added or removed.
  virtual Result<AddContentsResult> apply_changes(const BankChanges& changes, int64_t& removed,
                                                  const std::function<void(int64_t)>& progress) = 0;
  // Tombstones a content (kNotFound when none); already_removed when it was one.
  virtual Result<RemoveResult> remove(const ContentRef& ref, const std::string& reason) = 0;

  // When no add is running anywhere: reports and clears the markers of adds a crash
  // interrupted (their rows were never committed), then checks the storage.
  virtual Result<RecoveryReport> recover_interrupted_adds() = 0;
  // Recomputes a stale or absent frames checksum record if no writer holds the store
  // (never waits); whether the record is current now.
  virtual Result<bool> refresh_stale_frames_checksum() = 0;
  // Recomputes the record from every row now (verify --rebuild-index).
  virtual Status record_frames_checksum_now() = 0;

  // Bytes the store takes on disk (0 when it does not know).
  virtual int64_t storage_bytes() const = 0;
};

}  // namespace vhm
