#include "bank/live_index.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace vhm {
namespace {

// The spec of the delta indexes: exhaustive, exact, cheap to build.
constexpr const char* kDeltaSpec = "flat";
// Delta segments (one per refresh that found frames) before they are compacted into one.
constexpr size_t kMaxDeltaSegments = 8;
constexpr size_t kMaxSpanChunks = 8;
// Frame rows a refresh takes from the store at a time.
constexpr size_t kRefreshBatchRows = 4096;

std::shared_ptr<IndexSnapshot> snapshot_of(const MainIndexBuild& build, IndexOrigin origin, std::string why = {}) {
  auto s = std::make_shared<IndexSnapshot>();
  s->main = build.index;
  s->main_max_frame_id = build.max_frame_id;
  s->main_inside_bars = build.inside_bars;
  s->chunks.push_back(build.spans);
  s->removed = build.removed;
  s->generation = build.generation;
  s->max_content_id = build.max_content_id;
  s->max_frame_id = build.max_frame_id;
  s->frames_checksum = build.frames;
  s->record_agrees = build.record_agrees;
  s->origin = origin;
  s->rebuilt_because = std::move(why);
  return s;
}

}  // namespace

LiveIndex::LiveIndex(BankStore& store, LiveIndexOptions options)
    : store_(store), options_(std::move(options)), cache_{store.subject(), options_.spec} {}

LiveIndex::~LiveIndex() {
  stopping_ = true;
  wait_for_merge();
}

void LiveIndex::wait_for_merge() {
  // Joins without holding a lock the thread needs.
  std::thread t;
  {
    std::lock_guard lock(thread_mutex_);
    t = std::move(merge_thread_);
  }
  if (t.joinable()) t.join();
}

std::shared_ptr<const IndexSnapshot> LiveIndex::current() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

void LiveIndex::publish(std::shared_ptr<const IndexSnapshot> next) {
  std::lock_guard lock(state_mutex_);
  state_ = std::move(next);
}

CacheCheck LiveIndex::check_cache() const {
  LoadedCache loaded;
  return load_index_cache(cache_, store_, options_.search_threads, loaded);
}

void LiveIndex::save_cache_logged(const MainIndexBuild& build) const {
  if (!options_.save_index) return;
  Status st = save_index_cache(cache_, build, options_.cache_lock_timeout_ms);
  if (!st.is_ok()) spdlog::warn("index cache not saved: {}", st.to_string());
}

Status LiveIndex::ensure_loaded() {
  if (current()) return Status::ok();
  std::lock_guard lock(refresh_mutex_);
  return ensure_loaded_locked();
}

Status LiveIndex::ensure_loaded_locked() {
  if (current()) return Status::ok();
  auto dv = store_.data_version();  // before reading: a commit after this is seen by the next sync
  if (!dv) return dv.status();
  LoadedCache loaded;
  const CacheCheck cache = load_index_cache(cache_, store_, options_.search_threads, loaded);
  if (cache.verdict == CacheVerdict::kUsable) {
    auto s = std::make_shared<IndexSnapshot>();
    s->main = loaded.index;
    s->main_max_frame_id = loaded.max_frame_id;
    s->main_inside_bars = loaded.inside_bars;
    s->max_frame_id = loaded.max_frame_id;
    s->frames_checksum = loaded.frames;
    s->record_agrees = true;  // load_index_cache checked the record against it
    s->removed = std::make_shared<RemovedSet>();
    s->origin = IndexOrigin::kCache;
    // generation 0 and max_content_id 0: the refresh below reads every content span
    // and tombstone, and the frames committed after the cache as a delta.
    publish(s);
  } else {
    const std::string why = cache.verdict == CacheVerdict::kMissing ? "no cache" : "cache " + cache.reason;
    if (cache.verdict == CacheVerdict::kRejected)
      spdlog::info("{}: index cache not used ({}), rebuilding", cache_.dir, cache.reason);
    auto build = build_main_index(store_, options_.spec, &stopping_);
    if (!build) return build.status();
    publish(snapshot_of(*build, IndexOrigin::kRebuilt, why));
    save_cache_logged(*build);
  }
  auto refreshed = refresh_locked();
  if (!refreshed) return refreshed.status();
  if (*refreshed == Refreshed::kStartOver)
    return {StatusCode::kUnavailable, "bank.sqlite changed while its index was loaded (replaced?); try again",
            cache_.dir};
  synced_data_version_ = *dv;
  return Status::ok();
}

