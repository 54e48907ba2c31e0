#include "bank/bank.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>
#include <sstream>
#include <limits>
#include <thread>
#include <unordered_set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bank/bank_index_ids.h"
#include "bank/bank_schema.h"
#include "bank/cache_expectation.h"
#include "bank/frames_checksum.h"
#include "bank/index_cache_files.h"
#include "bank/sqlite_ptr.h"
#include "core/json_text.h"
#include "index/hash_index.h"

namespace vhm {

namespace fs = std::filesystem;

namespace {

// The spec of the delta indexes: exhaustive, exact, cheap to build.
constexpr const char* kDeltaSpec = "flat";
// Initial capacity of the staging buffers of an index build (they grow as needed).
constexpr size_t kBuildReserve = size_t{1} << 18;
// Delta segments (one per refresh that found frames) before they are compacted into one.
constexpr size_t kMaxDeltaSegments = 8;
constexpr size_t kMaxSpanChunks = 8;
// Reserved up front for a content's frames at most: frame_count comes from the database
// and is checked against the rows actually read, never allocated from.
constexpr int64_t kMaxFramesReserve = int64_t{1} << 16;

constexpr const char* kContentColumns =
    "id, external_id, label, source, signal_type, added_at, removed_at, removed_reason, frame_count, "
    "input_frame_count, first_frame_id, added_generation, removed_generation";

// ---------------------------------------------------------------------------- helpers

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

// The 32 stored bytes of a hash: byte b holds bits 8b..8b+7 (FAISS's binary code).
std::array<uint8_t, 32> to_blob(const Hash256& h) {
  std::array<uint8_t, 32> b{};
  for (int i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(h.words[i >> 3] >> ((i & 7) * 8));
  return b;
}

bool from_blob(std::span<const uint8_t> b, Hash256& h) {
  if (b.size() != 32) return false;
  h.clear();
  for (int i = 0; i < 32; ++i) h.words[i >> 3] |= uint64_t{b[i]} << ((i & 7) * 8);
  return true;
}

struct Hash256Hasher {
  size_t operator()(const Hash256& h) const {
    uint64_t x = h.words[0] * 0x9E3779B97F4A7C15ULL;
    x ^= h.words[1] + 0x632BE59BD9B4E019ULL + (x << 6) + (x >> 2);
    x ^= h.words[2] + 0x85157AF5ULL + (x << 6) + (x >> 2);
    x ^= h.words[3] + (x << 6) + (x >> 2);
    return static_cast<size_t>(x);
  }
};

// An flock() on a file, released (with the file closed) when destroyed. The kernel
// releases it too when the process dies, however it dies.
class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock& operator=(FileLock&& o) noexcept {
    release();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~FileLock() { release(); }

  // Waits up to timeout_ms (0: does not wait); kUnavailable when still held elsewhere.
  static Result<FileLock> acquire(const std::string& path, int timeout_ms) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status(StatusCode::kIoError, std::string("cannot open lock file: ") + std::strerror(errno), path);
    FileLock lock;
    lock.fd_ = fd;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR)
        return Status(StatusCode::kIoError, std::string("flock: ") + std::strerror(errno), path);
      if (std::chrono::steady_clock::now() >= deadline)
        return Status(StatusCode::kUnavailable, "locked by another process (timed out waiting)", path);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return lock;
  }

 private:
  void release() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
      fd_ = -1;
    }
  }
  int fd_ = -1;
};

Result<std::string> meta_value(const SqliteDb& db, const std::string& key) {
  auto stmt = db.prepare("SELECT value FROM meta WHERE key = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return Status(StatusCode::kCorrupt, "bank metadata lacks '" + key + "'", db.subject());
  return stmt->column_text(0);
}

Status set_meta(const SqliteDb& db, const std::string& key, const std::string& value) {
  auto stmt = db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) return stmt.status();
  stmt->bind(1, key).bind(2, value);
  return stmt->run();
}

Result<int64_t> read_generation(const SqliteDb& db) {
  auto v = meta_value(db, "generation");
  if (!v) return v.status();
  try {
    return static_cast<int64_t>(std::stoll(*v));
  } catch (const std::exception&) {
    return Status(StatusCode::kCorrupt, "bank generation is not a number: '" + *v + "'", db.subject());
  }
}

ContentInfo content_from_row(const SqliteStatement& s) {
  ContentInfo c;
  c.id = s.column_int(0);
  c.meta.external_id = s.column_text(1);
  c.meta.label = s.column_text(2);
  c.meta.source = s.column_text(3);
  c.meta.signal_type = parse_signal_type(s.column_text(4)).value_or(SignalType::kVideo);
  c.added_at = s.column_text(5);
  c.removed_at = s.column_text(6);
  c.removed_reason = s.column_text(7);
  c.frame_count = s.column_int(8);
  c.input_frame_count = s.column_int(9);
  c.first_frame_id = s.column_int(10);
  c.added_generation = s.column_int(11);
  c.removed_generation = s.column_is_null(12) ? 0 : s.column_int(12);
  return c;
}

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
  if (st.type() != fs::file_type::regular)
    return {StatusCode::kCorrupt, file.string() + " is not a regular file", dir};
  return Status::ok();
}

Result<SqliteDb> open_connection(const std::string& dir, int busy_timeout_ms, bool query_only) {
  const std::string file = (fs::path(dir) / kBankDatabaseFile).string();
  auto db = SqliteDb::open(file, SQLITE_OPEN_READWRITE, dir);
  if (!db) return db.status();
  VHM_RETURN_IF_ERROR(configure_connection(*db, busy_timeout_ms));
  if (query_only) VHM_RETURN_IF_ERROR(db->exec("PRAGMA query_only = 1"));
  return db;
}

// ---------------------------------------------------------------------------- searchable state

struct ContentSpan {
  int64_t first_frame_id = 0;
  int64_t content_id = 0;
  int64_t frame_count = 0;
  SignalType type = SignalType::kVideo;
};
using SpanChunk = std::vector<ContentSpan>;  // sorted by first_frame_id (= by content id)
using RemovedSet = std::unordered_set<int64_t>;

struct DeltaSegment {
  std::shared_ptr<const HashIndex> index;
  std::shared_ptr<const std::vector<Hash256>> codes;  // kept for compaction
  std::shared_ptr<const std::vector<HashId>> ids;     // index ids (bank_index_ids.h)
  int64_t inside_bars = 0;  // of those, inside-bars codes
  int64_t lo = 0;  // holds frames lo < id <= hi (of contents live when read)
  int64_t hi = 0;
};

// An immutable picture of what is searchable; lookups hold a shared_ptr to one.
struct IndexState {
  std::shared_ptr<const HashIndex> main;
  int64_t main_max_frame_id = 0;  // main holds frames <= this (of contents live at its build)
  int64_t main_inside_bars = 0;   // inside-bars codes among main's
  std::vector<DeltaSegment> deltas;
  std::vector<std::shared_ptr<const SpanChunk>> chunks;
  std::shared_ptr<const RemovedSet> removed;
  int64_t generation = 0;         // every commit up to this one is reflected
  int64_t max_content_id = 0;
  int64_t max_frame_id = 0;
  FramesChecksum frames_checksum;  // of every frame row <= max_frame_id (frames_checksum.h)
  // The store's record agreed with frames_checksum when this state was built: only then
  // does a later disagreement mean the database was replaced (a record that never
  // matched its rows is verify's finding, not a reason to rebuild at every lookup).
  bool record_agrees = false;
  std::string origin;

  int64_t delta_codes() const {
    int64_t n = 0;
    for (const auto& d : deltas) n += static_cast<int64_t>(d.ids->size());
    return n;
  }
  int64_t delta_inside_bars() const {
    int64_t n = 0;
    for (const auto& d : deltas) n += d.inside_bars;
    return n;
  }

  const ContentSpan* find(int64_t frame_id) const {
    for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
      const SpanChunk& c = **it;
      if (c.empty() || frame_id < c.front().first_frame_id) continue;
      auto pos = std::upper_bound(c.begin(), c.end(), frame_id,
                                  [](int64_t id, const ContentSpan& s) { return id < s.first_frame_id; });
      if (pos == c.begin()) continue;
      --pos;
      if (frame_id - pos->first_frame_id < pos->frame_count) return &*pos;  // no overflow: frame_count is untrusted
    }
    return nullptr;
  }
};

// The main index of one SQLite snapshot, with what the cache's metadata records.
struct Snapshot {
  std::shared_ptr<HashIndex> index;
  int64_t generation = 0;
  int64_t max_frame_id = 0;
  int64_t max_content_id = 0;
  std::shared_ptr<SpanChunk> spans;
  std::shared_ptr<RemovedSet> removed;
  IdChecksum ids;           // every index id: frames and inside-bars codes
  int64_t inside_bars = 0;  // inside-bars codes among them
  FramesChecksum frames;    // every frame row read (those of removed contents too)
  bool record_agrees = false;  // the store's record at this generation equals `frames`
};

