// The Bank facade: lookups (the live index's snapshot), getters and stats (the store's
// reads). Opening, writing and verifying live beside it (bank_impl.h says where).
#include "bank/bank.h"

#include <cstdlib>
#include <filesystem>

#include "bank/bank_impl.h"

namespace vhm {

namespace fs = std::filesystem;

const char* content_kind_name(ContentKind kind) { return kind == ContentKind::kImage ? "image" : "video"; }

std::optional<ContentKind> parse_content_kind(std::string_view name) {
  if (name == "video" || name == "vpdq") return ContentKind::kVideo;
  if (name == "image" || name == "pdq") return ContentKind::kImage;
  return std::nullopt;
}

const char* stored_content_kind(ContentKind kind) { return kind == ContentKind::kImage ? "pdq" : "video"; }

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
  LiveIndex& index = impl_->index();
  VHM_RETURN_IF_ERROR(index.sync());
  auto snapshot = index.current();
  if (!snapshot) return Status(StatusCode::kInternal, "no index state after sync", impl_->dir);
  auto hits = snapshot->search(queries, max_distance, options, index.options().search_threads, impl_->dir);
  if (hits)
    for (BankHit& h : *hits) h.signal = index.options().signal;
  return hits;
}

Status Bank::refresh() { return impl_->index().sync(); }

Status Bank::merge() {
  wait_for_merge();
  VHM_RETURN_IF_ERROR(impl_->index().ensure_loaded());
  VHM_RETURN_IF_ERROR(impl_->index().merge_now());
  return impl_->index().sync();
}

void Bank::wait_for_merge() { impl_->index().wait_for_merge(); }

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
  st.index_spec = impl_->index().options().spec;
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
    st.image_contents = counts->image_contents;
    st.frames_live = counts->frames_live;
    st.frames_total = counts->frames_total;
    st.frames_inside_bars = counts->frames_inside_bars;
    st.signals = counts->signals;
    st.contents_without_frames = counts->contents_without_frames;
    auto checkpoints = read.meta_values_with_prefix("checkpoint:");
    if (!checkpoints) return checkpoints.status();
    st.checkpoints = std::move(checkpoints).value();
    VHM_RETURN_IF_ERROR(read.finish());
  }
  st.database_bytes = impl_->store->storage_bytes();
  std::error_code ec;
  const auto isize = fs::file_size((fs::path(impl_->dir) / kBankIndexFile).string(), ec);
  st.index_cache_present = !ec;
  st.index_cache_bytes = ec ? 0 : static_cast<int64_t>(isize);
  st.index = impl_->index().info();
  for (const auto& [signal, index] : impl_->vector_indexes) st.tmk_vectors_resident += index->resident_vectors();
  st.tmk_index_spec = impl_->options.tmk_index_spec;
  return st;
}

BankIndexInfo Bank::index_info() const { return impl_->index().info(); }

}  // namespace vhm
