// Whole-content signals through the Bank: lookup_signals (digests by the store's index,
// TMK by the first-cut vector index and then the reference's two levels on values read
// from the store one at a time) and the getters export uses.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "bank/bank_impl.h"
#include "bank/content_signal_values.h"
#include "core/tmk_features.h"
#include "signal/signal_registry.h"
#include "signal/tmk_signal.h"

namespace vhm {

namespace {

// FAISS's inner products (BLAS, another summation order) and the reference's float
// cosine differ in the last bits: the first cut takes what is this much below the
// level-1 threshold, and the reference's level-1 on the features decides.
constexpr float kFirstCutSlack = 1e-3f;

Status query_error(size_t i, const std::string& what) {
  return {StatusCode::kInvalidArgument, "signal query " + std::to_string(i) + ": " + what};
}

}  // namespace

Result<std::vector<SignalHit>> Bank::lookup_signals(std::span<const SignalQuery> queries,
                                                    const SignalLookupOptions& options) {
  if (options.tmk_candidates < 1) return Status(StatusCode::kInvalidArgument, "tmk_candidates must be at least 1");
  if (!std::isfinite(options.tmk_level1) || !std::isfinite(options.tmk_level2))
    return Status(StatusCode::kInvalidArgument, "TMK thresholds must be finite numbers");
  std::vector<std::optional<TmkFeatures>> tmk(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    const SignalQuery& q = queries[i];
    Status st = check_content_signal(q.signal, q.value);
    if (!st.is_ok()) return query_error(i, st.message());
    const SignalType* s = builtin_signals().find(q.signal);
    if (s->index_family() == IndexFamily::kTmkTwoLevel) {
      auto parsed = parse_tmk(q.value);
      if (!parsed) return query_error(i, parsed.status().message());
      tmk[i] = std::move(parsed).value();
    }
  }
  std::vector<SignalHit> hits;
  // Digests: equality through the store's index, which every commit updates: nothing
  // to refresh, and a removal is seen by the join on contents.
  {
    std::unique_ptr<BankStoreReader> reader;
    for (size_t i = 0; i < queries.size(); ++i) {
      if (!stored_as_digest(queries[i].signal)) continue;
      if (!reader) {
        auto r = impl_->store->begin_read(BankStore::ReadKind::kShort);
        if (!r) return r.status();
        reader = std::move(r).value();
      }
      auto ids = reader->contents_with_digest(queries[i].signal, queries[i].value);
      if (!ids) return ids.status();
      for (int64_t id : *ids) hits.push_back({static_cast<uint32_t>(i), queries[i].signal, id, 1.0});
    }
    if (reader) VHM_RETURN_IF_ERROR(reader->finish());
  }
  // TMK: first cut by level-1 over the resident vectors, then both levels on the
  // candidates' features, read one at a time.
  for (size_t i = 0; i < queries.size(); ++i) {
    if (!tmk[i]) continue;
    const TmkFeatures& query = *tmk[i];
    SignalVectorIndex& index = *impl_->vector_indexes.at(queries[i].signal);
    VHM_RETURN_IF_ERROR(index.sync());
    auto candidates = index.search(query.pure_average, static_cast<float>(options.tmk_level1) - kFirstCutSlack,
                                   options.tmk_candidates);
    if (!candidates) return candidates.status();
    std::map<int64_t, SignalHit> best;  // per content: its best value's hit
    for (const VectorHit& c : *candidates) {
      std::optional<LiveSignalValue> value;
      {
        auto reader = impl_->store->begin_read(BankStore::ReadKind::kShort);
        if (!reader) return reader.status();
        auto v = (*reader)->live_signal_value(c.id);
        if (!v) return v.status();
        value = std::move(v).value();
      }
      if (!value) continue;  // removed since the sync: never returned
      auto bank = parse_tmk(value->value);
      if (!bank)
        return Status(StatusCode::kCorrupt,
                      "damaged bank: the tmk value of content " + std::to_string(value->content_id) +
                          " is no .tmk file: " + bank.status().message(),
                      impl_->dir);
      if (!tmk_check_comparable(*bank, query).is_ok()) continue;  // another algorithm or rate: no match
      const float level1 = tmk_level1_score(*bank, query);
      if (level1 < options.tmk_level1) continue;
      const TmkAlignment a = tmk_level2_alignment(*bank, query);
      if (a.score < options.tmk_level2) continue;
      SignalHit h{static_cast<uint32_t>(i), queries[i].signal, value->content_id, a.score, level1, a.period,
                  a.offset_seconds,         a.offset_frames};
      auto [it, inserted] = best.emplace(value->content_id, h);
      if (!inserted && h.score > it->second.score) it->second = h;
    }
    for (auto& [id, h] : best) hits.push_back(h);
  }
  std::sort(hits.begin(), hits.end(), [](const SignalHit& a, const SignalHit& b) {
    if (a.query != b.query) return a.query < b.query;
    if (a.content_id != b.content_id) return a.content_id < b.content_id;
    return a.signal < b.signal;
  });
  return hits;
}

Result<std::vector<SignalId>> Bank::whole_content_signals_held() {
  std::vector<SignalId> held;
  // The vector indexes first: a sync takes the store's connection, which a reader holds
  // until it finishes.
  for (const auto& [signal, index] : impl_->vector_indexes) {
    VHM_RETURN_IF_ERROR(index->sync());
    if (index->resident_vectors() > 0) held.push_back(signal);
  }
  std::unique_ptr<BankStoreReader> reader;
  for (const SignalType* s : builtin_signals().all()) {
    if (!stored_as_digest(s->id())) continue;
    if (!reader) {
      auto r = impl_->store->begin_read(BankStore::ReadKind::kShort);
      if (!r) return r.status();
      reader = std::move(r).value();
    }
    auto holds = reader->holds_live_digest(s->id());
    if (!holds) return holds.status();
    if (*holds) held.push_back(s->id());
  }
  if (reader) VHM_RETURN_IF_ERROR(reader->finish());
  std::sort(held.begin(), held.end());
  return held;
}

Result<std::vector<ContentSignal>> Bank::content_signals(int64_t id) const {
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kShort);
  if (!reader) return reader.status();
  auto c = (*reader)->find_content(ContentRef::by_id(id));
  if (!c) return c.status();
  std::vector<ContentSignal> signals;
  VHM_RETURN_IF_ERROR((*reader)->read_content_signals(id, signals));
  VHM_RETURN_IF_ERROR((*reader)->finish());
  return signals;
}