// One frames row as the index takes it: its hash under its frame id, and its inside-bars
// hash (column `bars_col`, NULL for a frame without bars) under the variant's id.
Status append_frame_codes(const SqliteStatement& s, int id_col, int hash_col, int bars_col, const std::string& dir,
                          std::vector<Hash256>& codes, std::vector<HashId>& ids, int64_t& inside_bars) {
  const int64_t id = s.column_int(id_col);
  Hash256 h;
  if (!from_blob(s.column_blob(hash_col), h))
    return Status(StatusCode::kCorrupt, "frame " + std::to_string(id) + " has a hash of the wrong size", dir);
  codes.push_back(h);
  ids.push_back(id);
  if (s.column_is_null(bars_col)) return Status::ok();
  if (!from_blob(s.column_blob(bars_col), h))
    return Status(StatusCode::kCorrupt, "frame " + std::to_string(id) + " has an inside-bars hash of the wrong size",
                  dir);
  codes.push_back(h);
  ids.push_back(inside_bars_index_id(id));
  ++inside_bars;
  return Status::ok();
}

Result<std::shared_ptr<HashIndex>> new_index(const std::string& spec, const std::string& subject) {
  auto index = make_hash_index(spec);
  if (!index) return index.status().with_subject(subject);
  return std::shared_ptr<HashIndex>(std::move(index).value());
}

// Reads contents and every frame of a live content in one read transaction and builds
// the main index from them. `stop` aborts (kUnavailable) between batches.
Result<Snapshot> build_snapshot(const std::string& dir, const std::string& spec, int busy_timeout_ms,
                                const std::atomic<bool>* stop) {
  auto db = open_connection(dir, busy_timeout_ms, true);
  if (!db) return db.status();
  auto txn = SqliteTransaction::begin(*db, "BEGIN");
  if (!txn) return txn.status();
  Snapshot snap;
  auto gen = read_generation(*db);  // the first read fixes the snapshot
  if (!gen) return gen.status();
  snap.generation = *gen;
  snap.spans = std::make_shared<SpanChunk>();
  snap.removed = std::make_shared<RemovedSet>();
  {
    auto s = db->prepare("SELECT id, first_frame_id, frame_count, signal_type, removed_generation FROM contents ORDER BY id");
    if (!s) return s.status();
    while (true) {
      auto row = s->step();
      if (!row) return row.status();
      if (!*row) break;
      ContentSpan span{s->column_int(1), s->column_int(0), s->column_int(2),
                       parse_signal_type(s->column_text(3)).value_or(SignalType::kVideo)};
      snap.spans->push_back(span);
      snap.max_content_id = span.content_id;
      if (!s->column_is_null(4)) snap.removed->insert(span.content_id);
    }
  }
  auto index = new_index(spec, dir);
  if (!index) return index.status();
  snap.index = *index;
  {
    auto s = db->prepare("SELECT id, content_id, hash, inside_bars_hash FROM frames ORDER BY id");
    if (!s) return s.status();
    std::vector<Hash256> codes;
    std::vector<HashId> ids;
    codes.reserve(kBuildReserve);
    ids.reserve(kBuildReserve);
    auto flush = [&]() -> Status {
      if (codes.empty()) return Status::ok();
      if (stop && stop->load()) return {StatusCode::kUnavailable, "index build stopped", dir};
      Status st = snap.index->add(codes, ids);
      codes.clear();
      ids.clear();
      return st.with_subject(dir);
    };
    while (true) {
      auto row = s->step();
      if (!row) return row.status();
      if (!*row) break;
      const int64_t id = s->column_int(0);
      snap.max_frame_id = std::max(snap.max_frame_id, id);
      snap.frames.add_row(id, s->column_blob(2), s->column_blob(3));
      if (snap.removed->count(s->column_int(1))) continue;
      const size_t before = ids.size();
      VHM_RETURN_IF_ERROR(append_frame_codes(*s, 0, 2, 3, dir, codes, ids, snap.inside_bars));
      for (size_t i = before; i < ids.size(); ++i) snap.ids.add(ids[i]);
    }
    auto recorded = recorded_frames_checksum(*db, snap.generation);
    if (!recorded) return recorded.status();
    snap.record_agrees = *recorded && **recorded == snap.frames;
    // One add for the whole bank: an index that reorganises as it grows (mih rebuilds
    // its tables when its unindexed tail passes 64 Ki codes) would otherwise rebuild
    // once per batch, quadratic in the bank size (88 s instead of ~9 s at 10M frames).
    VHM_RETURN_IF_ERROR(flush());
  }
  VHM_RETURN_IF_ERROR(txn->commit());
  return snap;
}

}  // namespace

// ---------------------------------------------------------------------------- small public helpers

const char* signal_type_name(SignalType type) { return type == SignalType::kPdq ? "pdq" : "video"; }

std::optional<SignalType> parse_signal_type(std::string_view name) {
  if (name == "video" || name == "vpdq") return SignalType::kVideo;
  if (name == "pdq") return SignalType::kPdq;
  return std::nullopt;
}

std::string ContentRef::to_string() const {
  return external_id.empty() ? "id " + std::to_string(id) : "external id '" + external_id + "'";
}

// ---------------------------------------------------------------------------- Impl

struct Bank::Impl {
  std::string dir;
  BankOptions options;
  std::string spec;  // the main index's factory string
  std::vector<std::string> recovery_notes;

  // Writers (add, remove) on their own connection, one at a time.
  mutable std::mutex write_mutex;
  SqliteDb writer;
  // The reader connection: data_version checks, refreshes, getters (briefly).
  mutable std::mutex read_mutex;
  SqliteDb reader;

  // State transitions (load, refresh, merge publish) one at a time; readers only take
  // state_mutex to copy the pointer.
  mutable std::mutex refresh_mutex;
  mutable std::mutex state_mutex;
  std::shared_ptr<const IndexState> state;
  std::atomic<int64_t> synced_data_version{-1};

  std::mutex merge_mutex;   // one merge build at a time
  std::mutex thread_mutex;  // guards merge_thread (the object, not the work)
  std::thread merge_thread;
  std::atomic<bool> merging{false};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> merges{0};

  ~Impl() {
    stopping = true;
    wait_for_merge();
  }

  // Joins the background merge thread, if any, without holding a lock it needs.
  void wait_for_merge() {
    std::thread t;
    {
      std::lock_guard lock(thread_mutex);
      t = std::move(merge_thread);
    }
    if (t.joinable()) t.join();
  }

  std::string file(const char* name) const { return (fs::path(dir) / name).string(); }

  std::shared_ptr<const IndexState> current() const {
    std::lock_guard lock(state_mutex);
    return state;
  }
  void publish(std::shared_ptr<const IndexState> s) {
    std::lock_guard lock(state_mutex);
    state = std::move(s);
  }

  Result<int64_t> data_version() const {
    std::lock_guard lock(read_mutex);
    return reader.query_int("PRAGMA data_version");
  }

  // ---- recovery

  Status recover_interrupted_adds() {
    auto lock = FileLock::acquire(file(kBankWriterLockFile), 0);
    if (!lock) {
      if (lock.status().code() == StatusCode::kUnavailable) return Status::ok();  // an add is running now
      return lock.status();
    }
    auto s = writer.prepare("SELECT id, pid, started_at, contents, frames, description FROM pending_adds ORDER BY id");
    if (!s) return s.status();
    int found = 0;
    while (true) {
      auto row = s->step();
      if (!row) return row.status();
      if (!*row) break;
      ++found;
      recovery_notes.push_back("an add started at " + s->column_text(2) + " by process " +
                               std::to_string(s->column_int(1)) + " (" + std::to_string(s->column_int(3)) +
                               " contents, " + std::to_string(s->column_int(4)) + " frames: " + s->column_text(5) +
                               ") did not finish; SQLite rolled it back, none of it is in the bank");
    }
    s->reset();
    if (!found) return Status::ok();
    VHM_RETURN_IF_ERROR(writer.exec("DELETE FROM pending_adds"));
    auto check = writer.prepare("PRAGMA quick_check");
    if (!check) return check.status();
    auto row = check->step();
    if (!row) return row.status();
    const std::string verdict = *row ? check->column_text(0) : "no answer";
    if (verdict == "ok")
      recovery_notes.push_back("the bank is consistent after the interrupted add (quick_check ok)");
    else
      recovery_notes.push_back("quick_check after the interrupted add: " + verdict + " (run 'vhm bank verify')");
    for (const auto& n : recovery_notes) spdlog::warn("{}: {}", dir, n);
    return Status::ok();
  }

  // ---- the searchable state

  // A cache that passed every check.
  struct LoadedCache {
    std::shared_ptr<const HashIndex> index;
    int64_t generation = 0;
    int64_t max_frame_id = 0;
    int64_t inside_bars = 0;  // inside-bars codes it holds
    FramesChecksum frames;    // of the frame rows <= max_frame_id it was built from
  };

  // Whether the cache was used, and why not: typed, so no caller reads the message.
  enum class CacheVerdict { kUsable, kMissing, kRejected };
  struct CacheCheck {
    CacheVerdict verdict = CacheVerdict::kUsable;
    std::string reason;  // kRejected: why, for the log, the origin and verify's report
  };
  static CacheCheck rejected(std::string why) { return {CacheVerdict::kRejected, std::move(why)}; }

