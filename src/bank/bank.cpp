// The Bank: a facade over its store (bank_store.h, the truth) and its live index
// (live_index.h, what lookups search): opening and recovery, writes, lookups, getters,
// stats and verify.
#include "bank/bank.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "bank/bank_index_ids.h"
#include "bank/bank_store.h"
#include "bank/hash_blob.h"
#include "bank/live_index.h"
#include "bank/sqlite_store.h"
#include "index/hash_index.h"

namespace vhm {

struct Bank::Impl {
  std::string dir;
  BankOptions options;
  std::vector<std::string> recovery_notes;  // written by open, read-only afterwards

  // Declared in this order so that the index (and its merge thread, which reads the
  // store) goes first. The Bank holds no lock of its own: the store serialises writers
  // and guards its connections, the live index its snapshot (lock order: live_index.h,
  // sqlite_store.h). A write's store locks are released before the index syncs.
  std::unique_ptr<BankStore> store;
  std::unique_ptr<LiveIndex> index;

  // writes
  Result<std::vector<AddedContent>> add(std::span<const NewContent> contents);
  // A refusal of content `position` of an add, naming the input that carried it (file
  // and line, NewContent::origin) when known, else the bank and the content's place.
  Status content_error(const NewContent& c, size_t position, const std::string& what) const;
  Status validate(const NewContent& c, size_t position) const;
};

namespace fs = std::filesystem;

const char* signal_type_name(SignalType type) { return type == SignalType::kPdq ? "pdq" : "video"; }

std::optional<SignalType> parse_signal_type(std::string_view name) {
  if (name == "video" || name == "vpdq") return SignalType::kVideo;
  if (name == "pdq") return SignalType::kPdq;
  return std::nullopt;
}

std::string ContentRef::to_string() const {
  return external_id.empty() ? "id " + std::to_string(id) : "external id '" + external_id + "'";
}

const std::string& Bank::path() const { return impl_->dir; }
const std::vector<std::string>& Bank::recovery_notes() const { return impl_->recovery_notes; }

Result<std::vector<BankHit>> Bank::lookup(std::span<const Hash256> queries, int max_distance,
                                          const LookupOptions& options) {
  if (max_distance < 0 || max_distance > Hash256::kBits)
    return Status(StatusCode::kInvalidArgument, "max distance must be 0..256, not " + std::to_string(max_distance));
  if (queries.empty()) return std::vector<BankHit>();
  LiveIndex& index = *impl_->index;
  VHM_RETURN_IF_ERROR(index.sync());
  auto snapshot = index.current();
  if (!snapshot) return Status(StatusCode::kInternal, "no index state after sync", impl_->dir);
  return snapshot->search(queries, max_distance, options, index.options().search_threads, impl_->dir);
}

Status Bank::refresh() { return impl_->index->sync(); }

Status Bank::merge() {
  wait_for_merge();
  VHM_RETURN_IF_ERROR(impl_->index->ensure_loaded());
  VHM_RETURN_IF_ERROR(impl_->index->merge_now());
  return impl_->index->sync();
}

void Bank::wait_for_merge() { impl_->index->wait_for_merge(); }

Result<ContentInfo> Bank::content(int64_t id) const { return content(ContentRef::by_id(id)); }

Result<ContentInfo> Bank::content(const ContentRef& ref) const {
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kShort);
  if (!reader) return reader.status();
  return (*reader)->find_content(ref);
}

Result<std::vector<FrameHash>> Bank::content_frames(int64_t id) const {
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kShort);
  if (!reader) return reader.status();
  auto c = (*reader)->find_content(ContentRef::by_id(id));
  if (!c) return c.status();
  std::vector<FrameHash> frames;
  VHM_RETURN_IF_ERROR((*reader)->read_frames(*c, frames));
  VHM_RETURN_IF_ERROR((*reader)->finish());
  return frames;
}

Status Bank::for_each_content(bool include_removed,
                              const std::function<Status(const ContentInfo&, std::span<const FrameHash>)>& fn) const {
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kLong);
  if (!reader) return reader.status();
  VHM_RETURN_IF_ERROR((*reader)->for_each_content(include_removed, fn));
  return (*reader)->finish();
}

