#include "bank/main_index_build.h"

#include <algorithm>
#include <limits>

#include "bank/bank_index_ids.h"
#include "bank/hash_blob.h"
#include "signal/signal_registry.h"

namespace vhm {
namespace {

// Initial capacity of the staging buffers of an index build (they grow as needed).
constexpr size_t kBuildReserve = size_t{1} << 18;
// Frame rows the store hands over at a time.
constexpr size_t kScanBatchRows = 4096;

}  // namespace

Result<std::shared_ptr<HashIndex>> new_hash_index(const std::string& spec, const std::string& subject) {
  // The PDQ signal names the index that holds its codes (signal/pdq_signal.h).
  auto index = builtin_signals().pdq().make_hamming_index(spec);
  if (!index) return index.status().with_subject(subject);
  return std::shared_ptr<HashIndex>(std::move(index).value());
}

Status append_frame_codes(const FrameCodesRow& row, const std::string& subject, std::vector<Hash256>& codes,
                          std::vector<HashId>& ids, int64_t& inside_bars) {
  // Every signal this vhm knows is PDQ, whose index this is; a row under another name
  // was written by a newer vhm into a bank of this format, or by hand.
  if (row.signal != SignalId::kPdq)
    return Status(StatusCode::kCorrupt,
                  "frame " + std::to_string(row.id) + " is of a signal this vhm does not know (run 'vhm bank verify')",
                  subject);
  Hash256 h;
  if (!hash_from_blob(row.hash, h))
    return Status(StatusCode::kCorrupt, "frame " + std::to_string(row.id) + " has a hash of the wrong size", subject);
  codes.push_back(h);
  ids.push_back(row.id);
  if (!row.has_inside_bars) return Status::ok();
  if (!hash_from_blob(row.inside_bars, h))
    return Status(StatusCode::kCorrupt,
                  "frame " + std::to_string(row.id) + " has an inside-bars hash of the wrong size", subject);
  codes.push_back(h);
  ids.push_back(inside_bars_index_id(row.id));
  ++inside_bars;
  return Status::ok();
}

Result<MainIndexBuild> build_main_index(BankStore& store, const std::string& spec, const std::atomic<bool>* stop) {
  const std::string& subject = store.subject();
  auto reader = store.begin_read(BankStore::ReadKind::kLong);
  if (!reader) return reader.status();
  BankStoreReader& read = **reader;
  MainIndexBuild build;
  auto gen = read.generation();  // the first read fixes the snapshot
  if (!gen) return gen.status();
  build.generation = *gen;
  build.spans = std::make_shared<SpanChunk>();
  build.removed = std::make_shared<RemovedSet>();
  constexpr int64_t kAll = std::numeric_limits<int64_t>::min();
  VHM_RETURN_IF_ERROR(read.for_each_content_span(kAll, [&](const ContentSpanRow& row) {
    build.spans->push_back({row.first_frame_id, row.content_id, row.frame_count, row.type});
    build.max_content_id = row.content_id;
    if (row.removed) build.removed->insert(row.content_id);
    return Status::ok();
  }));
  auto index = new_hash_index(spec, subject);
  if (!index) return index.status();
  build.index = *index;
  std::vector<Hash256> codes;
  std::vector<HashId> ids;
  codes.reserve(kBuildReserve);
  ids.reserve(kBuildReserve);
  const auto stopped = [&] { return stop && stop->load(); };
  VHM_RETURN_IF_ERROR(read.scan_frames(kAll, kScanBatchRows, [&](std::span<const FrameCodesRow> rows) -> Status {
    if (stopped()) return {StatusCode::kUnavailable, "index build stopped", subject};
    for (const FrameCodesRow& row : rows) {
      build.max_frame_id = std::max(build.max_frame_id, row.id);
      build.frames.add_row(row.id, row.hash, row.inside_bars);
      if (build.removed->count(row.content_id)) continue;
      const size_t before = ids.size();
      VHM_RETURN_IF_ERROR(append_frame_codes(row, subject, codes, ids, build.inside_bars));
      for (size_t i = before; i < ids.size(); ++i) build.ids.add(ids[i]);
    }
    return Status::ok();
  }));
  auto recorded = read.recorded_frames_checksum(build.generation);
  if (!recorded) return recorded.status();
  build.record_agrees = *recorded && **recorded == build.frames;
  VHM_RETURN_IF_ERROR(read.finish());
  // One add for the whole bank: an index that reorganises as it grows (mih rebuilds
  // its tables when its unindexed tail passes 64 Ki codes) would otherwise rebuild
  // once per batch, quadratic in the bank size (88 s instead of ~9 s at 10M frames).
  if (!codes.empty()) {
    if (stopped()) return Status(StatusCode::kUnavailable, "index build stopped", subject);
    VHM_RETURN_IF_ERROR(build.index->add(codes, ids).with_subject(subject));
  }
  return build;
}

}  // namespace vhm