  // Loads the cache if it is consistent with SQLite; the reason it is not otherwise.
  // Every file is read as outside bytes (index_cache_files.h): nothing in them can make
  // this throw, block or allocate beyond the file.
  CacheCheck try_load_cache(LoadedCache& out) const {
    const std::string index_path = file(kBankIndexFile), meta_path = file(kBankIndexMetaFile);
    std::error_code ec;
    if (fs::symlink_status(index_path, ec).type() == fs::file_type::not_found)
      return {CacheVerdict::kMissing, "missing"};
    auto meta = read_index_cache_meta(meta_path);
    if (!meta) {
      if (meta.status().code() == StatusCode::kNotFound) return rejected("its metadata file is missing");
      return rejected(meta.status().message());
    }
    if (meta->spec != spec) return rejected("built as '" + meta->spec + "', the bank wants '" + spec + "'");
    if (!meta->has_frames_checksum)
      return rejected("its metadata does not record which hashes it was built from (written by an older vhm)");
    auto sum = index_cache_file_checksum(index_path, meta->file_bytes);
    if (!sum) return rejected(sum.status().message());
    if (sum->checksum != meta->file_checksum) return rejected("the file's checksum does not match its metadata");
    std::vector<HashId> probes;
    std::vector<Hash256> probe_codes;
    {
      std::lock_guard lock(read_mutex);
      auto txn = SqliteTransaction::begin(reader, "BEGIN");
      if (!txn) return rejected(txn.status().message());
      auto now = read_generation(reader);
      if (!now) return rejected(now.status().message());
      if (meta->generation > *now)
        return rejected("made at generation " + std::to_string(meta->generation) + ", the bank is at " +
                        std::to_string(*now));
      // The proof that it was built from these hashes: the frame rows up to its last
      // frame must checksum as they did when it was built. A bank.sqlite restored from a
      // backup, with contents added since, has the same generations, ids and counts as
      // the history the cache came from, but other hashes.
      auto recorded = recorded_frames_checksum(reader, *now);
      if (!recorded) return rejected(recorded.status().message());
      if (!*recorded)
        return rejected("the bank's frames checksum is not recorded at generation " + std::to_string(*now) +
                        " (a commit by an older vhm)");
      auto tail = checksum_frames_after(reader, meta->max_frame_id);
      if (!tail) return rejected(tail.status().message());
      const FramesChecksum built_from{meta->frames_checksum};
      if ((*recorded)->minus(*tail) != built_from)
        return rejected("it was built from other hashes than bank.sqlite holds (the database was restored from a "
                        "backup or replaced since)");
      auto expected = expected_cache(reader, meta->generation, meta->max_frame_id);
      if (!expected) return rejected(expected.status().message());
      if (expected->inside_bars != meta->inside_bars_count)
        return rejected("it holds " + std::to_string(meta->inside_bars_count) + " inside-bars codes, the bank had " +
                        std::to_string(expected->inside_bars) + " at generation " + std::to_string(meta->generation));
      if (expected->ids.count != meta->count || expected->ids.sum != meta->ids_checksum)
        return rejected("its frame ids do not match the bank's at generation " + std::to_string(meta->generation));
      probes = std::move(expected->probes);
      auto s = reader.prepare("SELECT hash, inside_bars_hash FROM frames WHERE id = ?");
      if (!s) return rejected(s.status().message());
      for (HashId probe : probes) {
        const int64_t id = frame_id_of(probe);
        s->reset();
        s->bind(1, id);
        auto row = s->step();
        if (!row) return rejected(row.status().message());
        Hash256 h;
        const int col = bank_variant_of(probe) == kBankVariantInsideBars ? 1 : 0;
        if (!*row || !from_blob(s->column_blob(col), h)) return rejected("frame " + std::to_string(id) + " unreadable");
        probe_codes.push_back(h);
      }
      (void)txn->commit();
    }
    auto loaded = load_hash_index(index_path);
    if (!loaded) return rejected(loaded.status().message());
    if (static_cast<int64_t>((*loaded)->size()) != meta->count)
      return rejected("it holds " + std::to_string((*loaded)->size()) + " frames, its metadata says " +
                      std::to_string(meta->count));
    if (!probe_codes.empty()) {
      std::vector<RangeHit> hits;
      SearchOptions so;
      so.threads = options.search_threads;
      if (Status st = (*loaded)->range_search(probe_codes, 0, hits, so); !st.is_ok()) return rejected(st.message());
      for (size_t q = 0; q < probes.size(); ++q) {
        const bool found = std::any_of(hits.begin(), hits.end(),
                                       [&](const RangeHit& h) { return h.query == q && h.id == probes[q]; });
        if (!found) {
          const bool bars = bank_variant_of(probes[q]) == kBankVariantInsideBars;
          return rejected(std::string(bars ? "the inside-bars code of frame " : "frame ") +
                          std::to_string(frame_id_of(probes[q])) + " is not in it");
        }
      }
    }
    out.index = std::shared_ptr<const HashIndex>(std::move(loaded).value());
    out.generation = meta->generation;
    out.max_frame_id = meta->max_frame_id;
    out.inside_bars = meta->inside_bars_count;
    out.frames = FramesChecksum{meta->frames_checksum};
    return {};
  }

  // Writes the cache for a snapshot: index then metadata, each through a temporary file
  // renamed into place (a reader that pairs a new index with old metadata sees the
  // checksum differ and rebuilds).
  Status save_cache(const Snapshot& snap) const {
    auto lock = FileLock::acquire(file("index.vhmidx.lock"), options.busy_timeout_ms);
    if (!lock) return lock.status();
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    const std::string tmp_index = file(kBankIndexFile) + ".tmp-" + tag;
    const std::string tmp_meta = file(kBankIndexMetaFile) + ".tmp-" + tag;
    auto cleanup = [&] {
      std::error_code ec;
      fs::remove(tmp_index, ec);
      fs::remove(tmp_meta, ec);
    };
    Status st = snap.index->save(tmp_index);
    if (!st.is_ok()) {
      cleanup();
      return st.with_subject(dir);
    }
    auto sum = index_cache_file_checksum(tmp_index);
    if (!sum) {
      cleanup();
      return sum.status();
    }
    IndexCacheMeta meta;
    meta.spec = spec;
    meta.generation = snap.generation;
    meta.max_frame_id = snap.max_frame_id;
    meta.count = snap.ids.count;
    meta.inside_bars_count = snap.inside_bars;
    meta.ids_checksum = snap.ids.sum;
    meta.frames_checksum = snap.frames.sum;
    meta.has_frames_checksum = true;
    meta.file_bytes = sum->bytes;
    meta.file_checksum = sum->checksum;
    meta.written_at = now_iso();
    if (Status w = write_index_cache_meta(tmp_meta, meta); !w.is_ok()) {
      cleanup();
      return w.with_subject(dir);
    }
    std::error_code ec;
    fs::rename(tmp_index, file(kBankIndexFile), ec);
    if (!ec) fs::rename(tmp_meta, file(kBankIndexMetaFile), ec);
    if (ec) {
      cleanup();
      return {StatusCode::kIoError, "cannot install the index cache: " + ec.message(), dir};
    }
    return Status::ok();
  }

  void save_cache_logged(const Snapshot& snap) const {
    if (!options.save_index) return;
    Status st = save_cache(snap);
    if (!st.is_ok()) spdlog::warn("index cache not saved: {}", st.to_string());
  }

  static std::shared_ptr<IndexState> state_from_snapshot(const Snapshot& snap, std::string origin) {
    auto s = std::make_shared<IndexState>();
    s->main = snap.index;
    s->main_max_frame_id = snap.max_frame_id;
    s->main_inside_bars = snap.inside_bars;
    s->chunks.push_back(snap.spans);
    s->removed = snap.removed;
    s->generation = snap.generation;
    s->max_content_id = snap.max_content_id;
    s->max_frame_id = snap.max_frame_id;
    s->frames_checksum = snap.frames;
    s->record_agrees = snap.record_agrees;
    s->origin = std::move(origin);
    return s;
  }

  // What a refresh did: brought the state up to date, or dropped it because the
  // database is not the one it was built from (it went back in time, or its frames no
  // longer add up to its record: restored from a copy); the caller rebuilds.
  enum class Refreshed { kUpToDate, kStartOver };

  // Under refresh_mutex: loads or builds the index if it is not there yet.
  Status ensure_index_locked() {
    if (current()) return Status::ok();
    auto dv = data_version();  // before reading: a commit after this is seen by the next sync
    if (!dv) return dv.status();
    LoadedCache loaded;
    const CacheCheck cache = try_load_cache(loaded);
    if (cache.verdict == CacheVerdict::kUsable) {
      auto s = std::make_shared<IndexState>();
      s->main = loaded.index;
      s->main_max_frame_id = loaded.max_frame_id;
      s->main_inside_bars = loaded.inside_bars;
      s->max_frame_id = loaded.max_frame_id;
      s->frames_checksum = loaded.frames;
      s->record_agrees = true;  // try_load_cache checked the record against it
      s->removed = std::make_shared<RemovedSet>();
      s->origin = "cache";
      // generation 0 and max_content_id 0: the refresh below reads every content span
      // and tombstone, and the frames committed after the cache as a delta.
      publish(s);
    } else {
      const std::string why = cache.verdict == CacheVerdict::kMissing ? "no cache" : "cache " + cache.reason;
      if (cache.verdict == CacheVerdict::kRejected)
        spdlog::info("{}: index cache not used ({}), rebuilding", dir, cache.reason);
      auto snap = build_snapshot(dir, spec, options.busy_timeout_ms, &stopping);
      if (!snap) return snap.status();
      publish(state_from_snapshot(*snap, "rebuilt (" + why + ")"));
      save_cache_logged(*snap);
    }
    auto refreshed = refresh_locked();
    if (!refreshed) return refreshed.status();
    if (*refreshed == Refreshed::kStartOver)
      return {StatusCode::kUnavailable, "bank.sqlite changed while its index was loaded (replaced?); try again", dir};
    synced_data_version = *dv;
    return Status::ok();
  }

