// Bank: a directory holding hashes of known content, searched by the matcher.
//
//   <bank>/bank.sqlite        the source of truth (SQLite, WAL mode): contents, their
//                             frame hashes, tombstones, the generation counter
//   <bank>/index.vhmidx       a derived cache: the main HashIndex (HashIndex::save)
//   <bank>/index.vhmidx.meta  what that cache reflects (generation, frame count, id
//                             checksum, the checksum of the frame rows it was built
//                             from, file checksum); checked at load, never trusted
//   <bank>/writer.lock        flock()ed by a process while it adds (crash detection)
//
// Consistency model (docs/BANK.md says more):
//   - every add_contents() call is ONE SQLite transaction: all of it or none of it;
//     a process killed in the middle leaves nothing, and the next open reports it;
//   - remove() is a tombstone (removed_at set, rows kept for audit), committed at once
//     and honoured by the very next lookup() of every open Bank, in this process or
//     another: lookup() first asks SQLite whether anything was committed since (PRAGMA
//     data_version) and, if so, reads the changes before searching;
//   - the search index is the main index (loaded from the cache, or rebuilt from SQLite
//     when the cache is missing, stale or corrupt) plus small "flat" delta indexes of the
//     frames committed since, merged into a new main index on a background thread when
//     they grow; tombstoned contents are filtered out of every hit at query time;
//   - lookups search an immutable snapshot of that state: they never wait for a writer
//     (SQLite's WAL lets them read while another connection writes).
//   - a frame stored with an inside-bars hash (FrameHash::has_cropped: the picture
//     inside its letterbox/pillarbox bars) is searchable by both codes; a lookup reports
//     it once, at the nearer of the two (BankHit::bank_variant says which).
//
// Thread safety: every method may be called from any thread; writers (add, remove)
// are serialised, lookups and getters run concurrently with them and with each other.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame_variant.h"
#include "core/hash256.h"
#include "core/status.h"
#include "hash/video_hasher.h"
#include "signal/signal_type.h"
#include "signal/video_signal_values.h"

