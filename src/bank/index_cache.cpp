#include "bank/index_cache.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <vector>

#include "bank/bank_index_ids.h"
#include "bank/file_lock.h"
#include "bank/index_cache_files.h"
#include "bank/utc_time.h"

namespace vhm {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexCacheLockFile = "index.vhmidx.lock";

CacheCheck rejected(std::string why) { return {CacheVerdict::kRejected, std::move(why)}; }

std::string in_dir(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

// The store's half of the checks, in one read: the generation, the frames checksum
// proof, the ids the cache must hold, and the codes of the frames to spot-check.
CacheCheck check_against_store(const IndexCacheMeta& meta, BankStore& store, std::vector<HashId>& probes,
                               std::vector<Hash256>& probe_codes) {
  auto reader = store.begin_read(BankStore::ReadKind::kShort);
  if (!reader) return rejected(reader.status().message());
  BankStoreReader& read = **reader;
  auto now = read.generation();
  if (!now) return rejected(now.status().message());
  if (meta.generation > *now)
    return rejected("made at generation " + std::to_string(meta.generation) + ", the bank is at " +
                    std::to_string(*now));
  // The proof that it was built from these hashes: the frame rows up to its last
  // frame must checksum as they did when it was built. A bank.sqlite restored from a
  // backup, with contents added since, has the same generations, ids and counts as
  // the history the cache came from, but other hashes.
  auto recorded = read.recorded_frames_checksum(*now);
  if (!recorded) return rejected(recorded.status().message());
  if (!*recorded)
    return rejected("the bank's frames checksum is not recorded at generation " + std::to_string(*now) +
                    " (a commit by an older vhm)");
  auto tail = read.checksum_frames_after(meta.max_frame_id);
  if (!tail) return rejected(tail.status().message());
  const FramesChecksum built_from{meta.frames_checksum};
  if ((*recorded)->minus(*tail) != built_from)
    return rejected(
        "it was built from other hashes than bank.sqlite holds (the database was restored from a "
        "backup or replaced since)");
  auto expected = read.expected_cache(meta.generation, meta.max_frame_id);
  if (!expected) return rejected(expected.status().message());
  if (expected->inside_bars != meta.inside_bars_count)
    return rejected("it holds " + std::to_string(meta.inside_bars_count) + " inside-bars codes, the bank had " +
                    std::to_string(expected->inside_bars) + " at generation " + std::to_string(meta.generation));
  if (expected->ids.count != meta.count || expected->ids.sum != meta.ids_checksum)
    return rejected("its frame ids do not match the bank's at generation " + std::to_string(meta.generation));
  probes = std::move(expected->probes);
  for (HashId probe : probes) {
    const int64_t id = frame_id_of(probe);
    auto code = read.frame_code(id, bank_variant_of(probe) == FrameVariant::kInsideBars);
    if (!code) return rejected(code.status().message());
    if (!*code) return rejected("frame " + std::to_string(id) + " unreadable");
    probe_codes.push_back(**code);
  }
  (void)read.finish();
  return {};
}

}  // namespace

CacheCheck load_index_cache(const IndexCacheLocation& where, BankStore& store, int search_threads, LoadedCache& out) {
  const std::string index_path = in_dir(where.dir, kBankIndexFile), meta_path = in_dir(where.dir, kBankIndexMetaFile);
  std::error_code ec;
  if (fs::symlink_status(index_path, ec).type() == fs::file_type::not_found) return {CacheVerdict::kMissing, {}};
  auto meta = read_index_cache_meta(meta_path);
  if (!meta) {
    if (meta.status().code() == StatusCode::kNotFound) return rejected("its metadata file is missing");
    return rejected(meta.status().message());
  }
  if (meta->spec != where.spec) return rejected("built as '" + meta->spec + "', the bank wants '" + where.spec + "'");
  if (!meta->has_frames_checksum)
    return rejected("its metadata does not record which hashes it was built from (written by an older vhm)");
  auto sum = index_cache_file_checksum(index_path, meta->file_bytes);
  if (!sum) return rejected(sum.status().message());
  if (sum->checksum != meta->file_checksum) return rejected("the file's checksum does not match its metadata");
  std::vector<HashId> probes;
  std::vector<Hash256> probe_codes;
  if (CacheCheck c = check_against_store(*meta, store, probes, probe_codes); c.verdict != CacheVerdict::kUsable)
    return c;
  auto loaded = load_hash_index(index_path);
  if (!loaded) return rejected(loaded.status().message());
  if (static_cast<int64_t>((*loaded)->size()) != meta->count)
    return rejected("it holds " + std::to_string((*loaded)->size()) + " frames, its metadata says " +
                    std::to_string(meta->count));
  if (!probe_codes.empty()) {
    std::vector<RangeHit> hits;
    SearchOptions so;
    so.threads = search_threads;
    if (Status st = (*loaded)->range_search(probe_codes, 0, hits, so); !st.is_ok()) return rejected(st.message());
    for (size_t q = 0; q < probes.size(); ++q) {
      const bool found =
          std::any_of(hits.begin(), hits.end(), [&](const RangeHit& h) { return h.query == q && h.id == probes[q]; });
      if (!found) {
        const bool bars = bank_variant_of(probes[q]) == FrameVariant::kInsideBars;
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

Status save_index_cache(const IndexCacheLocation& where, const MainIndexBuild& build, int lock_timeout_ms) {
  const std::string& dir = where.dir;
  auto lock = FileLock::acquire(in_dir(dir, kIndexCacheLockFile), lock_timeout_ms);
  if (!lock) return lock.status();
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  const std::string tmp_index = in_dir(dir, kBankIndexFile) + ".tmp-" + tag;
  const std::string tmp_meta = in_dir(dir, kBankIndexMetaFile) + ".tmp-" + tag;
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove(tmp_index, ec);
    fs::remove(tmp_meta, ec);
  };
  Status st = build.index->save(tmp_index);
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
  meta.spec = where.spec;
  meta.generation = build.generation;
  meta.max_frame_id = build.max_frame_id;
  meta.count = build.ids.count;
  meta.inside_bars_count = build.inside_bars;
  meta.ids_checksum = build.ids.sum;
  meta.frames_checksum = build.frames.sum;
  meta.has_frames_checksum = true;
  meta.file_bytes = sum->bytes;
  meta.file_checksum = sum->checksum;
  meta.written_at = utc_now_iso();
  if (Status w = write_index_cache_meta(tmp_meta, meta); !w.is_ok()) {
    cleanup();
    return w.with_subject(dir);
  }
  std::error_code ec;
  fs::rename(tmp_index, in_dir(dir, kBankIndexFile), ec);
  if (!ec) fs::rename(tmp_meta, in_dir(dir, kBankIndexMetaFile), ec);
  if (ec) {
    cleanup();
    return {StatusCode::kIoError, "cannot install the index cache: " + ec.message(), dir};
  }
  return Status::ok();
}

}  // namespace vhm