  Status ensure_index() {
    if (current()) return Status::ok();
    std::lock_guard lock(refresh_mutex);
    return ensure_index_locked();
  }

  // Under refresh_mutex: reads what was committed since the state's generation and
  // publishes a state with it (a delta segment, new spans, new tombstones).
  Result<Refreshed> refresh_locked() {
    auto base = current();
    if (!base) return Refreshed::kUpToDate;  // nothing loaded: nothing to keep up to date
    auto next = std::make_shared<IndexState>(*base);
    std::vector<Hash256> codes;
    std::vector<HashId> ids;
    auto spans = std::make_shared<SpanChunk>();
    std::vector<int64_t> removed_now;
    int64_t generation = 0, inside_bars = 0;
    auto start_over = [&] {
      publish(nullptr);
      return Refreshed::kStartOver;
    };
    {
      std::lock_guard lock(read_mutex);
      auto txn = SqliteTransaction::begin(reader, "BEGIN");
      if (!txn) return txn.status();
      auto gen = read_generation(reader);
      if (!gen) return gen.status();
      generation = *gen;
      if (generation == base->generation) {
        // Nothing new, unless the file was replaced by a copy at the same generation.
        auto recorded = recorded_frames_checksum(reader, generation);
        if (!recorded) return recorded.status();
        VHM_RETURN_IF_ERROR(txn->commit());
        return base->record_agrees && *recorded && **recorded != base->frames_checksum ? start_over()
                                                                                        : Refreshed::kUpToDate;
      }
      if (generation < base->generation) {
        // The database went back in time (restored from a copy): start over.
        (void)txn->commit();
        return start_over();
      }
      auto s = reader.prepare("SELECT id, first_frame_id, frame_count, signal_type FROM contents WHERE id > ? ORDER BY id");
      if (!s) return s.status();
      s->bind(1, base->max_content_id);
      while (true) {
        auto row = s->step();
        if (!row) return row.status();
        if (!*row) break;
        spans->push_back({s->column_int(1), s->column_int(0), s->column_int(2),
                          parse_signal_type(s->column_text(3)).value_or(SignalType::kVideo)});
      }
      auto r = reader.prepare("SELECT id FROM contents WHERE removed_generation > ?");
      if (!r) return r.status();
      r->bind(1, base->generation);
      while (true) {
        auto row = r->step();
        if (!row) return row.status();
        if (!*row) break;
        if (!base->removed->count(r->column_int(0))) removed_now.push_back(r->column_int(0));
      }
      if (!removed_now.empty()) {
        auto removed = std::make_shared<RemovedSet>(*base->removed);
        removed->insert(removed_now.begin(), removed_now.end());
        next->removed = removed;
      }
      auto f = reader.prepare("SELECT id, content_id, hash, inside_bars_hash FROM frames WHERE id > ? ORDER BY id");
      if (!f) return f.status();
      f->bind(1, base->max_frame_id);
      while (true) {
        auto row = f->step();
        if (!row) return row.status();
        if (!*row) break;
        const int64_t id = f->column_int(0);
        next->max_frame_id = std::max(next->max_frame_id, id);
        next->frames_checksum.add_row(id, f->column_blob(2), f->column_blob(3));
        if (next->removed->count(f->column_int(1))) continue;
        VHM_RETURN_IF_ERROR(append_frame_codes(*f, 0, 2, 3, dir, codes, ids, inside_bars));
      }
      // The rows this state was built from, and the new ones, must add up to the
      // store's record: if not, the database was replaced under this Bank (restored
      // from a backup, then written to) and what it searches is another bank's.
      auto recorded = recorded_frames_checksum(reader, generation);
      if (!recorded) return recorded.status();
      if (base->record_agrees && *recorded && **recorded != next->frames_checksum) {
        (void)txn->commit();
        spdlog::warn("{}: bank.sqlite's frames are not the ones this index was built from (restored from a backup?); "
                     "rebuilding the index",
                     dir);
        return start_over();
      }
      next->record_agrees = *recorded && **recorded == next->frames_checksum;
      VHM_RETURN_IF_ERROR(txn->commit());
    }
    next->generation = generation;
    if (!spans->empty()) {
      next->max_content_id = std::max(next->max_content_id, spans->back().content_id);
      next->chunks.push_back(spans);
    }
    if (!codes.empty()) {
      auto index = new_index(kDeltaSpec, dir);
      if (!index) return index.status();
      VHM_RETURN_IF_ERROR((*index)->add(codes, ids).with_subject(dir));
      DeltaSegment seg;
      seg.index = *index;
      seg.inside_bars = inside_bars;
      seg.lo = base->max_frame_id;
      seg.hi = next->max_frame_id;
      seg.codes = std::make_shared<const std::vector<Hash256>>(std::move(codes));
      seg.ids = std::make_shared<const std::vector<HashId>>(std::move(ids));
      next->deltas.push_back(std::move(seg));
    }
    VHM_RETURN_IF_ERROR(compact(*next));
    publish(next);
    maybe_start_merge(*next);
    return Refreshed::kUpToDate;
  }

  // Keeps the number of delta segments and span chunks small.
  Status compact(IndexState& s) const {
    if (s.deltas.size() > kMaxDeltaSegments) {
      auto codes = std::make_shared<std::vector<Hash256>>();
      auto ids = std::make_shared<std::vector<HashId>>();
      DeltaSegment merged;
      merged.lo = s.deltas.front().lo;
      merged.hi = s.deltas.front().hi;
      for (const auto& d : s.deltas) {
        codes->insert(codes->end(), d.codes->begin(), d.codes->end());
        ids->insert(ids->end(), d.ids->begin(), d.ids->end());
        merged.inside_bars += d.inside_bars;
        merged.lo = std::min(merged.lo, d.lo);
        merged.hi = std::max(merged.hi, d.hi);
      }
      auto index = new_index(kDeltaSpec, dir);
      if (!index) return index.status();
      VHM_RETURN_IF_ERROR((*index)->add(*codes, *ids).with_subject(dir));
      merged.index = *index;
      merged.codes = codes;
      merged.ids = ids;
      s.deltas.clear();
      s.deltas.push_back(std::move(merged));
    }
    if (s.chunks.size() > kMaxSpanChunks) {
      // Keep the first (the main index's, usually the large one); fold the rest.
      auto folded = std::make_shared<SpanChunk>();
      for (size_t i = 1; i < s.chunks.size(); ++i) {
        for (const ContentSpan& span : *s.chunks[i])
          if (folded->empty() || span.content_id > folded->back().content_id) folded->push_back(span);
      }
      s.chunks.resize(1);
      s.chunks.push_back(folded);
    }
    return Status::ok();
  }

  // Makes sure this Bank has seen every commit made before the call.
  Status sync() {
    VHM_RETURN_IF_ERROR(ensure_index());
    auto dv = data_version();
    if (!dv) return dv.status();
    if (*dv == synced_data_version.load()) return Status::ok();
    std::lock_guard lock(refresh_mutex);
    for (int attempt = 0; attempt < 2; ++attempt) {
      VHM_RETURN_IF_ERROR(ensure_index_locked());
      dv = data_version();
      if (!dv) return dv.status();
      if (*dv == synced_data_version.load()) return Status::ok();
      auto refreshed = refresh_locked();
      if (!refreshed) return refreshed.status();
      if (*refreshed == Refreshed::kStartOver) continue;  // state dropped: the next round rebuilds it
      synced_data_version = *dv;
      return Status::ok();
    }
    return {StatusCode::kUnavailable, "bank.sqlite changed under the refresh twice (being replaced?); try again", dir};
  }

  // ---- merging the deltas into a new main index

  void maybe_start_merge(const IndexState& s) {
    if (!options.background_merge || stopping) return;
    if (s.delta_codes() < options.merge_frames) return;
    if (merging.exchange(true)) return;
    std::lock_guard lock(thread_mutex);
    if (merge_thread.joinable()) merge_thread.join();  // the previous one has finished its work
    merge_thread = std::thread([this] {
      for (;;) {
        Status st = merge_now();
        if (!st.is_ok() && !stopping) spdlog::warn("background index merge failed: {}", st.to_string());
        merging = false;
        // Adds that landed while this merge ran saw `merging` set and started none:
        // merge again if they alone pass the threshold (unless an add just started one).
        auto cur = current();
        if (stopping || !st.is_ok() || !cur || cur->delta_codes() < options.merge_frames) break;
        if (merging.exchange(true)) break;
      }
    });
  }