Result<BankStats> Bank::stats() const {
  BankStats st;
  st.path = impl_->dir;
  st.index_spec = impl_->index->options().spec;
  st.recovery_notes = impl_->recovery_notes;
  {
    auto reader = impl_->store->begin_read(BankStore::ReadKind::kLong);
    if (!reader) return reader.status();
    BankStoreReader& read = **reader;
    auto gen = read.generation();
    if (!gen) return gen.status();
    st.generation = *gen;
    if (auto created = read.meta_value("created_at")) st.created_at = *created;
    if (auto format = read.meta_value("format")) st.format_version = std::atoi(format->c_str());
    auto counts = read.counts();
    if (!counts) return counts.status();
    st.contents_live = counts->contents_live;
    st.contents_removed = counts->contents_removed;
    st.video_contents = counts->video_contents;
    st.pdq_contents = counts->pdq_contents;
    st.frames_live = counts->frames_live;
    st.frames_total = counts->frames_total;
    st.frames_inside_bars = counts->frames_inside_bars;
    VHM_RETURN_IF_ERROR(read.finish());
  }
  st.database_bytes = impl_->store->storage_bytes();
  std::error_code ec;
  const auto isize = fs::file_size((fs::path(impl_->dir) / kBankIndexFile).string(), ec);
  st.index_cache_present = !ec;
  st.index_cache_bytes = ec ? 0 : static_cast<int64_t>(isize);
  st.index = impl_->index->info();
  return st;
}

BankIndexInfo Bank::index_info() const { return impl_->index->info(); }

namespace fs = std::filesystem;

namespace {

// recovery_notes() for what a crash left behind, as docs/BANK.md words it.
void note_recovery(const RecoveryReport& report, std::vector<std::string>& notes) {
  for (const InterruptedAdd& a : report.interrupted)
    notes.push_back("an add started at " + a.started_at + " by process " + std::to_string(a.pid) + " (" +
                    std::to_string(a.contents) + " contents, " + std::to_string(a.frames) +
                    " frames: " + a.description + ") did not finish; SQLite rolled it back, none of it is in the bank");
  if (report.interrupted.empty()) return;
  if (report.storage.ok)
    notes.push_back("the bank is consistent after the interrupted add (quick_check ok)");
  else
    notes.push_back("quick_check after the interrupted add: " + report.storage.verdict + " (run 'vhm bank verify')");
}

LiveIndexOptions live_index_options(const BankOptions& options, std::string spec) {
  LiveIndexOptions o;
  o.spec = std::move(spec);
  o.save_index = options.save_index;
  o.background_merge = options.background_merge;
  o.merge_frames = options.merge_frames;
  o.search_threads = options.search_threads;
  o.cache_lock_timeout_ms = options.busy_timeout_ms;
  return o;
}

}  // namespace

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
  return SqliteBankStore::create(dir, options.index_spec);
}

Result<std::unique_ptr<Bank>> Bank::open(const std::string& dir, const BankOptions& options) {
  if (dir.empty()) return Status(StatusCode::kInvalidArgument, "no bank directory given");
  auto store = SqliteBankStore::open(dir, {.busy_timeout_ms = options.busy_timeout_ms});
  if (!store) return store.status();
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  if (const std::string& migrated = (*store)->migration_note(); !migrated.empty()) {
    spdlog::info("{}: {}", dir, migrated);
    impl->recovery_notes.push_back(migrated);
  }
  impl->store = std::move(store).value();
  std::string spec;
  {
    auto reader = impl->store->begin_read(BankStore::ReadKind::kShort);
    if (!reader) return reader.status();
    auto bank_spec = (*reader)->meta_value("index_spec");
    if (!bank_spec) return bank_spec.status();
    spec = options.index_spec.empty() ? *bank_spec : options.index_spec;
  }
  auto recovered = impl->store->recover_interrupted_adds();
  if (!recovered) return recovered.status();
  if (!recovered->interrupted.empty()) {
    note_recovery(*recovered, impl->recovery_notes);
    for (const auto& n : impl->recovery_notes) spdlog::warn("{}: {}", dir, n);
  }
  // A bank last written by an older vhm (or never since this one recorded it) gets its
  // frames checksum now, so its index cache can be proved (frames_checksum.h).
  if (auto current = impl->store->refresh_stale_frames_checksum(); !current)
    spdlog::warn("{}: frames checksum not recorded: {}", dir, current.status().to_string());
  impl->index = std::make_unique<LiveIndex>(*impl->store, live_index_options(options, std::move(spec)));
  std::unique_ptr<Bank> bank(new Bank(std::move(impl)));
  if (options.load_index) VHM_RETURN_IF_ERROR(bank->impl_->index->ensure_loaded());
  return bank;
}

Status Bank::Impl::content_error(const NewContent& c, size_t position, const std::string& what) const {
  if (!c.origin.file.empty())
    return {StatusCode::kInvalidArgument,
            (c.origin.line > 0 ? "line " + std::to_string(c.origin.line) + ": " : std::string()) + what, c.origin.file};
  const std::string which =
      "content " + std::to_string(position + 1) + (c.meta.source.empty() ? std::string() : " (" + c.meta.source + ")");
  return {StatusCode::kInvalidArgument, which + ": " + what, dir};
}

