#include "match/matcher.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <new>

#include "signal/video_signal_values.h"

namespace vhm {
namespace {

// The frames of a hashed input and the codes searched for them: each frame's own hash
// and, when asked and available, its dihedral variants.
// A frame with bars counts with the quality of the picture inside them: bars add
// strong edges and lift PDQ quality (a blurred frame of quality 20 scores 100 once
// letterboxed), and the content it is compared with is filtered on its own picture's
// quality, so counting the barred quality made such frames unmatchable and cut a
// letterboxed copy's query-match by the share of blurred frames (bench accuracy).

// Bars are searched on both sides or on neither: the bank's frames stored with bars are
// also searched by the picture inside them (an upload that cut the bars away, or
// changed them), unless bar variants are off for this run (`vhm match --no-bars`),
// which then compares frames exactly as hashed on both sides.
LookupOptions lookup_options(const MatchConfig& config) {
  LookupOptions o;
  o.inside_bars = config.hashing.video.crop_bars;
  return o;
}

void frames_and_codes(const InputHash& h, bool dihedral, std::vector<QueryFrame>& frames,
                      std::vector<QueryCode>& codes) {
  if (h.image) {
    frames.push_back(
        {0, 0.0, h.image->has_cropped ? h.image->cropped.quality : h.image->pdq.quality, h.image->pdq.hash});
    codes.push_back({0, FrameVariant::kOriginal, h.image->pdq.hash});
    if (h.image->has_cropped) codes.push_back({0, FrameVariant::kInsideBars, h.image->cropped.hash});
    if (dihedral) {
      const PdqDihedralHashes d = pdq_dihedral_from_dct(h.image->dct);
      for (int k = 1; k < kDihedralCount; ++k)
        codes.push_back({0, frame_variant_of(static_cast<Dihedral>(k)), d.hashes[k]});
    }
    return;
  }
  if (!h.video) return;
  for (const FrameHash& f : h.video->frames) {
    const auto pos = static_cast<uint32_t>(frames.size());
    frames.push_back({f.index, f.pts_seconds, f.has_cropped ? f.cropped_quality : f.quality, f.hash});
    codes.push_back({pos, FrameVariant::kOriginal, f.hash});
    if (f.has_cropped) codes.push_back({pos, FrameVariant::kInsideBars, f.cropped});
    // FrameHash::dihedral holds rotate90 .. flipminus1 (Dihedral 1..7), in order.
    if (dihedral)
      for (size_t k = 0; k < f.dihedral.size() && k + 1 < kDihedralCount; ++k)
        codes.push_back({pos, frame_variant_of(static_cast<Dihedral>(k + 1)), f.dihedral[k]});
  }
}

}  // namespace

const char* match_failure_name(MatchFailure failure) {
  switch (failure) {
    case MatchFailure::kNone:
      return "none";
    case MatchFailure::kHashing:
      return "hashing";
    case MatchFailure::kLookup:
      return "lookup";
  }
  return "?";
}

// An input fails alone, whatever the lookup throws (bad_alloc on a flood of hits): its
// error, never an exception in the batch's worker thread or the daemon's. `m.failure`
// says which step was running when it was thrown.
InputMatch Matcher::match_input(const Input& input) const {
  InputMatch m;
  m.failure = MatchFailure::kHashing;
  try {
    match_input_unguarded(input, m);
  } catch (const std::exception& e) {
    const MatchFailure step = m.failure;
    m = InputMatch{};
    m.hashed.input = input;
    m.hashed.input.bytes = {};
    m.failure = step;
    m.status = Status(dynamic_cast<const std::bad_alloc*>(&e) ? StatusCode::kLimitExceeded : StatusCode::kInternal,
                      std::string("matching failed: ") + e.what(), input.url);
    if (step == MatchFailure::kHashing) m.hashed.status = m.status;
  }
  return m;
}

// Fills `m`, whose `failure` names the step running now: kHashing on entry, kLookup once
// the input is hashed, kNone when everything succeeded.
void Matcher::match_input_unguarded(const Input& input, InputMatch& m) const {
  // The whole-content signals worth computing for this input: those the bank can match
  // now. Asking is the bank's step: its failure is the lookup's, not the input's.
  m.failure = MatchFailure::kLookup;
  auto held = bank_.whole_content_signals_held();
  if (!held) {
    m.status = held.status().with_subject(input.url);
    return;
  }
  m.failure = MatchFailure::kHashing;
  InputHashConfig hashing = config_.hashing;
  for (SignalId s : *held) {
    if (s == SignalId::kVideoSha256) hashing.video.compute_sha256 = true;
    // TMK needs every frame decoded: a keyframes query then decodes them all (PDQ still
    // hashes the key frames), so a bank of exchange TMKs is never silently unmatched.
    if (s == SignalId::kTmk && config_.tmk) hashing.video.compute_tmk = true;
  }
  m.hashed = hash_input(input, hashing);
  if (!m.hashed.status.is_ok()) {
    m.status = m.hashed.status;
    return;
  }
  m.failure = MatchFailure::kLookup;
  std::vector<QueryCode> codes;
  frames_and_codes(m.hashed, config_.dihedral, m.frames, codes);
  m.codes_searched = codes.size();
  std::vector<Hash256> queries;
  queries.reserve(codes.size());
  for (const QueryCode& c : codes) queries.push_back(c.hash);

  const auto started = std::chrono::steady_clock::now();
  auto hits = bank_.lookup(queries, config_.thresholds.distance, lookup_options(config_));
  if (!hits) {
    m.status = hits.status().with_subject(input.url);
    return;
  }
  std::vector<MatchHit> match_hits;
  match_hits.reserve(hits->size());
  // A content's hits all come from one signal's index (PDQ, the only one the matcher
  // hashes queries for today); the verdict names it.
  std::map<int64_t, SignalId> signal_of;
  for (const BankHit& b : *hits) {
    match_hits.push_back({b.query, b.content_id, static_cast<uint32_t>(b.frame_ordinal), b.distance});
    signal_of.emplace(b.content_id, b.signal);
  }

  // Each hit content's frames and facts, read once.
  std::map<int64_t, MatchContent> contents;
  std::map<int64_t, ContentInfo> infos;
  Status failure;
  for (const MatchHit& h : match_hits) {
    if (contents.count(h.content)) continue;
    auto info = bank_.content(h.content);
    auto frames = bank_.content_frames(h.content);
    if (!info || !frames) {
      failure = !info ? info.status() : frames.status();
      break;
    }
    MatchContent& c = contents[h.content];
    c.id = h.content;
    c.single_image = info->meta.kind == ContentKind::kImage;
    for (const FrameHash& f : *frames) c.frames.push_back({f.index, f.pts_seconds, f.quality, f.hash});
    infos[h.content] = std::move(info).value();
  }
  if (!failure.is_ok()) {
    m.status = failure.with_subject(input.url);
    return;
  }
  const auto verdicts = compute_verdicts(
      m.frames, codes, match_hits, [&](int64_t id) -> const MatchContent& { return contents.at(id); },
      config_.thresholds);
  m.signals_searched.push_back(SignalId::kPdq);
  for (const ContentVerdict& v : verdicts) {
    const ContentInfo& info = infos.at(v.content);
    m.verdicts.push_back({v, info.meta.external_id, info.meta.label, info.meta.kind, signal_of.at(v.content)});
  }
  if (m.hashed.video) {
    const Status st = match_whole_content(*m.hashed.video, *held, m);
    if (!st.is_ok()) {
      m.status = st.with_subject(input.url);
      return;
    }
  }
  m.lookup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  m.failure = MatchFailure::kNone;
}

Status Matcher::match_whole_content(const VideoHash& video, std::span<const SignalId> held, InputMatch& m) const {
  const auto holds = [&](SignalId s) { return std::find(held.begin(), held.end(), s) != held.end(); };
  std::vector<SignalValue> values;
  for (SignalValue& v : video_signal_values(video))
    if (holds(v.signal)) values.push_back(std::move(v));
  if (values.empty()) return Status::ok();
  std::vector<SignalQuery> queries;
  for (const SignalValue& v : values) {
    queries.push_back({v.signal, v.value});
    m.signals_searched.push_back(v.signal);
  }
  auto hits = match_signal_values(queries);
  if (!hits) return hits.status();
  // Per query in SignalId order (digests before TMK), each by content id.
  std::vector<VerdictContent> whole;
  for (const std::vector<HashHit>& of_query : *hits) {
    for (const HashHit& h : of_query) {
      ContentVerdict v;
      v.content = h.content;
      v.match = true;
      whole.push_back({v, h.external_id, h.label, h.kind, h.signal, h.whole_content});
    }
  }
  m.verdicts.insert(m.verdicts.begin(), whole.begin(), whole.end());
  return Status::ok();
}

Result<std::vector<std::vector<HashHit>>> Matcher::match_hashes(std::span<const Hash256> hashes) const {
  auto hits = bank_.lookup(hashes, config_.thresholds.distance, lookup_options(config_));
  if (!hits) return hits.status();
  std::vector<std::vector<HashHit>> out(hashes.size());
  std::map<int64_t, std::pair<ContentInfo, std::vector<FrameHash>>> cache;
  for (const BankHit& b : *hits) {
    auto it = cache.find(b.content_id);
    if (it == cache.end()) {
      auto info = bank_.content(b.content_id);
      if (!info) return info.status();
      auto frames = bank_.content_frames(b.content_id);
      if (!frames) return frames.status();
      it = cache.emplace(b.content_id, std::make_pair(std::move(info).value(), std::move(frames).value())).first;
    }
    const auto& [info, frames] = it->second;
    const FrameHash& f = frames.at(b.frame_ordinal);
    out[b.query].push_back({b.content_id, info.meta.external_id, info.meta.label, info.meta.kind, b.signal, b.distance,
                            f.index, f.pts_seconds});
  }
  for (auto& list : out)
    std::stable_sort(list.begin(), list.end(),
                     [](const HashHit& a, const HashHit& b) { return a.distance < b.distance; });
  return out;
}

Result<std::vector<std::vector<HashHit>>> Matcher::match_signal_values(std::span<const SignalQuery> values) const {
  auto hits = bank_.lookup_signals(values, config_.signal_lookup);
  if (!hits) return hits.status();
  std::vector<std::vector<HashHit>> out(values.size());
  std::map<int64_t, ContentInfo> infos;
  for (const SignalHit& h : *hits) {
    auto it = infos.find(h.content_id);
    if (it == infos.end()) {
      auto info = bank_.content(h.content_id);
      if (!info) return info.status();
      it = infos.emplace(h.content_id, std::move(info).value()).first;
    }
    const ContentMeta& meta = it->second.meta;
    HashHit hit{h.content_id, meta.external_id, meta.label, meta.kind, h.signal};
    hit.whole_content = h;
    out[h.query].push_back(std::move(hit));
  }
  return out;
}

Result<HashListHits> Matcher::match_hash_list(const HashList& list) const {
  HashListHits out;
  if (!list.hashes.empty()) {
    auto pdq = match_hashes(list.hashes);
    if (!pdq) return pdq.status();
    out.pdq = std::move(pdq).value();
  }
  if (!list.signals.empty()) {
    std::vector<SignalQuery> queries;
    for (const ListedSignal& s : list.signals) queries.push_back({s.signal, s.value});
    auto signals = match_signal_values(queries);
    if (!signals) return signals.status();
    out.signals = std::move(signals).value();
  }
  return out;
}

}  // namespace vhm