  Status merge_now() {
    std::lock_guard merge_lock(merge_mutex);
    auto snap = build_snapshot(dir, spec, options.busy_timeout_ms, &stopping);
    if (!snap) return snap.status();
    {
      std::lock_guard lock(refresh_mutex);
      auto cur = current();
      auto next = state_from_snapshot(*snap, "merged");
      if (cur) {
        for (const auto& d : cur->deltas)
          if (d.hi > snap->max_frame_id) next->deltas.push_back(d);
        for (const auto& c : cur->chunks)
          if (!c->empty() && c->back().content_id > snap->max_content_id) next->chunks.push_back(c);
        if (cur->removed->size() > 0) {
          auto removed = std::make_shared<RemovedSet>(*snap->removed);
          removed->insert(cur->removed->begin(), cur->removed->end());
          next->removed = removed;
        }
        next->generation = std::max(cur->generation, snap->generation);
        next->max_content_id = std::max(cur->max_content_id, snap->max_content_id);
        if (cur->max_frame_id > snap->max_frame_id) {  // the checksum goes with the frame id it covers
          next->max_frame_id = cur->max_frame_id;
          next->frames_checksum = cur->frames_checksum;
          next->record_agrees = cur->record_agrees;
        }
      }
      publish(next);
    }
    ++merges;
    save_cache_logged(*snap);
    return Status::ok();
  }

  // ---- writing

  // A refusal of content `position` of an add, naming the input that carried it (file
  // and line, NewContent::origin) when known, else the bank and the content's place.
  Status content_error(const NewContent& c, size_t position, const std::string& what) const {
    if (!c.origin.file.empty())
      return {StatusCode::kInvalidArgument,
              (c.origin.line > 0 ? "line " + std::to_string(c.origin.line) + ": " : std::string()) + what,
              c.origin.file};
    const std::string which = "content " + std::to_string(position + 1) +
                              (c.meta.source.empty() ? std::string() : " (" + c.meta.source + ")");
    return {StatusCode::kInvalidArgument, which + ": " + what, dir};
  }

  Status validate(const NewContent& c, size_t position) const {
    if (c.frames.empty()) return content_error(c, position, "no frame hashes");
    if (c.meta.signal_type == SignalType::kPdq && c.frames.size() != 1)
      return content_error(c, position, "a pdq content is one image hash, not " + std::to_string(c.frames.size()));
    for (size_t i = 0; i < c.frames.size(); ++i) {
      const FrameHash& f = c.frames[i];
      if (f.index < 0 || f.quality < 0 || f.quality > 100 || !std::isfinite(f.pts_seconds))
        return content_error(c, position,
                             "frame " + std::to_string(i) + " has an invalid frame number, quality or timestamp");
      if (f.has_cropped && (f.cropped_quality < 0 || f.cropped_quality > 100))
        return content_error(c, position, "frame " + std::to_string(i) + " has an inside-bars quality outside 0..100");
    }
    return Status::ok();
  }

  Result<std::vector<AddedContent>> add(std::span<const NewContent> contents) {
    std::vector<AddedContent> added;
    if (contents.empty()) return added;
    int64_t total_frames = 0;
    for (size_t i = 0; i < contents.size(); ++i) {
      VHM_RETURN_IF_ERROR(validate(contents[i], i));
      total_frames += static_cast<int64_t>(contents[i].frames.size());
    }
    std::lock_guard wlock(write_mutex);
    auto flock = FileLock::acquire(file(kBankWriterLockFile), options.busy_timeout_ms);
    if (!flock) return flock.status();

    // The intent, committed first: if this process dies before the transaction below
    // commits, the row stays behind and the next open reports the interrupted add.
    const ContentMeta& m0 = contents.front().meta;
    std::string description = !m0.external_id.empty() ? "'" + m0.external_id + "'"
                              : !m0.source.empty()     ? m0.source
                                                       : "unnamed";
    if (contents.size() > 1) description += " and " + std::to_string(contents.size() - 1) + " more";
    int64_t pending_id = 0;
    {
      auto p = writer.prepare("INSERT INTO pending_adds(pid, started_at, contents, frames, description) VALUES(?,?,?,?,?)");
      if (!p) return p.status();
      p->bind(1, static_cast<int64_t>(::getpid())).bind(2, now_iso()).bind(3, static_cast<int64_t>(contents.size()))
          .bind(4, total_frames).bind(5, description);
      VHM_RETURN_IF_ERROR(p->run());
      pending_id = writer.last_insert_rowid();
    }
    auto clear_pending = [&] {
      auto d = writer.prepare("DELETE FROM pending_adds WHERE id = ?");
      if (d) {
        d->bind(1, pending_id);
        (void)d->run();
      }
    };
    auto result = add_transaction(contents, pending_id);
    if (!result) {
      clear_pending();  // rolled back: nothing was added, nothing to report later
      return result.status();
    }
    return result;
  }

