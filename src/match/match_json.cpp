#include "match/match_json.h"

#include "core/json_text.h"
#include "signal/signal_registry.h"

namespace vhm {
namespace {

nlohmann::json ranges_json(const std::vector<TimeRange>& ranges) {
  nlohmann::json a = nlohmann::json::array();
  for (const TimeRange& r : ranges) a.push_back({json_seconds(r.start), json_seconds(r.end)});
  return a;
}

// What a whole-content signal's hit says beyond its content: TMK's levels and
// alignment (a digest's says nothing more).
void add_whole_content_fields(const SignalHit& h, nlohmann::json& j) {
  if (builtin_signals().find(h.signal)->index_family() != IndexFamily::kTmkTwoLevel) return;
  j["level1"] = json_score(h.level1);
  j["level2"] = json_score(h.score);
  j["period"] = h.period;
  j["offset_frames"] = h.offset_frames;
  j["offset_s"] = json_seconds(h.offset_seconds);
}

// A verdict: what every signal's has, then its signal's own: vPDQ's percentages and
// ranges, TMK's levels and alignment (a digest's match says all there is).
nlohmann::json verdict_json(const VerdictContent& vc) {
  const ContentVerdict& v = vc.verdict;
  nlohmann::json j{{"content_id", v.content},
                   {"external_id", vc.external_id},
                   {"label", vc.label},
                   {"content_kind", content_kind_name(vc.kind)},
                   {"signal", signal_name(vc.signal)},
                   {"match", v.match}};
  if (vc.whole_content) {
    add_whole_content_fields(*vc.whole_content, j);
    return j;
  }
  j["query_match_pct"] = json_percent(v.query_match_percent);
  j["bank_match_pct"] = json_percent(v.bank_match_percent);
  j["best_distance"] = v.best_distance;
  j["query_frames_matched"] = v.query_frames_matched;
  j["query_frames_considered"] = v.query_frames_considered;
  j["content_frames_matched"] = v.content_frames_matched;
  j["content_frames_considered"] = v.content_frames_considered;
  j["query_ranges"] = ranges_json(v.query_ranges);
  j["content_ranges"] = ranges_json(v.content_ranges);
  return j;
}

// ---- reading back: each field of the shape, by type, or the reason it is not there.

Status field_error(const std::string& key, const char* want) {
  return {StatusCode::kCorrupt, "field \"" + key + "\" is missing or not " + want};
}

template <typename T>
Status read_number(const nlohmann::json& j, const std::string& key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return field_error(key, "a number");
  out = it->get<T>();
  return Status::ok();
}

Status read_bool(const nlohmann::json& j, const std::string& key, bool& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return field_error(key, "true or false");
  out = it->get<bool>();
  return Status::ok();
}

Status read_string(const nlohmann::json& j, const std::string& key, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return field_error(key, "a string");
  out = it->get<std::string>();
  return Status::ok();
}

Status read_kind_and_signal(const nlohmann::json& j, ContentKind& kind, SignalId& signal) {
  std::string text;
  VHM_RETURN_IF_ERROR(read_string(j, "content_kind", text));
  const auto k = parse_content_kind(text);
  if (!k) return {StatusCode::kCorrupt, "unknown content_kind \"" + text + "\""};
  kind = *k;
  VHM_RETURN_IF_ERROR(read_string(j, "signal", text));
  const auto s = parse_signal_name(text);
  if (!s) return {StatusCode::kCorrupt, "unknown signal \"" + text + "\""};
  signal = *s;
  return Status::ok();
}

Status read_ranges(const nlohmann::json& j, const std::string& key, std::vector<TimeRange>& out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return field_error(key, "an array");
  for (const nlohmann::json& r : *it) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number())
      return field_error(key, "an array of [start, end] pairs");
    out.push_back({r[0].get<double>(), r[1].get<double>()});
  }
  return Status::ok();
}

bool is_whole_content(SignalId signal) {
  return builtin_signals().find(signal)->index_family() != IndexFamily::kHamming256;
}