namespace vhm {

// What a content is, apart from which signals its hashes are (signal/signal_type.h):
// a video (a hash per sampled frame, matched by vPDQ's percentages) or an image (a
// one-frame content, a match when any query frame is within the distance).
enum class ContentKind : uint8_t {
  kVideo = 0,
  kImage = 1,
};
const char* content_kind_name(ContentKind kind);  // "video", "image"
// As people and files write a kind: "video" or "image", and the older words for them
// ("vpdq"; "pdq", the name an image content had before signals were apart from kinds).
std::optional<ContentKind> parse_content_kind(std::string_view name);
// The word the bank stores for a kind (contents.signal_type, since format 1: 'video',
// 'pdq'), which older vhm versions read and their exports' "signal_type" carries.
const char* stored_content_kind(ContentKind kind);

// What the exchange knows about a content.
struct ContentMeta {
  std::string external_id;  // the exchange's id; empty for none. Unique among live contents
  std::string label;        // free text (a category, a case number)
  std::string source;       // where the hashes came from (a file, "list.txt:12", a URL)
  ContentKind kind = ContentKind::kVideo;
};

// Where an input carried a content, for the errors about it (a duplicate external id,
// a bad frame): they name this file and line rather than the bank. Not stored.
struct ContentOrigin {
  std::string file;  // empty: unknown (errors name the bank and the content's place)
  int64_t line = 0;  // its line in the file (JSON Lines record, list line); 0: the whole file
};

// A whole-content signal's value as a content holds it (signal/video_signal_values.h),
// stored as given so that export gives the same bytes back.
using ContentSignal = SignalValue;

struct NewContent {
  ContentMeta meta;
  std::vector<FrameHash> frames;  // kImage: exactly one; kVideo: any number, none when it has signals
  ContentOrigin origin = {};      // defaulted: NewContent{meta, frames} stays valid
  // Whole-content signals (a video's MD5, SHA-256, TMK+PDQF); an exact duplicate
  // (same signal, same bytes) is stored once. A video content needs frames or signals.
  std::vector<ContentSignal> signals = {};
};

struct ContentInfo {
  int64_t id = 0;
  ContentMeta meta;
  std::string added_at;    // ISO 8601 UTC, e.g. 2024-05-01T12:00:00.123Z
  std::string removed_at;  // empty while the content is live
  std::string removed_reason;
  int64_t frame_count = 0;        // frames stored (exact duplicates dropped)
  int64_t input_frame_count = 0;  // frames given to add
  int64_t first_frame_id = 0;     // its frames are rows first_frame_id .. first_frame_id + frame_count - 1
  int64_t added_generation = 0;
  int64_t removed_generation = 0;  // 0 while live
  bool removed() const { return !removed_at.empty(); }
};

struct AddedContent {
  int64_t id = 0;
  int64_t frames_stored = 0;
  int64_t duplicates_dropped = 0;  // exact-duplicate frame hashes (the first of each kept)
};

// A content named by its bank id or by its external id.
struct ContentRef {
  int64_t id = 0;           // used when external_id is empty
  std::string external_id;  // a live content's external id (or the last removed one's)
  static ContentRef by_id(int64_t id) { return {id, {}}; }
  static ContentRef by_external_id(std::string id) { return {0, std::move(id)}; }
  std::string to_string() const;
};

struct RemoveResult {
  ContentInfo content;           // after the removal
  bool already_removed = false;  // it was a tombstone already: nothing changed
};

// One frame of the bank within the distance of one query. A frame with an inside-bars
// hash is reported once per query, at the smaller of its two distances (as stored on
// a tie); frame_id and frame_ordinal are always the frame's own.
struct BankHit {
  uint32_t query = 0;    // position of the query in the batch
  int32_t distance = 0;  // Hamming distance
  int64_t content_id = 0;
  int64_t frame_id = 0;       // the frame's row id
  int32_t frame_ordinal = 0;  // its position among the content's stored frames: content_frames(id)[ordinal]
  // Which of the frame's codes was within the distance: kOriginal (its hash as stored)
  // or kInsideBars (the hash of the picture inside its bars).
  FrameVariant bank_variant = FrameVariant::kOriginal;
  SignalId signal = SignalId::kPdq;  // the signal whose index held the hash
  friend bool operator==(const BankHit&, const BankHit&) = default;
};

// One whole-content value to look up (lookup_signals). md5/sha256: the digest's bytes;
// tmk: a serialized .tmk file (serialize_tmk). The bytes must outlive the call.
struct SignalQuery {
  SignalId signal = SignalId::kVideoMd5;
  std::span<const uint8_t> value;
};

// A live content whose signal value matched a query.
struct SignalHit {
  uint32_t query = 0;  // position of the query in the batch
  SignalId signal = SignalId::kVideoMd5;
  int64_t content_id = 0;
  double score = 0;  // digests: 1.0 (equal); tmk: the level-2 score (tmk_signal.h)
  // tmk only: the level-1 score (cosine of the pure averages), the period whose kernel
  // gave level-2's score, and the offset of the query within the bank's video
  // (positive: the query starts that far into it), in frames at 15 fps and in seconds,
  // from every period's peak (signal/tmk_signal.h).
  double level1 = 0;
  int period = 0;
  double offset_seconds = 0;
  int64_t offset_frames = 0;
  friend bool operator==(const SignalHit&, const SignalHit&) = default;
};

struct SignalLookupOptions {
  double tmk_level1 = 0.7;  // both as Meta's tmk-two-level-score's defaults (inclusive)
  double tmk_level2 = 0.7;
  // Level-1's short list: at most this many contents per query go on to level-2, the
  // ones of the highest level-1 scores.
  int tmk_candidates = 100;
};

struct LookupOptions {
  // Also search the frames' inside-bars hashes (false: as stored only, which is what a
  // matcher run without bar variants asks for).
  bool inside_bars = true;
};

// Changes committed as ONE transaction, all or none (vhm fetch: one page of an
// exchange's feed together with the checkpoint after it, so that a run killed at any
// point resumes with nothing lost and nothing applied twice). Removals go first, so
// that an addition may take over the external id of a content it replaces.
struct BankChanges {
  // Live contents tombstoned by external id; an id no live content has is skipped.
  std::vector<std::string> remove_external_ids;
  std::string remove_reason;
  std::vector<NewContent> add;
  // A named value stored with the changes (Bank::checkpoint reads it back); empty
  // name: none. The name is the caller's ("fetch:stopncii").
  std::string checkpoint_name;
  std::string checkpoint_value;
  // When set, the changes commit only if the checkpoint stored now is this one (nullopt
  // inside: none stored), else nothing is written (ChangesOutcome::kCheckpointMoved):
  // two runs of one feed never both apply the same page.
  std::optional<std::optional<std::string>> expected_checkpoint;
};

enum class ChangesOutcome {
  kCommitted,
  kCheckpointMoved,      // expected_checkpoint was not the stored one: nothing was written
  kDuplicateExternalId,  // an addition's external id is a live content's not removed: nothing written
};

struct AppliedChanges {
  ChangesOutcome outcome = ChangesOutcome::kCommitted;
  std::vector<AddedContent> added;  // kCommitted: one per BankChanges::add, in order
  int64_t removed = 0;              // live contents tombstoned
  size_t refused = 0;               // kDuplicateExternalId: the addition refused
  int64_t existing_content_id = 0;  //   and the live content holding its external id
};

struct BankCreateOptions {
  std::string index_spec = "mih";  // make_hash_index() factory string of the main index
};

struct BankOptions {
  bool load_index = true;          // load or rebuild the index at open (false: at the first lookup)
  bool save_index = true;          // write the cache after a rebuild or a merge
  bool background_merge = true;    // merge the deltas on a thread once they pass merge_frames
  int64_t merge_frames = 1 << 16;  // delta codes (frames and inside-bars codes) that make a merge worthwhile
  int search_threads = 0;          // SearchOptions::threads for the main index (0: all cores)
  int busy_timeout_ms = 30000;     // how long a writer waits for another writer
  std::string index_spec;          // empty: the bank's own (metadata); else overrides it for this open
  // The level-1 VectorIndex of TMK lookups (index/vector_index.h: "flat-ip", exact, or an
  // approximate "ivf<NLIST>,nprobe=P" / "hnsw<M>"). It lives in memory only, built from
  // the store at the first TMK lookup, so it is this open's choice (docs/BENCHMARKS.md
  // "TMK lookup at 100k and 1M contents": exact up to 1M contents).
  std::string tmk_index_spec = "flat-ip";
  // Called while add_contents() writes (every 4096 frames and at the end of each content)
  // with the frames written so far in this call; for progress lines and crash tests.
  std::function<void(int64_t frames_written)> add_progress;
};

// Where the searchable state stands.
struct BankIndexInfo {
  bool loaded = false;
  std::string spec;        // the main index's factory string
  bool exact = false;      // main index range search misses nothing
  std::string origin;      // "cache", "rebuilt (<why>)", "merged"
  int64_t generation = 0;  // every commit up to this one is searchable
  int64_t main_frames = 0;
  int64_t delta_frames = 0;
  int64_t inside_bars_codes = 0;  // main + delta: codes of frames' inside-bars hashes (besides the frames)
  int64_t delta_segments = 0;
  int64_t removed_contents = 0;  // tombstones filtered at query time
  int64_t merges = 0;            // merges completed since open
  size_t memory_bytes = 0;
};

struct BankStats {
  std::string path;
  int format_version = 0;
  std::string index_spec;
  std::string created_at;
  int64_t generation = 0;
  int64_t contents_live = 0;
  int64_t contents_removed = 0;
  int64_t video_contents = 0;      // live
  int64_t image_contents = 0;      // live
  int64_t frames_live = 0;         // stored frames of live contents
  int64_t frames_total = 0;        // all stored frame rows (tombstoned contents' too)
  int64_t frames_inside_bars = 0;  // stored frames of live contents that have an inside-bars hash
  // Whole-content signals of live contents, per signal that has any: contents holding
  // it and values stored (a content may hold several values of one signal).
  struct SignalCount {
    SignalId signal = SignalId::kVideoMd5;
    int64_t contents = 0;
    int64_t values = 0;
  };
  std::vector<SignalCount> signals;
  int64_t contents_without_frames = 0;  // live contents known by whole-content signals alone
  // Where each feed kept in this bank stands (BankChanges::checkpoint_name -> value).
  std::map<std::string, std::string> checkpoints;
  int64_t tmk_vectors_resident = 0;  // pure averages this Bank holds in memory (0 until a tmk lookup)
  std::string tmk_index_spec;        // the VectorIndex they are searched in (BankOptions::tmk_index_spec)
  int64_t database_bytes = 0;        // bank.sqlite plus its WAL
  int64_t index_cache_bytes = 0;
  bool index_cache_present = false;
  BankIndexInfo index;  // as this Bank has it (loaded=false when it has not loaded it)
  std::vector<std::string> recovery_notes;
};

struct VerifyOptions {
  int64_t probe_frames = 2000;  // frames looked up to check the index (evenly spread)
  bool all_frames = false;      // look up every frame instead
  bool rebuild_index = false;   // rebuild the index from SQLite and rewrite the cache first
};

struct VerifyReport {
  std::vector<std::string> problems;  // empty: the bank is consistent
  std::vector<std::string> notes;     // facts worth knowing (recovered adds, cache rebuilt)
  std::string integrity = "ok";       // PRAGMA integrity_check's verdict
  std::string index_cache;            // "consistent", "missing", "stale: ...", "corrupt: ..."
  int64_t contents_checked = 0;
  int64_t frames_checked = 0;
  int64_t frames_inside_bars = 0;  // frame rows with an inside-bars hash
  int64_t frames_probed = 0;
  int64_t inside_bars_probed = 0;     // inside-bars hashes looked up
  int64_t signal_values_checked = 0;  // whole-content signal values (sizes checked, tmk files parsed)
  bool ok() const { return problems.empty(); }
};

class Bank {
 public:
  // Makes `dir` (and its parents) a new, empty bank. Fails if a bank is there already
  // or the index spec is unknown.
  static Status create(const std::string& dir, const BankCreateOptions& options = {});
  // Opens an existing bank; recovers from interrupted adds and migrates an older format
  // in place (see recovery_notes()); refuses a format newer than kBankFormatVersion.
  static Result<std::unique_ptr<Bank>> open(const std::string& dir, const BankOptions& options = {});