Result<std::vector<std::optional<Bank::HeldContent>>> Bank::live_contents(
    std::span<const std::string> external_ids) const {
  // A connection of its own: a page's worth of reads must not hold up a daemon's lookups.
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kLong);
  if (!reader) return reader.status();
  std::vector<std::optional<HeldContent>> held(external_ids.size());
  for (size_t i = 0; i < external_ids.size(); ++i) {
    auto c = (*reader)->find_content(ContentRef::by_external_id(external_ids[i]));
    if (!c) {
      if (c.status().code() == StatusCode::kNotFound) continue;
      return c.status();
    }
    if (c->removed()) continue;
    HeldContent h;
    h.info = std::move(c).value();
    VHM_RETURN_IF_ERROR((*reader)->read_frames(h.info, h.frames));
    VHM_RETURN_IF_ERROR((*reader)->read_content_signals(h.info.id, h.signals));
    held[i] = std::move(h);
  }
  VHM_RETURN_IF_ERROR((*reader)->finish());
  return held;
}

Status Bank::for_each_content_with_signals(bool include_removed,
                                           const std::function<Status(const ContentInfo&, std::span<const FrameHash>,
                                                                      std::span<const ContentSignal>)>& fn) const {
  auto reader = impl_->store->begin_read(BankStore::ReadKind::kLong);
  if (!reader) return reader.status();
  VHM_RETURN_IF_ERROR((*reader)->for_each_content_with_signals(include_removed, fn));
  return (*reader)->finish();
}

}  // namespace vhm