Result<LiveIndex::Refreshed> LiveIndex::refresh_locked() {
  auto base = current();
  if (!base) return Refreshed::kUpToDate;  // nothing loaded: nothing to keep up to date
  const std::string& dir = cache_.dir;
  auto next = std::make_shared<IndexSnapshot>(*base);
  std::vector<Hash256> codes;
  std::vector<HashId> ids;
  auto spans = std::make_shared<SpanChunk>();
  int64_t generation = 0, inside_bars = 0;
  auto start_over = [&] {
    publish(nullptr);
    return Refreshed::kStartOver;
  };
  {
    auto reader = store_.begin_read(BankStore::ReadKind::kShort);
    if (!reader) return reader.status();
    BankStoreReader& read = **reader;
    auto gen = read.generation();
    if (!gen) return gen.status();
    generation = *gen;
    if (generation == base->generation) {
      // Nothing new, unless the file was replaced by a copy at the same generation.
      auto recorded = read.recorded_frames_checksum(generation);
      if (!recorded) return recorded.status();
      VHM_RETURN_IF_ERROR(read.finish());
      return base->record_agrees && *recorded && **recorded != base->frames_checksum ? start_over()
                                                                                     : Refreshed::kUpToDate;
    }
    if (generation < base->generation) {
      // The database went back in time (restored from a copy): start over.
      (void)read.finish();
      return start_over();
    }
    VHM_RETURN_IF_ERROR(read.for_each_content_span(base->max_content_id, [&](const ContentSpanRow& row) {
      spans->push_back({row.first_frame_id, row.content_id, row.frame_count, row.type});
      return Status::ok();
    }));
    auto removed_ids = read.removed_after(base->generation);
    if (!removed_ids) return removed_ids.status();
    std::vector<int64_t> removed_now;
    for (int64_t id : *removed_ids)
      if (!base->removed->count(id)) removed_now.push_back(id);
    if (!removed_now.empty()) {
      auto removed = std::make_shared<RemovedSet>(*base->removed);
      removed->insert(removed_now.begin(), removed_now.end());
      next->removed = removed;
    }
    VHM_RETURN_IF_ERROR(
        read.scan_frames(base->max_frame_id, kRefreshBatchRows, [&](std::span<const FrameCodesRow> rows) -> Status {
          for (const FrameCodesRow& row : rows) {
            next->max_frame_id = std::max(next->max_frame_id, row.id);
            next->frames_checksum.add_row(row.id, row.hash, row.inside_bars);
            if (next->removed->count(row.content_id)) continue;
            VHM_RETURN_IF_ERROR(append_frame_codes(row, dir, codes, ids, inside_bars));
          }
          return Status::ok();
        }));
    // The rows this state was built from, and the new ones, must add up to the
    // store's record: if not, the database was replaced under this Bank (restored
    // from a backup, then written to) and what it searches is another bank's.
    auto recorded = read.recorded_frames_checksum(generation);
    if (!recorded) return recorded.status();
    if (base->record_agrees && *recorded && **recorded != next->frames_checksum) {
      (void)read.finish();
      spdlog::warn(
          "{}: bank.sqlite's frames are not the ones this index was built from (restored from a backup?); "
          "rebuilding the index",
          dir);
      return start_over();
    }
    next->record_agrees = *recorded && **recorded == next->frames_checksum;
    VHM_RETURN_IF_ERROR(read.finish());
  }
  next->generation = generation;
  if (!spans->empty()) {
    next->max_content_id = std::max(next->max_content_id, spans->back().content_id);
    next->chunks.push_back(spans);
  }
  if (!codes.empty()) {
    auto index = new_hash_index(kDeltaSpec, dir);
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

Status LiveIndex::compact(IndexSnapshot& s) const {
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
    auto index = new_hash_index(kDeltaSpec, cache_.dir);
    if (!index) return index.status();
    VHM_RETURN_IF_ERROR((*index)->add(*codes, *ids).with_subject(cache_.dir));
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

Status LiveIndex::sync() {
  VHM_RETURN_IF_ERROR(ensure_loaded());
  auto dv = store_.data_version();
  if (!dv) return dv.status();
  if (*dv == synced_data_version_.load()) return Status::ok();
  std::lock_guard lock(refresh_mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    VHM_RETURN_IF_ERROR(ensure_loaded_locked());
    dv = store_.data_version();
    if (!dv) return dv.status();
    if (*dv == synced_data_version_.load()) return Status::ok();
    auto refreshed = refresh_locked();
    if (!refreshed) return refreshed.status();
    if (*refreshed == Refreshed::kStartOver) continue;  // state dropped: the next round rebuilds it
    synced_data_version_ = *dv;
    return Status::ok();
  }
  return {StatusCode::kUnavailable, "bank.sqlite changed under the refresh twice (being replaced?); try again",
          cache_.dir};
}

void LiveIndex::maybe_start_merge(const IndexSnapshot& s) {
  if (!options_.background_merge || stopping_) return;
  if (s.delta_codes() < options_.merge_frames) return;
  if (merging_.exchange(true)) return;
  std::lock_guard lock(thread_mutex_);
  if (merge_thread_.joinable()) merge_thread_.join();  // the previous one has finished its work
  merge_thread_ = std::thread([this] {
    for (;;) {
      Status st = merge_now();
      if (!st.is_ok() && !stopping_) spdlog::warn("background index merge failed: {}", st.to_string());
      merging_ = false;
      // Adds that landed while this merge ran saw `merging_` set and started none:
      // merge again if they alone pass the threshold (unless an add just started one).
      auto cur = current();
      if (stopping_ || !st.is_ok() || !cur || cur->delta_codes() < options_.merge_frames) break;
      if (merging_.exchange(true)) break;
    }
  });
}

Status LiveIndex::merge_now() {
  std::lock_guard merge_lock(merge_mutex_);
  auto build = build_main_index(store_, options_.spec, &stopping_);
  if (!build) return build.status();
  {
    std::lock_guard lock(refresh_mutex_);
    auto cur = current();
    auto next = snapshot_of(*build, IndexOrigin::kMerged);
    if (cur) {
      for (const auto& d : cur->deltas)
        if (d.hi > build->max_frame_id) next->deltas.push_back(d);
      for (const auto& c : cur->chunks)
        if (!c->empty() && c->back().content_id > build->max_content_id) next->chunks.push_back(c);
      if (cur->removed->size() > 0) {
        auto removed = std::make_shared<RemovedSet>(*build->removed);
        removed->insert(cur->removed->begin(), cur->removed->end());
        next->removed = removed;
      }
      next->generation = std::max(cur->generation, build->generation);
      next->max_content_id = std::max(cur->max_content_id, build->max_content_id);
      if (cur->max_frame_id > build->max_frame_id) {  // the checksum goes with the frame id it covers
        next->max_frame_id = cur->max_frame_id;
        next->frames_checksum = cur->frames_checksum;
        next->record_agrees = cur->record_agrees;
      }
    }
    publish(next);
  }
  ++merges_;
  save_cache_logged(*build);
  return Status::ok();
}

BankIndexInfo LiveIndex::info() const {
  BankIndexInfo info;
  info.spec = options_.spec;
  info.merges = merges_.load();
  auto s = current();
  if (!s) return info;
  info.loaded = true;
  info.exact = s->main ? s->main->exact() : false;
  info.origin = s->origin_text();
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

}  // namespace vhm