  ~Bank();
  Bank(const Bank&) = delete;
  Bank& operator=(const Bank&) = delete;

  const std::string& path() const;
  // What open() found and repaired: adds interrupted by a crash (rolled back by
  // SQLite, none of their rows visible) and the consistency check run after them, and
  // a migration from an older bank format.
  const std::vector<std::string>& recovery_notes() const;

  // Adds every content in ONE transaction (all or none). Exact-duplicate frame hashes
  // within a content are stored once (the first kept, with its inside-bars hash when
  // FrameHash::has_cropped). Ids in the order given.
  Result<std::vector<AddedContent>> add_contents(std::span<const NewContent> contents);
  Result<AddedContent> add_content(const ContentMeta& meta, std::span<const FrameHash> frames);

  // BankChanges in one transaction (see there); the additions are checked as
  // add_contents checks them, and a refused one leaves the bank as it was.
  Result<AppliedChanges> apply_changes(const BankChanges& changes);
  // The value apply_changes last stored under `name`; nullopt when none was.
  Result<std::optional<std::string>> checkpoint(const std::string& name) const;

  // Tombstones a content: from now on no lookup returns it, here or in any other open
  // Bank. Its rows stay for audit; export skips it. kNotFound when no such content.
  Result<RemoveResult> remove(const ContentRef& ref, const std::string& reason = {});