  Result<std::vector<AddedContent>> add_transaction(std::span<const NewContent> contents, int64_t pending_id) {
    std::vector<AddedContent> added;
    auto txn = SqliteTransaction::begin(writer, "BEGIN IMMEDIATE");
    if (!txn) return txn.status();
    auto gen = read_generation(writer);
    if (!gen) return gen.status();
    const int64_t generation = *gen + 1;
    VHM_RETURN_IF_ERROR(set_meta(writer, "generation", std::to_string(generation)));
    auto next_id = writer.query_int(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'frames'), 0), "
        "coalesce((SELECT max(id) FROM frames), 0)) + 1");
    if (!next_id) return next_id.status();
    int64_t frame_id = *next_id;
    auto dup = writer.prepare("SELECT id FROM contents WHERE external_id = ? AND removed_at IS NULL");
    auto ins_content = writer.prepare(
        "INSERT INTO contents(external_id, label, source, signal_type, added_at, added_generation, first_frame_id, "
        "frame_count, input_frame_count) VALUES(?,?,?,?,?,?,?,?,?)");
    auto ins_frame = writer.prepare(
        "INSERT INTO frames(id, content_id, frame, timestamp, quality, hash, inside_bars_hash, inside_bars_quality) "
        "VALUES(?,?,?,?,?,?,?,?)");
    if (!dup) return dup.status();
    if (!ins_content) return ins_content.status();
    if (!ins_frame) return ins_frame.status();
    const std::string added_at = now_iso();
    int64_t written = 0;
    std::unordered_set<Hash256, Hash256Hasher> seen;
    std::vector<const FrameHash*> kept;
    FramesChecksum written_rows;
    for (size_t position = 0; position < contents.size(); ++position) {
      const NewContent& c = contents[position];
      if (!c.meta.external_id.empty()) {
        dup->reset();
        dup->bind(1, c.meta.external_id);
        auto row = dup->step();
        if (!row) return row.status();
        if (*row)
          return content_error(c, position,
                               "external id '" + c.meta.external_id + "' is already content " +
                                   std::to_string(dup->column_int(0)) + " of bank " + dir + " (remove it first)");
      }
      seen.clear();
      kept.clear();
      for (const FrameHash& f : c.frames)
        if (seen.insert(f.hash).second) kept.push_back(&f);
      ins_content->reset();
      ins_content->bind_text_or_null(1, c.meta.external_id)
          .bind(2, c.meta.label)
          .bind(3, c.meta.source)
          .bind(4, signal_type_name(c.meta.signal_type))
          .bind(5, added_at)
          .bind(6, generation)
          .bind(7, frame_id)
          .bind(8, static_cast<int64_t>(kept.size()))
          .bind(9, static_cast<int64_t>(c.frames.size()));
      VHM_RETURN_IF_ERROR(ins_content->run());
      const int64_t content_id = writer.last_insert_rowid();
      for (const FrameHash* f : kept) {
        const auto blob = to_blob(f->hash);
        ins_frame->reset();
        ins_frame->bind(1, frame_id).bind(2, content_id).bind(3, static_cast<int64_t>(f->index))
            .bind(4, f->pts_seconds).bind(5, static_cast<int64_t>(f->quality)).bind_blob(6, blob);
        if (f->has_cropped) {
          const auto bars_blob = to_blob(f->cropped);
          ins_frame->bind_blob(7, bars_blob).bind(8, static_cast<int64_t>(f->cropped_quality));
          written_rows.add_row(frame_id, blob, bars_blob);
        } else {
          ins_frame->bind_null(7).bind_null(8);
          written_rows.add_row(frame_id, blob, {});
        }
        ++frame_id;
        VHM_RETURN_IF_ERROR(ins_frame->run());
        if (++written % 4096 == 0 && options.add_progress) options.add_progress(written);
      }
      if (options.add_progress) options.add_progress(written);
      added.push_back({content_id, static_cast<int64_t>(kept.size()),
                       static_cast<int64_t>(c.frames.size() - kept.size())});
    }
    VHM_RETURN_IF_ERROR(advance_frames_checksum(writer, generation, written_rows));
    {
      auto d = writer.prepare("DELETE FROM pending_adds WHERE id = ?");
      if (!d) return d.status();
      d->bind(1, pending_id);
      VHM_RETURN_IF_ERROR(d->run());
    }
    VHM_RETURN_IF_ERROR(txn->commit());
    return added;
  }

  Result<RemoveResult> remove(const ContentRef& ref, const std::string& reason) {
    std::lock_guard wlock(write_mutex);
    auto txn = SqliteTransaction::begin(writer, "BEGIN IMMEDIATE");
    if (!txn) return txn.status();
    auto found = find_content(writer, ref);
    if (!found) return found.status();
    RemoveResult result;
    result.content = *found;
    if (found->removed()) {
      result.already_removed = true;
      VHM_RETURN_IF_ERROR(txn->commit());
      return result;
    }
    auto gen = read_generation(writer);
    if (!gen) return gen.status();
    const int64_t generation = *gen + 1;
    VHM_RETURN_IF_ERROR(set_meta(writer, "generation", std::to_string(generation)));
    const std::string at = now_iso();
    auto u = writer.prepare("UPDATE contents SET removed_at = ?, removed_generation = ?, removed_reason = ? WHERE id = ?");
    if (!u) return u.status();
    u->bind(1, at).bind(2, generation).bind(3, reason).bind(4, found->id);
    VHM_RETURN_IF_ERROR(u->run());
    VHM_RETURN_IF_ERROR(advance_frames_checksum(writer, generation, {}));  // no rows: the record moves on
    VHM_RETURN_IF_ERROR(txn->commit());
    result.content.removed_at = at;
    result.content.removed_generation = generation;
    result.content.removed_reason = reason;
    return result;
  }

  Result<ContentInfo> find_content(const SqliteDb& db, const ContentRef& ref) const {
    const bool by_external = !ref.external_id.empty();
    auto s = db.prepare(std::string("SELECT ") + kContentColumns + " FROM contents WHERE " +
                        (by_external ? "external_id = ? ORDER BY (removed_at IS NULL) DESC, id DESC LIMIT 1" : "id = ?"));
    if (!s) return s.status();
    if (by_external)
      s->bind(1, ref.external_id);
    else
      s->bind(1, ref.id);
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return Status(StatusCode::kNotFound, "no content with " + ref.to_string() + " in the bank", dir);
    return content_from_row(*s);
  }

  Status read_frames(const SqliteDb& db, const ContentInfo& c, std::vector<FrameHash>& frames) const {
    auto s = db.prepare(
        "SELECT frame, timestamp, quality, hash, inside_bars_hash, inside_bars_quality FROM frames "
        "WHERE id BETWEEN ? AND ? AND content_id = ? ORDER BY id");
    if (!s) return s.status();
    // frame_count is the database's word: the range end saturates instead of
    // overflowing, and only what is read is held (a damaged count of 2^63 frames was a
    // bad_alloc from reserve()).
    int64_t last = 0;
    if (c.frame_count < 1 || __builtin_add_overflow(c.first_frame_id, c.frame_count - 1, &last))
      last = c.frame_count < 1 ? c.first_frame_id - 1 : INT64_MAX;
    s->bind(1, c.first_frame_id).bind(2, last).bind(3, c.id);
    frames.clear();
    frames.reserve(static_cast<size_t>(std::clamp<int64_t>(c.frame_count, 0, kMaxFramesReserve)));
    while (true) {
      auto row = s->step();
      if (!row) return row.status();
      if (!*row) break;
      FrameHash f;
      f.index = static_cast<int>(s->column_int(0));
      f.pts_seconds = s->column_double(1);
      f.quality = static_cast<int>(s->column_int(2));
      if (!from_blob(s->column_blob(3), f.hash))
        return {StatusCode::kCorrupt, "content " + std::to_string(c.id) + " has a hash of the wrong size", dir};
      if (!s->column_is_null(4)) {
        if (!from_blob(s->column_blob(4), f.cropped))
          return {StatusCode::kCorrupt,
                  "content " + std::to_string(c.id) + " has an inside-bars hash of the wrong size", dir};
        f.has_cropped = true;
        f.cropped_quality = static_cast<int>(s->column_int(5));
      }
      frames.push_back(f);
    }
    if (static_cast<int64_t>(frames.size()) != c.frame_count)
      return {StatusCode::kCorrupt,
              "damaged bank: content " + std::to_string(c.id) + " should have " + std::to_string(c.frame_count) +
                  " frames, its frame id range holds " + std::to_string(frames.size()) + " (run 'vhm bank verify')",
              dir};
    return Status::ok();
  }

  // ---- searching

  Result<std::vector<BankHit>> lookup(std::span<const Hash256> queries, int max_distance,
                                      const LookupOptions& lookup_options = {}) {
    if (max_distance < 0 || max_distance > Hash256::kBits)
      return Status(StatusCode::kInvalidArgument, "max distance must be 0..256, not " + std::to_string(max_distance));
    std::vector<BankHit> out;
    if (queries.empty()) return out;
    VHM_RETURN_IF_ERROR(sync());
    auto s = current();
    if (!s) return Status(StatusCode::kInternal, "no index state after sync", dir);
    std::vector<RangeHit> raw;
    SearchOptions main_options;
    main_options.threads = options.search_threads;
    if (s->main && s->main->size() > 0)
      VHM_RETURN_IF_ERROR(s->main->range_search(queries, max_distance, raw, main_options).with_subject(dir));
    const size_t from_main = raw.size();
    SearchOptions delta_options;
    delta_options.threads = 1;
    for (const auto& d : s->deltas)
      VHM_RETURN_IF_ERROR(d.index->range_search(queries, max_distance, raw, delta_options).with_subject(dir));
    out.reserve(raw.size());
    bool inside_bars_hit = false;
    for (size_t i = 0; i < raw.size(); ++i) {
      const RangeHit& h = raw[i];
      const int64_t frame_id = frame_id_of(h.id);
      const uint8_t variant = bank_variant_of(h.id);
      if (variant == kBankVariantInsideBars && !lookup_options.inside_bars) continue;
      if (i >= from_main && frame_id <= s->main_max_frame_id) continue;  // also in main
      const ContentSpan* span = s->find(frame_id);
      if (!span)  // a damaged bank (contents' frame ranges that leave frames out), not a vhm bug
        return Status(StatusCode::kCorrupt,
                      "damaged bank: frame " + std::to_string(frame_id) +
                          " lies in no content's frame range (run 'vhm bank verify')",
                      dir);
      if (s->removed->count(span->content_id)) continue;
      const auto ordinal = static_cast<int32_t>(frame_id - span->first_frame_id);
      out.push_back({h.query, h.distance, span->content_id, frame_id, ordinal, variant});
      inside_bars_hit = inside_bars_hit || variant == kBankVariantInsideBars;
    }
    // A frame hit through both of its codes by one query sorts as two neighbours, the
    // nearer first (as stored first on a tie); the second is dropped, so the matcher
    // counts the frame once, as it would a frame without bars.
    std::sort(out.begin(), out.end(), [](const BankHit& a, const BankHit& b) {
      return std::tie(a.query, a.content_id, a.frame_id, a.distance, a.bank_variant) <
             std::tie(b.query, b.content_id, b.frame_id, b.distance, b.bank_variant);
    });
    const auto same_frame = [](const BankHit& a, const BankHit& b) {
      return a.query == b.query && a.frame_id == b.frame_id;
    };
    if (inside_bars_hit) out.erase(std::unique(out.begin(), out.end(), same_frame), out.end());
    return out;
  }

  BankIndexInfo index_info() const {
    BankIndexInfo info;
    info.spec = spec;
    info.merges = merges.load();
    auto s = current();
    if (!s) return info;
    info.loaded = true;
    info.exact = s->main ? s->main->exact() : false;
    info.origin = s->origin;
    info.generation = s->generation;
    info.main_frames = (s->main ? static_cast<int64_t>(s->main->size()) : 0) - s->main_inside_bars;
    info.delta_frames = s->delta_codes() - s->delta_inside_bars();
    info.inside_bars_codes = s->main_inside_bars + s->delta_inside_bars();
    info.delta_segments = static_cast<int64_t>(s->deltas.size());
    info.removed_contents = static_cast<int64_t>(s->removed->size());
    info.memory_bytes = s->main ? s->main->memory_bytes() : 0;
    for (const auto& d : s->deltas) info.memory_bytes += d.index->memory_bytes() + d.codes->size() * 40;
    for (const auto& c : s->chunks) info.memory_bytes += c->size() * sizeof(ContentSpan);
    return info;
  }
};

// ---------------------------------------------------------------------------- Bank