Status Bank::Impl::validate(const NewContent& c, size_t position) const {
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

Result<std::vector<AddedContent>> Bank::Impl::add(std::span<const NewContent> contents) {
  if (contents.empty()) return std::vector<AddedContent>();
  for (size_t i = 0; i < contents.size(); ++i) VHM_RETURN_IF_ERROR(validate(contents[i], i));
  auto result = store->add_contents(contents, options.add_progress);
  if (!result) return result.status();
  switch (result->outcome) {
    case AddOutcome::kAdded:
      return std::move(result->added);
    case AddOutcome::kDuplicateExternalId: {
      const NewContent& c = contents[result->position];
      return content_error(c, result->position,
                           "external id '" + c.meta.external_id + "' is already content " +
                               std::to_string(result->existing_content_id) + " of bank " + dir + " (remove it first)");
    }
  }
  return Status(StatusCode::kInternal, "unknown add outcome", dir);
}

Result<std::vector<AddedContent>> Bank::add_contents(std::span<const NewContent> contents) {
  auto r = impl_->add(contents);
  if (r && impl_->index->current()) {
    Status st = impl_->index->sync();  // make the new frames searchable here at once
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
  auto r = impl_->store->remove(ref, reason);
  if (r && impl_->index->current()) {
    Status st = impl_->index->sync();
    if (!st.is_ok()) spdlog::warn("refresh after remove: {}", st.to_string());
  }
  return r;
}

namespace {

// Lookups per probe batch.
constexpr size_t kProbeBatch = 4096;

// Each broken invariant, worded for the report, in the order verify lists them.
void report_violations(const InvariantViolations& v, VerifyReport& report) {
  const std::pair<int64_t, const char*> found[] = {
      {v.frames_outside_ranges, "frames outside their content's id range or of no content"},
      {v.contents_miscounted, "contents whose frame count differs from their frame rows"},
      {v.malformed_frames, "frames with a malformed hash, quality or frame number"},
      {v.malformed_inside_bars, "frames with a malformed inside-bars hash or quality"},
      {v.duplicate_hashes, "exact-duplicate frame hashes within a content"},
      {v.pdq_not_one_frame, "pdq contents without exactly one frame"},
      {v.from_later_generation, "contents from a generation after the bank's"},
      {v.overlapping_ranges, "contents with overlapping frame id ranges"},
  };
  for (const auto& [n, what] : found)
    if (n) report.problems.push_back(std::to_string(n) + " " + what);
}

struct Probe {
  int64_t id = 0, content = 0;
  bool removed = false;
  bool inside_bars = false;     // the probe is the frame's inside-bars hash
  bool same_as_stored = false;  // ... which equals its hash as stored (a tie reports that one)
};

}  // namespace

Result<VerifyReport> Bank::verify(const VerifyOptions& options) {
  VerifyReport report;
  Impl& im = *impl_;
  BankStore& store = *im.store;
  LiveIndex& index = *im.index;
  for (const auto& n : im.recovery_notes) report.notes.push_back(n);

  // 1. The store's own check of every page and index, and 2. the bank's own
  //    invariants, in one snapshot.
  bool rerecord_checksum = false;
  {
    auto reader = store.begin_read(BankStore::ReadKind::kLong);
    if (!reader) return reader.status();
    BankStoreReader& read = **reader;
    auto storage = read.check_storage();
    if (!storage) return storage.status();
    report.integrity = storage->verdict;
    if (!storage->ok) report.problems.push_back("integrity_check: " + storage->verdict);
    auto gen = read.generation();
    if (!gen) return gen.status();
    auto rows = read.row_counts();
    if (!rows) return rows.status();
    report.contents_checked = rows->contents;
    report.frames_checked = rows->frames;
    report.frames_inside_bars = rows->frames_inside_bars;
    auto violations = read.invariant_violations(*gen);
    if (!violations) return violations.status();
    report_violations(*violations, report);
    // The record that lets an index cache prove which hashes it holds (frames_checksum.h).
    auto recorded = read.recorded_frames_checksum(*gen);
    if (!recorded) return recorded.status();
    if (!*recorded) {
      report.notes.push_back("the frames checksum is not recorded at generation " + std::to_string(*gen) +
                             " (last written by an older vhm): the next open or add records it");
    } else {
      auto sum = read.checksum_frames_after(std::numeric_limits<int64_t>::min());
      if (!sum) return sum.status();
      if (*sum != **recorded) {
        if (options.rebuild_index) {
          rerecord_checksum = true;  // below, by the writer: it is derived from the rows, like the cache
        } else {
          report.problems.push_back("the frame rows do not add up to the frames checksum recorded at generation " +
                                    std::to_string(*gen) +
                                    " (frames changed outside vhm?); --rebuild-index records it anew");
        }
      }
    }
    auto pending = read.pending_add_count();
    if (!pending) return pending.status();
    if (*pending)
      report.notes.push_back(
          std::to_string(*pending) +
          " add(s) in flight or interrupted (nothing of them is visible; the next open clears them)");
    VHM_RETURN_IF_ERROR(read.finish());
  }
  if (rerecord_checksum) {
    VHM_RETURN_IF_ERROR(store.record_frames_checksum_now());
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
  bool cache_consistent = false;
  if (!index.current()) {
    // Loading is the check: the cache is used only if it is consistent.
    if (Status st = index.ensure_loaded(); !st.is_ok()) {
      VHM_RETURN_IF_ERROR(index_problem(st));
      report.index_cache = "not checked (the index cannot be built)";
    } else {
      const auto loaded = index.current();
      cache_consistent = loaded && loaded->origin == IndexOrigin::kCache;
      report.index_cache = cache_consistent ? "consistent" : loaded ? loaded->origin_text() : "not loaded";
    }
  } else {
    const CacheCheck cache = index.check_cache();
    cache_consistent = cache.verdict == CacheVerdict::kUsable;
    report.index_cache = cache.verdict == CacheVerdict::kUsable    ? "consistent"
                         : cache.verdict == CacheVerdict::kMissing ? "missing"
                                                                   : "stale or corrupt: " + cache.reason;
  }
  if (searchable && !cache_consistent)
    report.notes.push_back("index cache: " + report.index_cache + " (rebuilt from SQLite; nothing is lost)");
  if (searchable && options.rebuild_index) {
    index.wait_for_merge();
    if (Status st = index.merge_now(); !st.is_ok())
      VHM_RETURN_IF_ERROR(index_problem(st));
    else
      report.notes.push_back("index rebuilt from SQLite and the cache rewritten");
  }
  if (searchable)
    if (Status st = index.sync(); !st.is_ok()) VHM_RETURN_IF_ERROR(index_problem(st));

  // 4. Probes: every probed frame of a live content is found at distance 0 with its
  //    own id, and every probed inside-bars hash is found at distance 0 through its
  //    frame's inside-bars code; no frame of a removed content is ever returned.
  if (searchable && (options.all_frames || options.probe_frames > 0)) {
    std::vector<Probe> probes;
    std::vector<Hash256> codes;
    auto check_batch = [&]() -> Status {
      if (codes.empty()) return Status::ok();
      auto hits = searchable ? lookup(codes, 0) : Result<std::vector<BankHit>>(std::vector<BankHit>());
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
      return codes.size() == kProbeBatch ? check_batch() : Status::ok();
    };
    auto spacing = [&](int64_t rows) -> int64_t {
      if (options.all_frames || rows <= options.probe_frames) return 1;
      return (rows + options.probe_frames - 1) / options.probe_frames;
    };
    // A connection of its own: the lookups between batches use the store's others.
    auto reader = store.begin_read(BankStore::ReadKind::kLong);
    if (!reader) return reader.status();
    // Frames, evenly spread by id.
    VHM_RETURN_IF_ERROR(
        (*reader)->for_each_probe_frame(spacing(report.frames_checked), [&](const FrameCodesRow& row) -> Status {
          Hash256 h;
          if (!hash_from_blob(row.hash, h)) return Status::ok();  // counted as malformed above
          return add_probe({row.id, row.content_id, row.content_removed, false, false}, h);
        }));
    // Inside-bars hashes, evenly spread over the frames that have one (few or none in
    // most banks: spreading them by frame id would often probe none).
    const int64_t bars_step = spacing(report.frames_inside_bars);
    int64_t n = 0;
    VHM_RETURN_IF_ERROR((*reader)->for_each_inside_bars_frame([&](const FrameCodesRow& row) -> Status {
      if (n++ % bars_step) return Status::ok();
      Hash256 stored, inside;
      if (!hash_from_blob(row.hash, stored) || !hash_from_blob(row.inside_bars, inside))
        return Status::ok();  // malformed: counted above
      return add_probe({row.id, row.content_id, row.content_removed, true, stored == inside}, inside);
    }));
    VHM_RETURN_IF_ERROR(check_batch());
    (void)(*reader)->finish();
  }
  const BankIndexInfo info = index.info();
  if (!info.exact) report.notes.push_back("the index '" + info.spec + "' is approximate: lookups may miss frames");
  return report;
}

}  // namespace vhm