  // Every bank frame within max_distance (inclusive, 0..256) of each query, through its
  // hash as stored or its inside-bars hash, once per (query, frame); tombstoned contents
  // left out, sorted by (query, content id, frame id). Sees every commit made before
  // the call, by any process. The queries are PDQ codes: this searches the PDQ signal's
  // live index, and each hit says so (BankHit::signal); a signal of another index
  // family gets a lookup of its own when it comes.
  Result<std::vector<BankHit>> lookup(std::span<const Hash256> queries, int max_distance,
                                      const LookupOptions& options = {});

  // The live contents whose whole-content signal matches each query: digests by
  // equality (through the store's index of them, so nothing of them is held in
  // memory); tmk as tmk-two-level-score says: a first cut by level-1 (the cosine of the
  // pure averages, an exact inner-product search over this Bank's in-memory vectors,
  // 1 KiB per TMK content), then level-1 and level-2 in the reference's arithmetic on
  // the features of each of the first tmk_candidates, read from the store one by one
  // (never all resident). Sees every commit made before the call, by any process
  // (removals included), as lookup() does; sorted by (query, content id).
  // kInvalidArgument naming the query for a signal that is not whole-content, a digest
  // of the wrong size, or a value that is no .tmk file.
  Result<std::vector<SignalHit>> lookup_signals(std::span<const SignalQuery> queries,
                                                const SignalLookupOptions& options = {});
  // The whole-content signals some live content holds now, in SignalId order (what a
  // matcher computes for a query beyond PDQ: a TMK costs a tenth more decode time, so
  // it is made only for a bank that can match it). Digests ask the store's index;
  // vector signals their synced in-memory index.
  Result<std::vector<SignalId>> whole_content_signals_held();

