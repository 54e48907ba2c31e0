#include "match/match_json.h"

#include "core/json_text.h"

namespace vhm {
namespace {

nlohmann::json ranges_json(const std::vector<TimeRange>& ranges) {
  nlohmann::json a = nlohmann::json::array();
  for (const TimeRange& r : ranges) a.push_back({json_seconds(r.start), json_seconds(r.end)});
  return a;
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
  nlohmann::json verdicts = nlohmann::json::array();
  for (const VerdictContent& vc : m.verdicts) {
    const ContentVerdict& v = vc.verdict;
    verdicts.push_back({{"content_id", v.content},
                        {"external_id", vc.external_id},
                        {"label", vc.label},
                        {"signal", vc.signal},
                        {"match", v.match},
                        {"query_match_pct", json_percent(v.query_match_percent)},
                        {"bank_match_pct", json_percent(v.bank_match_percent)},
                        {"best_distance", v.best_distance},
                        {"query_frames_matched", v.query_frames_matched},
                        {"query_frames_considered", v.query_frames_considered},
                        {"content_frames_matched", v.content_frames_matched},
                        {"content_frames_considered", v.content_frames_considered},
                        {"query_ranges", ranges_json(v.query_ranges)},
                        {"content_ranges", ranges_json(v.content_ranges)}});
  }
  j["verdicts"] = std::move(verdicts);
  if (with_hashes) {
    nlohmann::json hashes = nlohmann::json::array();
    for (const QueryFrame& f : m.frames)
      hashes.push_back({{"frame", f.index}, {"pts", json_seconds(f.seconds)}, {"quality", f.quality}, {"pdq", f.hash.to_hex()}});
    j["hashes"] = std::move(hashes);
  }
  return j;
}

nlohmann::json hash_hits_json(int line, const Hash256& hash, const std::vector<HashHit>& hits) {
  nlohmann::json list = nlohmann::json::array();
  for (const HashHit& h : hits)
    list.push_back({{"content_id", h.content},
                    {"external_id", h.external_id},
                    {"label", h.label},
                    {"signal", h.signal},
                    {"distance", h.distance},
                    {"frame", h.frame},
                    {"pts", h.seconds}});
  const bool matched = !list.empty();
  return {{"line", line}, {"pdq", hash.to_hex()}, {"match", matched}, {"hits", std::move(list)}};
}

nlohmann::json hash_error_json(int line, const std::string& error) { return {{"line", line}, {"error", error}}; }

}  // namespace vhm
