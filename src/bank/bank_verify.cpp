// Bank::verify: the store's own check, the bank's invariants, the cache, and lookups
// of probe frames (docs/BANK.md, "verify").
#include <limits>
#include <utility>
#include <vector>

#include "bank/bank_impl.h"
#include "bank/bank_index_ids.h"
#include "bank/hash_blob.h"

namespace vhm {
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
      {v.image_not_one_frame, "image contents without exactly one frame"},
      {v.frames_of_unknown_signal, "frames of a signal this vhm does not know"},
      {v.from_later_generation, "contents from a generation after the bank's"},
      {v.overlapping_ranges, "contents with overlapping frame id ranges"},
  };
  for (const auto& [n, what] : found)
    if (n) report.problems.push_back(std::to_string(n) + " " + what);
}

void report_signal_violations(const SignalViolations& v, VerifyReport& report) {
  const std::pair<int64_t, const char*> found[] = {
      {v.of_missing_contents, "whole-content signal rows of no content"},
      {v.of_unknown_signal, "whole-content signal values of a signal this vhm does not know"},
      {v.malformed_digests, "digests (video_md5, video_sha256) of the wrong size or column"},
      {v.malformed_values, "tmk values that are no .tmk file"},
      {v.vectors_not_matching, "tmk values whose level-1 vector is missing or is not their pure average"},
      {v.duplicate_values, "exact-duplicate signal values within a content"},
      {v.videos_without_hashes, "contents with neither frames nor whole-content signals"},
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
  LiveIndex& index = im.index();
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
    auto signal_violations = read.signal_violations();
    if (!signal_violations) return signal_violations.status();
    report_signal_violations(*signal_violations, report);
    report.signal_values_checked = signal_violations->values_checked;
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
    if (Status st = index.merge_now(); !st.is_ok()) VHM_RETURN_IF_ERROR(index_problem(st));
    else report.notes.push_back("index rebuilt from SQLite and the cache rewritten");
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
        if (!p.inside_bars || h.bank_variant == FrameVariant::kInsideBars || p.same_as_stored) found[h.query] = true;
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