  // Reads what other connections committed since the last look (lookup() does this itself).
  Status refresh();
  // Rebuilds the main index from SQLite now (folding in the deltas), then saves the cache.
  Status merge();
  // Waits for a background merge, if one is running.
  void wait_for_merge();

  Result<ContentInfo> content(int64_t id) const;
  // The live content with this external id (else the most recent removed one).
  Result<ContentInfo> content(const ContentRef& ref) const;
  // Its stored frames in order (frame number, timestamp, quality, hash, and the
  // inside-bars hash and quality where stored: has_cropped, cropped, cropped_quality).
  Result<std::vector<FrameHash>> content_frames(int64_t id) const;
  // Calls fn for each content in id order (tombstoned ones only when asked), in one
  // snapshot; stops at the first error fn returns.
  Status for_each_content(bool include_removed,
                          const std::function<Status(const ContentInfo&, std::span<const FrameHash>)>& fn) const;

  // Its whole-content signal values, in the order they were added.
  Result<std::vector<ContentSignal>> content_signals(int64_t id) const;
  // The live content of each external id with its frames and signals (nullopt where no
  // live content has it), all from one snapshot: what vhm fetch compares a page with.
  struct HeldContent {
    ContentInfo info;
    std::vector<FrameHash> frames;
    std::vector<ContentSignal> signals;
  };
  Result<std::vector<std::optional<HeldContent>>> live_contents(std::span<const std::string> external_ids) const;
  // for_each_content with each content's whole-content signals too (export).
  Status for_each_content_with_signals(bool include_removed,
                                       const std::function<Status(const ContentInfo&, std::span<const FrameHash>,
                                                                  std::span<const ContentSignal>)>& fn) const;

  Result<BankStats> stats() const;
  BankIndexInfo index_info() const;
  Result<VerifyReport> verify(const VerifyOptions& options = {});

  struct Impl;

 private:
  explicit Bank(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Bank file names inside its directory.
inline constexpr const char* kBankDatabaseFile = "bank.sqlite";
inline constexpr const char* kBankIndexFile = "index.vhmidx";
inline constexpr const char* kBankIndexMetaFile = "index.vhmidx.meta";
inline constexpr const char* kBankWriterLockFile = "writer.lock";
// 1: frames as hashed; 2: frames may also hold the hash of the picture inside their bars;
// 3: each frame records the signal its hashes are of; 4: whole-content signals
// (content_signals), contents without frames (bank_schema.h).
inline constexpr int kBankFormatVersion = 4;

}  // namespace vhm