Bank::Bank(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Bank::~Bank() = default;

Status Bank::create(const std::string& dir, const BankCreateOptions& options) {
  if (dir.empty()) return {StatusCode::kInvalidArgument, "no bank directory given"};
  {
    auto probe = make_hash_index(options.index_spec);
    if (!probe) return probe.status().with_subject(dir);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return {StatusCode::kIoError, "cannot create the directory: " + ec.message(), dir};
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
  VHM_RETURN_IF_ERROR(set_meta(*db, "index_spec", options.index_spec));
  VHM_RETURN_IF_ERROR(set_meta(*db, "generation", "0"));
  VHM_RETURN_IF_ERROR(set_meta(*db, "created_at", now_iso()));
  return txn->commit();
}

Result<std::unique_ptr<Bank>> Bank::open(const std::string& dir, const BankOptions& options) {
  if (dir.empty()) return Status(StatusCode::kInvalidArgument, "no bank directory given");
  VHM_RETURN_IF_ERROR(check_database_file(dir));
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  {
    auto w = open_connection(dir, options.busy_timeout_ms, false);
    if (!w) return w.status();
    impl->writer = std::move(w).value();
    auto r = open_connection(dir, options.busy_timeout_ms, true);
    if (!r) return r.status();
    impl->reader = std::move(r).value();
  }
  auto migrated = open_bank_schema(impl->writer);
  if (!migrated) return migrated.status();
  if (!migrated->empty()) {
    spdlog::info("{}: {}", dir, *migrated);
    impl->recovery_notes.push_back(*migrated);
  }
  auto spec = meta_value(impl->writer, "index_spec");
  if (!spec) return spec.status();
  impl->spec = options.index_spec.empty() ? *spec : options.index_spec;
  VHM_RETURN_IF_ERROR(impl->recover_interrupted_adds());
  // A bank last written by an older vhm (or never since this one recorded it) gets its
  // frames checksum now, so its index cache can be proved (frames_checksum.h).
  if (auto current = refresh_stale_frames_checksum(impl->writer, options.busy_timeout_ms); !current)
    spdlog::warn("{}: frames checksum not recorded: {}", dir, current.status().to_string());
  std::unique_ptr<Bank> bank(new Bank(std::move(impl)));
  if (options.load_index) VHM_RETURN_IF_ERROR(bank->impl_->ensure_index());
  return bank;
}

const std::string& Bank::path() const { return impl_->dir; }
const std::vector<std::string>& Bank::recovery_notes() const { return impl_->recovery_notes; }

Result<std::vector<AddedContent>> Bank::add_contents(std::span<const NewContent> contents) {
  auto r = impl_->add(contents);
  if (r && impl_->current()) {
    Status st = impl_->sync();  // make the new frames searchable here at once
    if (!st.is_ok()) spdlog::warn("refresh after add: {}", st.to_string());
  }
  return r;
}

Result<AddedContent> Bank::add_content(const ContentMeta& meta, std::span<const FrameHash> frames) {
  NewContent c{meta, std::vector<FrameHash>(frames.begin(), frames.end())};
  auto r = add_contents(std::span<const NewContent>(&c, 1));
  if (!r) return r.status();
  return r->front();
}

Result<RemoveResult> Bank::remove(const ContentRef& ref, const std::string& reason) {
  auto r = impl_->remove(ref, reason);
  if (r && impl_->current()) {
    Status st = impl_->sync();
    if (!st.is_ok()) spdlog::warn("refresh after remove: {}", st.to_string());
  }
  return r;
}

Result<std::vector<BankHit>> Bank::lookup(std::span<const Hash256> queries, int max_distance,
                                          const LookupOptions& options) {
  return impl_->lookup(queries, max_distance, options);
}

Status Bank::refresh() { return impl_->sync(); }

Status Bank::merge() {
  wait_for_merge();
  VHM_RETURN_IF_ERROR(impl_->ensure_index());
  VHM_RETURN_IF_ERROR(impl_->merge_now());
  return impl_->sync();
}

void Bank::wait_for_merge() { impl_->wait_for_merge(); }

Result<ContentInfo> Bank::content(int64_t id) const { return content(ContentRef::by_id(id)); }

Result<ContentInfo> Bank::content(const ContentRef& ref) const {
  std::lock_guard lock(impl_->read_mutex);
  return impl_->find_content(impl_->reader, ref);
}

Result<std::vector<FrameHash>> Bank::content_frames(int64_t id) const {
  std::lock_guard lock(impl_->read_mutex);
  auto txn = SqliteTransaction::begin(impl_->reader, "BEGIN");
  if (!txn) return txn.status();
  auto c = impl_->find_content(impl_->reader, ContentRef::by_id(id));
  if (!c) return c.status();
  std::vector<FrameHash> frames;
  VHM_RETURN_IF_ERROR(impl_->read_frames(impl_->reader, *c, frames));
  VHM_RETURN_IF_ERROR(txn->commit());
  return frames;
}

Status Bank::for_each_content(bool include_removed,
                              const std::function<Status(const ContentInfo&, std::span<const FrameHash>)>& fn) const {
  auto db = open_connection(impl_->dir, impl_->options.busy_timeout_ms, true);
  if (!db) return db.status();
  auto txn = SqliteTransaction::begin(*db, "BEGIN");
  if (!txn) return txn.status();
  auto s = db->prepare(std::string("SELECT ") + kContentColumns + " FROM contents " +
                       (include_removed ? "" : "WHERE removed_at IS NULL ") + "ORDER BY id");
  if (!s) return s.status();
  std::vector<FrameHash> frames;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    const ContentInfo c = content_from_row(*s);
    VHM_RETURN_IF_ERROR(impl_->read_frames(*db, c, frames));
    VHM_RETURN_IF_ERROR(fn(c, frames));
  }
  return txn->commit();
}

Result<BankStats> Bank::stats() const {
  BankStats st;
  st.path = impl_->dir;
  st.index_spec = impl_->spec;
  st.recovery_notes = impl_->recovery_notes;
  {
    auto db = open_connection(impl_->dir, impl_->options.busy_timeout_ms, true);
    if (!db) return db.status();
    auto txn = SqliteTransaction::begin(*db, "BEGIN");
    if (!txn) return txn.status();
    auto gen = read_generation(*db);
    if (!gen) return gen.status();
    st.generation = *gen;
    auto created = meta_value(*db, "created_at");
    if (created) st.created_at = *created;
    auto format = meta_value(*db, "format");
    if (format) st.format_version = std::atoi(format->c_str());
    auto s = db->prepare(
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
    st.contents_live = s->column_int(0);
    st.contents_removed = s->column_int(1);
    st.video_contents = s->column_int(2);
    st.pdq_contents = s->column_int(3);
    st.frames_live = s->column_int(4);
    st.frames_total = s->column_int(5);
    // Reads only the frames that have an inside-bars hash (the partial index).
    auto bars = db->query_int(
        "SELECT count(*) FROM frames f JOIN contents c ON c.id = f.content_id "
        "WHERE f.inside_bars_hash IS NOT NULL AND c.removed_at IS NULL");
    if (!bars) return bars.status();
    st.frames_inside_bars = *bars;
    VHM_RETURN_IF_ERROR(txn->commit());
  }
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = fs::file_size(impl_->file(kBankDatabaseFile) + suffix, ec);
    if (!ec) st.database_bytes += static_cast<int64_t>(size);
  }
  const auto isize = fs::file_size(impl_->file(kBankIndexFile), ec);
  st.index_cache_present = !ec;
  st.index_cache_bytes = ec ? 0 : static_cast<int64_t>(isize);
  st.index = impl_->index_info();
  return st;
}

BankIndexInfo Bank::index_info() const { return impl_->index_info(); }

Result<VerifyReport> Bank::verify(const VerifyOptions& options) {
  VerifyReport report;
  Impl& im = *impl_;
  for (const auto& n : im.recovery_notes) report.notes.push_back(n);
  auto db = open_connection(im.dir, im.options.busy_timeout_ms, true);
  if (!db) return db.status();

  // 1. SQLite's own check of every page and index.
  {
    auto s = db->prepare("PRAGMA integrity_check");
    if (!s) return s.status();
    std::string verdict;
    while (true) {
      auto row = s->step();
      if (!row) return row.status();
      if (!*row) break;
      if (!verdict.empty()) verdict += "; ";
      verdict += s->column_text(0);
    }
    report.integrity = verdict;
    if (verdict != "ok") report.problems.push_back("integrity_check: " + verdict);
  }

  // 2. The bank's own invariants, in one snapshot.
  bool rerecord_checksum = false;
  {
    auto txn = SqliteTransaction::begin(*db, "BEGIN");
    if (!txn) return txn.status();
    auto gen = read_generation(*db);
    if (!gen) return gen.status();
    auto count = [&](const char* what, const std::string& sql) -> Status {
      auto n = db->query_int(sql);
      if (!n) return n.status();
      if (*n) report.problems.push_back(std::to_string(*n) + " " + what);
      return Status::ok();
    };
    auto contents = db->query_int("SELECT count(*) FROM contents");
    auto frames = db->query_int("SELECT count(*) FROM frames");
    if (!contents) return contents.status();
    if (!frames) return frames.status();
    report.contents_checked = *contents;
    report.frames_checked = *frames;
    auto barred = db->query_int("SELECT count(*) FROM frames WHERE inside_bars_hash IS NOT NULL");
    if (!barred) return barred.status();
    report.frames_inside_bars = *barred;
    VHM_RETURN_IF_ERROR(count("frames outside their content's id range or of no content",
                              "SELECT count(*) FROM frames f LEFT JOIN contents c ON c.id = f.content_id "
                              "WHERE c.id IS NULL OR f.id < c.first_frame_id OR f.id >= c.first_frame_id + c.frame_count"));
    VHM_RETURN_IF_ERROR(count("contents whose frame count differs from their frame rows",
                              "SELECT count(*) FROM contents c WHERE c.frame_count != (SELECT count(*) FROM frames f "
                              "WHERE f.id BETWEEN c.first_frame_id AND c.first_frame_id + c.frame_count - 1 "
                              "AND f.content_id = c.id)"));
    VHM_RETURN_IF_ERROR(count("frames with a malformed hash, quality or frame number",
                              "SELECT count(*) FROM frames WHERE typeof(hash) != 'blob' OR length(hash) != 32 "
                              "OR quality NOT BETWEEN 0 AND 100 OR frame < 0"));
    VHM_RETURN_IF_ERROR(count("frames with a malformed inside-bars hash or quality",
                              "SELECT count(*) FROM frames "
                              "WHERE (inside_bars_hash IS NULL) != (inside_bars_quality IS NULL) "
                              "OR (inside_bars_hash IS NOT NULL AND (typeof(inside_bars_hash) != 'blob' "
                              "OR length(inside_bars_hash) != 32 OR inside_bars_quality NOT BETWEEN 0 AND 100))"));
    VHM_RETURN_IF_ERROR(count("exact-duplicate frame hashes within a content",
                              "SELECT count(*) FROM (SELECT 1 FROM frames GROUP BY content_id, hash HAVING count(*) > 1)"));
    VHM_RETURN_IF_ERROR(count("pdq contents without exactly one frame",
                              "SELECT count(*) FROM contents WHERE signal_type = 'pdq' AND frame_count != 1"));
    VHM_RETURN_IF_ERROR(count("contents from a generation after the bank's",
                              "SELECT count(*) FROM contents WHERE added_generation > " + std::to_string(*gen) +
                                  " OR coalesce(removed_generation, 0) > " + std::to_string(*gen)));
    VHM_RETURN_IF_ERROR(count("contents with overlapping frame id ranges",
                              "SELECT count(*) FROM contents a JOIN contents b ON b.id = (SELECT min(id) FROM contents "
                              "WHERE id > a.id) WHERE b.first_frame_id < a.first_frame_id + a.frame_count"));
    // The record that lets an index cache prove which hashes it holds (frames_checksum.h).
    auto recorded = recorded_frames_checksum(*db, *gen);
    if (!recorded) return recorded.status();
    if (!*recorded) {
      report.notes.push_back("the frames checksum is not recorded at generation " + std::to_string(*gen) +
                             " (last written by an older vhm): the next open or add records it");
    } else {
      auto rows = checksum_frames_after(*db, std::numeric_limits<int64_t>::min());
      if (!rows) return rows.status();
      if (*rows != **recorded) {
        if (options.rebuild_index) {
          rerecord_checksum = true;  // below, on the writer: it is derived from the rows, like the cache
        } else {
          report.problems.push_back("the frame rows do not add up to the frames checksum recorded at generation " +
                                    std::to_string(*gen) +
                                    " (frames changed outside vhm?); --rebuild-index records it anew");
        }
      }
    }
    auto pending = db->query_int("SELECT count(*) FROM pending_adds");
    if (!pending) return pending.status();
    if (*pending)
      report.notes.push_back(std::to_string(*pending) +
                             " add(s) in flight or interrupted (nothing of them is visible; the next open clears them)");
    VHM_RETURN_IF_ERROR(txn->commit());
  }
  if (rerecord_checksum) {
    std::lock_guard wlock(im.write_mutex);
    VHM_RETURN_IF_ERROR(record_frames_checksum_now(im.writer));
    report.notes.push_back("the frame rows did not add up to the recorded frames checksum: recorded anew");
  }

  // 3. The cache file and the index: rebuilt on request, else loaded/checked. A bank
  //    too damaged to index or search is a finding, reported with the others; only a
  //    broken invariant of vhm itself (kInternal) fails verify.
  bool searchable = true;
  auto index_problem = [&](const Status& st) -> Status {
    if (st.code() == StatusCode::kInternal) return st;
    report.problems.push_back("the index cannot be built or searched: " + st.to_string());
    searchable = false;
    return Status::ok();
  };
  if (!im.current()) {
    // Loading is the check: the cache is used only if it is consistent.
    if (Status st = im.ensure_index(); !st.is_ok()) {
      VHM_RETURN_IF_ERROR(index_problem(st));
      report.index_cache = "not checked (the index cannot be built)";
    } else {
      const std::string origin = im.current()->origin;
      report.index_cache = origin == "cache" ? "consistent" : origin;
    }
  } else {
    Impl::LoadedCache loaded;
    const Impl::CacheCheck cache = im.try_load_cache(loaded);
    report.index_cache = cache.verdict == Impl::CacheVerdict::kUsable    ? "consistent"
                         : cache.verdict == Impl::CacheVerdict::kMissing ? "missing"
                                                                         : "stale or corrupt: " + cache.reason;
  }
  if (searchable && report.index_cache != "consistent")
    report.notes.push_back("index cache: " + report.index_cache + " (rebuilt from SQLite; nothing is lost)");
  if (searchable && options.rebuild_index) {
    im.wait_for_merge();
    if (Status st = im.merge_now(); !st.is_ok())
      VHM_RETURN_IF_ERROR(index_problem(st));
    else
      report.notes.push_back("index rebuilt from SQLite and the cache rewritten");
  }
  if (searchable)
    if (Status st = im.sync(); !st.is_ok()) VHM_RETURN_IF_ERROR(index_problem(st));

  // 4. Probes: every probed frame of a live content is found at distance 0 with its
  //    own id, and every probed inside-bars hash is found at distance 0 through its
  //    frame's inside-bars code; no frame of a removed content is ever returned.
  if (searchable && (options.all_frames || options.probe_frames > 0)) {
    struct Probe {
      int64_t id, content;
      bool removed;
      bool inside_bars;     // the probe is the frame's inside-bars hash
      bool same_as_stored;  // ... which equals its hash as stored (a tie reports that one)
    };
    std::vector<Probe> probes;
    std::vector<Hash256> codes;
    auto check_batch = [&]() -> Status {
      if (codes.empty()) return Status::ok();
      auto hits = searchable ? im.lookup(codes, 0) : Result<std::vector<BankHit>>(std::vector<BankHit>());
      if (!hits) {
        codes.clear();
        probes.clear();
        return index_problem(hits.status());  // once: later batches are skipped
      }
      if (!searchable) {
        codes.clear();
        probes.clear();
        return Status::ok();
      }
      std::vector<bool> found(codes.size(), false);
      auto what = [](const Probe& p) {
        return (p.inside_bars ? "the inside-bars hash of frame " : "frame ") + std::to_string(p.id);
      };
      for (const BankHit& h : *hits) {
        const Probe& p = probes[h.query];
        if (h.frame_id != p.id) continue;
        if (!p.inside_bars || h.bank_variant == kBankVariantInsideBars || p.same_as_stored) found[h.query] = true;
        if (h.content_id != p.content)
          report.problems.push_back(what(p) + " is indexed under content " + std::to_string(h.content_id) + ", not " +
                                    std::to_string(p.content));
      }
      int missing = 0, leaked = 0;
      for (size_t q = 0; q < probes.size(); ++q) {
        const Probe& p = probes[q];
        if (!p.removed && !found[q] && ++missing <= 5)
          report.problems.push_back(what(p) + " of content " + std::to_string(p.content) + " is not found by a lookup");
        if (p.removed && found[q] && ++leaked <= 5)
          report.problems.push_back(what(p) + " of removed content " + std::to_string(p.content) +
                                    " is returned by a lookup");
        (p.inside_bars ? report.inside_bars_probed : report.frames_probed) += 1;
      }
      codes.clear();
      probes.clear();
      return Status::ok();
    };
    auto add_probe = [&](const Probe& p, const Hash256& h) -> Status {
      probes.push_back(p);
      codes.push_back(h);
      return codes.size() == 4096 ? check_batch() : Status::ok();
    };
    auto spacing = [&](int64_t rows) -> int64_t {
      if (options.all_frames || rows <= options.probe_frames) return 1;
      return (rows + options.probe_frames - 1) / options.probe_frames;
    };
    // Frames, evenly spread by id.
    auto s = db->prepare(
        "SELECT f.id, f.content_id, f.hash, c.removed_at IS NOT NULL FROM frames f "
        "JOIN contents c ON c.id = f.content_id WHERE (f.id - 1) % ? = 0 ORDER BY f.id");
    if (!s) return s.status();
    s->bind(1, spacing(report.frames_checked));
    while (true) {
      auto row = s->step();
      if (!row) return row.status();
      if (!*row) break;
      Hash256 h;
      if (!from_blob(s->column_blob(2), h)) continue;  // counted as malformed above
      VHM_RETURN_IF_ERROR(add_probe({s->column_int(0), s->column_int(1), s->column_int(3) != 0, false, false}, h));
    }
    // Inside-bars hashes, evenly spread over the frames that have one (few or none in
    // most banks: spreading them by frame id would often probe none).
    auto b = db->prepare(
        "SELECT f.id, f.content_id, f.hash, f.inside_bars_hash, c.removed_at IS NOT NULL FROM frames f "
        "JOIN contents c ON c.id = f.content_id WHERE f.inside_bars_hash IS NOT NULL ORDER BY f.id");
    if (!b) return b.status();
    const int64_t bars_step = spacing(report.frames_inside_bars);
    for (int64_t n = 0;; ++n) {
      auto row = b->step();
      if (!row) return row.status();
      if (!*row) break;
      if (n % bars_step) continue;
      Hash256 stored, inside;
      if (!from_blob(b->column_blob(2), stored) || !from_blob(b->column_blob(3), inside)) continue;  // malformed: above
      VHM_RETURN_IF_ERROR(
          add_probe({b->column_int(0), b->column_int(1), b->column_int(4) != 0, true, stored == inside}, inside));
    }
    VHM_RETURN_IF_ERROR(check_batch());
  }
  const BankIndexInfo info = im.index_info();
  if (!info.exact) report.notes.push_back("the index '" + info.spec + "' is approximate: lookups may miss frames");
  return report;
}

}  // namespace vhm