// add_whole_content_fields' reader: the hit of `signal` on content `content`.
Status read_whole_content_fields(const nlohmann::json& j, SignalId signal, int64_t content, SignalHit& h) {
  h.signal = signal;
  h.content_id = content;
  h.score = 1.0;
  if (builtin_signals().find(signal)->index_family() != IndexFamily::kTmkTwoLevel) return Status::ok();
  VHM_RETURN_IF_ERROR(read_number(j, "level1", h.level1));
  VHM_RETURN_IF_ERROR(read_number(j, "level2", h.score));
  VHM_RETURN_IF_ERROR(read_number(j, "period", h.period));
  VHM_RETURN_IF_ERROR(read_number(j, "offset_frames", h.offset_frames));
  return read_number(j, "offset_s", h.offset_seconds);
}

Result<VerdictContent> verdict_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Status(StatusCode::kCorrupt, "a verdict is a JSON object");
  VerdictContent vc;
  ContentVerdict& v = vc.verdict;
  VHM_RETURN_IF_ERROR(read_number(j, "content_id", v.content));
  VHM_RETURN_IF_ERROR(read_string(j, "external_id", vc.external_id));
  VHM_RETURN_IF_ERROR(read_string(j, "label", vc.label));
  VHM_RETURN_IF_ERROR(read_kind_and_signal(j, vc.kind, vc.signal));
  v.single_image = vc.kind == ContentKind::kImage;
  VHM_RETURN_IF_ERROR(read_bool(j, "match", v.match));
  if (is_whole_content(vc.signal)) {
    VHM_RETURN_IF_ERROR(read_whole_content_fields(j, vc.signal, v.content, vc.whole_content.emplace()));
    return vc;
  }
  VHM_RETURN_IF_ERROR(read_number(j, "query_match_pct", v.query_match_percent));
  VHM_RETURN_IF_ERROR(read_number(j, "bank_match_pct", v.bank_match_percent));
  VHM_RETURN_IF_ERROR(read_number(j, "best_distance", v.best_distance));
  VHM_RETURN_IF_ERROR(read_number(j, "query_frames_matched", v.query_frames_matched));
  VHM_RETURN_IF_ERROR(read_number(j, "query_frames_considered", v.query_frames_considered));
  VHM_RETURN_IF_ERROR(read_number(j, "content_frames_matched", v.content_frames_matched));
  VHM_RETURN_IF_ERROR(read_number(j, "content_frames_considered", v.content_frames_considered));
  VHM_RETURN_IF_ERROR(read_ranges(j, "query_ranges", v.query_ranges));
  VHM_RETURN_IF_ERROR(read_ranges(j, "content_ranges", v.content_ranges));
  return vc;
}

}  // namespace

nlohmann::json match_json(const InputMatch& m, bool with_hashes) {
  nlohmann::json j{{"path", m.hashed.input.url}};
  if (!m.ok()) {
    j["error"] = m.status.message();
    j["code"] = status_code_name(m.status.code());
    j["failed"] = match_failure_name(m.failure);  // "hashing": the input's fault; "lookup": the bank's
    return j;
  }
  j["type"] = m.hashed.image ? "image" : "video";
  j["match"] = m.matched();
  j["frames"] = m.frames.size();
  j["codes_searched"] = m.codes_searched;
  j["hash_s"] = json_seconds(m.hashed.image ? m.hashed.image->elapsed_seconds : m.hashed.video->elapsed_seconds);
  j["lookup_s"] = json_seconds(m.lookup_seconds);
  if (m.hashed.video && !m.hashed.video->md5_hex.empty()) j["md5"] = m.hashed.video->md5_hex;
  if (m.hashed.video && !m.hashed.video->sha256_hex.empty()) j["sha256"] = m.hashed.video->sha256_hex;
  nlohmann::json searched = nlohmann::json::array();
  for (SignalId s : m.signals_searched) searched.push_back(signal_name(s));
  j["signals_searched"] = std::move(searched);
  nlohmann::json verdicts = nlohmann::json::array();
  for (const VerdictContent& vc : m.verdicts) verdicts.push_back(verdict_json(vc));
  j["verdicts"] = std::move(verdicts);
  if (with_hashes) {
    nlohmann::json hashes = nlohmann::json::array();
    for (const QueryFrame& f : m.frames)
      hashes.push_back(
          {{"frame", f.index}, {"pts", json_seconds(f.seconds)}, {"quality", f.quality}, {"pdq", f.hash.to_hex()}});
    j["hashes"] = std::move(hashes);
  }
  return j;
}

