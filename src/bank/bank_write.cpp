// Bank writes: checks what an add is given and words what the store refuses; the
// transactions themselves are the store's (BankStore::add_contents, apply_changes, remove).
#include <cmath>

#include <spdlog/spdlog.h>

#include "bank/bank_impl.h"
#include "bank/content_signal_values.h"
#include "signal/signal_registry.h"

namespace vhm {

Status Bank::Impl::content_error(const NewContent& c, size_t position, const std::string& what) const {
  if (!c.origin.file.empty())
    return {StatusCode::kInvalidArgument,
            (c.origin.line > 0 ? "line " + std::to_string(c.origin.line) + ": " : std::string()) + what, c.origin.file};
  const std::string which =
      "content " + std::to_string(position + 1) + (c.meta.source.empty() ? std::string() : " (" + c.meta.source + ")");
  return {StatusCode::kInvalidArgument, which + ": " + what, dir};
}

Status Bank::Impl::validate(const NewContent& c, size_t position) const {
  if (c.frames.empty() && c.signals.empty()) return content_error(c, position, "no frame hashes");
  if (c.meta.kind == ContentKind::kImage && !c.signals.empty())
    return content_error(c, position, "an image content holds one PDQ hash and no whole-content signals");
  for (size_t i = 0; i < c.signals.size(); ++i) {
    Status st = check_content_signal(c.signals[i].signal, c.signals[i].value);
    if (!st.is_ok())
      return content_error(
          c, position,
          "signal " + std::to_string(i) + " (" + std::string(signal_name(c.signals[i].signal)) + "): " + st.message());
  }
  if (c.meta.kind == ContentKind::kImage && c.frames.size() != 1)
    return content_error(c, position, "an image content is one hash, not " + std::to_string(c.frames.size()));
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
    case AddOutcome::kCheckpointMoved:
      break;  // add_contents names no checkpoint
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
  if (r && impl_->index().current()) {
    Status st = impl_->index().sync();  // make the new frames searchable here at once
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

Result<AppliedChanges> Bank::apply_changes(const BankChanges& changes) {
  for (size_t i = 0; i < changes.add.size(); ++i) VHM_RETURN_IF_ERROR(impl_->validate(changes.add[i], i));
  int64_t removed = 0;
  auto result = impl_->store->apply_changes(changes, removed, impl_->options.add_progress);
  if (!result) return result.status();
  if (result->outcome == AddOutcome::kCheckpointMoved) {
    AppliedChanges moved;
    moved.outcome = ChangesOutcome::kCheckpointMoved;
    return moved;
  }
  if (result->outcome == AddOutcome::kDuplicateExternalId) {
    AppliedChanges refused;
    refused.outcome = ChangesOutcome::kDuplicateExternalId;
    refused.refused = result->position;
    refused.existing_content_id = result->existing_content_id;
    return refused;
  }
  if (impl_->index().current()) {
    Status st = impl_->index().sync();
    if (!st.is_ok()) spdlog::warn("refresh after changes: {}", st.to_string());
  }
  return AppliedChanges{ChangesOutcome::kCommitted, std::move(result->added), removed};
}

Result<std::optional<std::string>> Bank::checkpoint(const std::string& name) const {
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kShort);
  if (!reader) return reader.status();
  auto value = (*reader)->find_meta_value("checkpoint:" + name);
  VHM_RETURN_IF_ERROR((*reader)->finish());
  return value;
}

Result<RemoveResult> Bank::remove(const ContentRef& ref, const std::string& reason) {
  auto r = impl_->store->remove(ref, reason);
  if (r && impl_->index().current()) {
    Status st = impl_->index().sync();
    if (!st.is_ok()) spdlog::warn("refresh after remove: {}", st.to_string());
  }
  return r;
}

}  // namespace vhm