namespace {

nlohmann::json hits_json(const std::vector<HashHit>& hits) {
  nlohmann::json list = nlohmann::json::array();
  for (const HashHit& h : hits) {
    nlohmann::json j{{"content_id", h.content},
                     {"external_id", h.external_id},
                     {"label", h.label},
                     {"content_kind", content_kind_name(h.kind)},
                     {"signal", signal_name(h.signal)}};
    if (h.whole_content) {
      add_whole_content_fields(*h.whole_content, j);
    } else {
      j["distance"] = h.distance;
      j["frame"] = h.frame;
      j["pts"] = h.seconds;
    }
    list.push_back(std::move(j));
  }
  return list;
}

}  // namespace

nlohmann::json hash_hits_json(int line, const Hash256& hash, const std::vector<HashHit>& hits) {
  return {{"line", line}, {"pdq", hash.to_hex()}, {"match", !hits.empty()}, {"hits", hits_json(hits)}};
}

nlohmann::json signal_hits_json(const ListedSignal& listed, const std::vector<HashHit>& hits) {
  nlohmann::json j{{"line", listed.line}, {"signal", signal_name(listed.signal)}};
  // A digest is short enough to say back; a TMK (350 KB of text) is the caller's own.
  if (is_whole_content(listed.signal) && listed.signal != SignalId::kTmk)
    j["value"] = builtin_signals().find(listed.signal)->format_value(listed.value);
  j["match"] = !hits.empty();
  j["hits"] = hits_json(hits);
  return j;
}

std::vector<nlohmann::json> hash_list_json(const HashList& list, const HashListHits& hits) {
  std::vector<nlohmann::json> out;
  out.reserve(list.entries());
  size_t p = 0, s = 0;  // both lists rise by line: merged
  while (p < list.hashes.size() || s < list.signals.size()) {
    if (s == list.signals.size() || (p < list.hashes.size() && list.lines[p] < list.signals[s].line)) {
      out.push_back(hash_hits_json(list.lines[p], list.hashes[p], hits.pdq.at(p)));
      ++p;
    } else {
      out.push_back(signal_hits_json(list.signals[s], hits.signals.at(s)));
      ++s;
    }
  }
  return out;
}

nlohmann::json hash_error_json(int line, const std::string& error) { return {{"line", line}, {"error", error}}; }

Result<std::vector<VerdictContent>> verdicts_from_json(const nlohmann::json& input_result) {
  if (!input_result.is_object()) return Status(StatusCode::kCorrupt, "an input's result is a JSON object");
  const auto it = input_result.find("verdicts");
  if (it == input_result.end() || !it->is_array()) return field_error("verdicts", "an array");
  std::vector<VerdictContent> out;
  for (const nlohmann::json& v : *it) {
    auto vc = verdict_from_json(v);
    if (!vc) return vc.status();
    out.push_back(std::move(vc).value());
  }
  return out;
}

Result<std::vector<HashHit>> hash_hits_from_json(const nlohmann::json& hash_result) {
  if (!hash_result.is_object()) return Status(StatusCode::kCorrupt, "a hash's result is a JSON object");
  const auto it = hash_result.find("hits");
  if (it == hash_result.end() || !it->is_array()) return field_error("hits", "an array");
  std::vector<HashHit> out;
  for (const nlohmann::json& j : *it) {
    if (!j.is_object()) return Status(StatusCode::kCorrupt, "a hit is a JSON object");
    HashHit h;
    VHM_RETURN_IF_ERROR(read_number(j, "content_id", h.content));
    VHM_RETURN_IF_ERROR(read_string(j, "external_id", h.external_id));
    VHM_RETURN_IF_ERROR(read_string(j, "label", h.label));
    VHM_RETURN_IF_ERROR(read_kind_and_signal(j, h.kind, h.signal));
    if (is_whole_content(h.signal)) {
      VHM_RETURN_IF_ERROR(read_whole_content_fields(j, h.signal, h.content, h.whole_content.emplace()));
      out.push_back(std::move(h));
      continue;
    }
    VHM_RETURN_IF_ERROR(read_number(j, "distance", h.distance));
    VHM_RETURN_IF_ERROR(read_number(j, "frame", h.frame));
    VHM_RETURN_IF_ERROR(read_number(j, "pts", h.seconds));
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace vhm
