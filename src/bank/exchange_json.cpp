// The exchanges' JSON lists (bank/exchange_formats.h): ThreatExchange descriptors,
// StopNCII FetchHashes pages, TCAP hash lists.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "bank/exchange_detail.h"
#include "bank/exchange_formats.h"
#include "core/json_text.h"

namespace vhm {

using namespace exchange_detail;

namespace {

Result<nlohmann::json> parse_document(std::string_view text, const std::string& name) {
  auto parsed = parse_json_text(text);
  if (!parsed) return Status(StatusCode::kCorrupt, "not JSON: " + parsed.status().message(), name);
  return parsed;
}

// j[key] as a string ("" when absent or null); numbers (Graph API ids) as their digits.
Result<std::string> string_field(const nlohmann::json& j, const char* key, const std::string& name,
                                 const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return std::string();
  if (j[key].is_string()) return j[key].get<std::string>();
  if (j[key].is_number_integer()) return std::to_string(j[key].get<int64_t>());
  return record_error(name, where, std::string("\"") + key + "\" must be a string");
}

bool true_field(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

// Graph API tags: ["a", "b"] or {"data": [{"text": "a"}, ...]}.
void collect_tags(const nlohmann::json& tags, std::vector<std::string>& out) {
  const nlohmann::json* arr = &tags;
  if (tags.is_object() && tags.contains("data")) arr = &tags["data"];
  if (!arr->is_array()) return;
  for (const auto& t : *arr) {
    if (t.is_string()) out.push_back(t.get<std::string>());
    if (t.is_object() && t.contains("text") && t["text"].is_string()) out.push_back(t["text"].get<std::string>());
  }
}

// A stable short name for a long value (FNV-1a, 64 bits): the same on every machine.
std::string fnv1a_hex(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

Result<ExchangeList> parse_threatexchange_json(std::string_view text, const std::string& name, BadRecords bad_records) {
  auto doc = parse_document(text, name);
  if (!doc) return doc.status();
  const nlohmann::json* data = &*doc;
  if (doc->is_object() && doc->contains("data")) data = &(*doc)["data"];
  if (!data->is_array()) return Status(StatusCode::kCorrupt, "expected {\"data\": [descriptors]}", name);
  ExchangeList list;
  const auto one = [&](size_t i) -> Status {
    const auto& d = (*data)[i];
    const std::string where = record_at(i);
    if (!d.is_object()) return record_error(name, where, "a descriptor must be an object");
    const nlohmann::json* indicator = d.contains("indicator") && d["indicator"].is_object() ? &d["indicator"] : &d;
    auto type = string_field(d, "type", name, where);
    if (!type) return type.status();
    if (type->empty()) type = string_field(*indicator, "type", name, where);
    if (!type) return type.status();
    auto value = string_field(*indicator, "indicator", name, where);
    if (!value) return value.status();
    if (value->empty()) value = string_field(d, "raw_indicator", name, where);
    if (!value) return value.status();
    auto media = string_field(d, "media_type", name, where);
    if (!media) return media.status();
    std::vector<std::string> tags;
    if (d.contains("tags")) collect_tags(d["tags"], tags);
    bool video_tag = lower(*media) == "video";
    for (const auto& t : tags) video_tag = video_tag || lower(t) == "media_type_video";
    ExchangeRecord r;
    if (*type == "HASH_PDQ") r.signal = ExchangeSignal::kPdq;
    else if (*type == "HASH_VIDEO_MD5" || (*type == "HASH_MD5" && video_tag)) r.signal = ExchangeSignal::kVideoMd5;
    else if (*type == "HASH_TMK") r.signal = ExchangeSignal::kTmk;
    else {
      note_unknown(list, where, type->empty() ? std::string_view("(none)") : std::string_view(*type));
      return Status::ok();
    }
    Status st = set_value(r, *value);
    if (!st.is_ok()) return record_error(name, where, st.message());
    auto id = string_field(d, "id", name, where);
    if (!id) return id.status();
    if (!id->empty()) r.external_id = "te:" + *id;
    r.labels = std::move(tags);
    auto status = string_field(d, "status", name, where);
    if (!status) return status.status();
    // threat_updates marks a tombstone should_delete; descriptors say deleted or expired.
    r.deleted = true_field(d, "should_delete") || true_field(d, "deleted") || true_field(d, "is_expired") ||
                lower(*status) == "deleted" || lower(*status) == "expired";
    list.records.push_back(std::move(r));
    return Status::ok();
  };
  for (size_t i = 0; i < data->size(); ++i) VHM_RETURN_IF_ERROR(keep_or_skip(one(i), bad_records, list));
  return list;
}

Result<ExchangeList> parse_stopncii_page(std::string_view text, const std::string& name, BadRecords bad_records) {
  auto doc = parse_document(text, name);
  if (!doc) return doc.status();
  if (!doc->is_object() || !doc->contains("hashRecords") || !(*doc)["hashRecords"].is_array())
    return Status(StatusCode::kCorrupt, "expected {\"hashRecords\": [...]}", name);
  ExchangeList list;
  auto token = string_field(*doc, "nextPageToken", name, "page");
  if (!token) return token.status();
  list.next_page_token = *token;
  list.has_more_records = true_field(*doc, "hasMoreRecords");
  if (doc->contains("nextSetTimestamp") && (*doc)["nextSetTimestamp"].is_number_integer())
    list.next_set_timestamp = (*doc)["nextSetTimestamp"].get<int64_t>();
  const auto& records = (*doc)["hashRecords"];
  const auto one = [&](size_t i) -> Status {
    const auto& h = records[i];
    const std::string where = record_at(i);
    if (!h.is_object()) return record_error(name, where, "a hash record must be an object");
    auto type = string_field(h, "signalType", name, where);
    if (!type) return type.status();
    ExchangeRecord r;
    if (*type == "ImagePDQ") r.signal = ExchangeSignal::kPdq;
    else if (*type == "VideoMD5") r.signal = ExchangeSignal::kVideoMd5;
    else if (*type == "VideoTMK") r.signal = ExchangeSignal::kTmk;
    else {
      note_unknown(list, where, *type);
      return Status::ok();
    }
    auto value = string_field(h, "hashValue", name, where);
    if (!value) return value.status();
    Status st = set_value(r, *value);
    if (!st.is_ok()) return record_error(name, where, st.message());
    // StopNCII gives a hash no id of its own: the hash is its identity.
    r.external_id = "stopncii:" + *value;
    if (r.signal == ExchangeSignal::kTmk) r.external_id = "stopncii:tmk:" + fnv1a_hex(*value);  // too long to be an id
    // python-threatexchange's StopNCIICaseStatus: Received, Active, and the two a client
    // deletes, Withdrawn and Deleted.
    const auto withdrawn = [](const std::string& s) { return lower(s) == "withdrawn" || lower(s) == "deleted"; };
    // caseNumbers: each case behind the hash and its status. When every case is
    // withdrawn the hash is, whatever the aggregate hashStatus still says.
    bool every_case_withdrawn = false;
    if (h.contains("caseNumbers") && h["caseNumbers"].is_object() && !h["caseNumbers"].empty()) {
      every_case_withdrawn = true;
      for (const auto& [case_number, case_status] : h["caseNumbers"].items()) {
        const std::string s = case_status.is_string() ? case_status.get<std::string>() : std::string();
        if (!s.empty()) r.labels.push_back(case_number + ":" + s);
        every_case_withdrawn = every_case_withdrawn && withdrawn(s);
      }
    }
    auto status = string_field(h, "hashStatus", name, where);
    if (!status) return status.status();
    r.deleted = withdrawn(*status) || every_case_withdrawn;
    list.records.push_back(std::move(r));
    return Status::ok();
  };
  for (size_t i = 0; i < records.size(); ++i) VHM_RETURN_IF_ERROR(keep_or_skip(one(i), bad_records, list));
  return list;
}

Result<ExchangeList> parse_tcap_list(std::string_view text, const std::string& name, BadRecords bad_records) {
  auto doc = parse_document(text, name);
  if (!doc) return doc.status();
  if (!doc->is_object() || !doc->contains("results") || !(*doc)["results"].is_array())
    return Status(StatusCode::kCorrupt, "expected {\"results\": [...]}", name);
  ExchangeList list;
  const auto& results = (*doc)["results"];
  const auto one = [&](size_t i) -> Status {
    const auto& h = results[i];
    const std::string where = record_at(i);
    if (!h.is_object()) return record_error(name, where, "a result must be an object");
    auto algorithm = string_field(h, "algorithm", name, where);
    if (!algorithm) return algorithm.status();
    const std::string a = lower(*algorithm);
    ExchangeRecord r;
    if (a == "pdq") r.signal = ExchangeSignal::kPdq;
    else if (a == "md5") r.signal = ExchangeSignal::kVideoMd5;
    else if (a == "sha256") r.signal = ExchangeSignal::kVideoSha256;
    else {
      note_unknown(list, where, *algorithm);
      return Status::ok();
    }
    auto digest = string_field(h, "hash_digest", name, where);
    if (!digest) return digest.status();
    Status st = set_value(r, *digest);
    if (!st.is_ok()) return record_error(name, where, st.message());
    r.external_id = "tcap:" + lower(*digest);
    r.deleted = true_field(h, "deleted");
    list.records.push_back(std::move(r));
    return Status::ok();
  };
  for (size_t i = 0; i < results.size(); ++i) VHM_RETURN_IF_ERROR(keep_or_skip(one(i), bad_records, list));
  return list;
}

// ---- writers: the hashing side of an exchange

namespace {

// The exchange's word for a record's signal, or null where it has none (vPDQ, SHA-256).
const char* stopncii_type(ExchangeSignal signal) {
  switch (signal) {
    case ExchangeSignal::kPdq:
      return "ImagePDQ";
    case ExchangeSignal::kVideoMd5:
      return "VideoMD5";
    case ExchangeSignal::kTmk:
      return "VideoTMK";
    default:
      return nullptr;
  }
}

const char* threatexchange_type(ExchangeSignal signal) {
  switch (signal) {
    case ExchangeSignal::kPdq:
      return "HASH_PDQ";
    case ExchangeSignal::kVideoMd5:
      return "HASH_VIDEO_MD5";
    case ExchangeSignal::kTmk:
      return "HASH_TMK";
    default:
      return nullptr;
  }
}

}  // namespace

namespace {

// One document: each record the exchange has a type for as {type_key: its type,
// value_key: its signal string}, in order; the others counted.
ExchangeDocument exchange_document(std::span<const ExchangeRecord> records, const char* (*type_of)(ExchangeSignal),
                                   const char* type_key, const char* value_key, nlohmann::json& list) {
  ExchangeDocument out;
  list = nlohmann::json::array();
  for (const ExchangeRecord& r : records) {
    const char* type = type_of(r.signal);
    if (!type) {
      ++out.records_left_out;
      continue;
    }
    list.push_back({{type_key, type}, {value_key, te_signal_string(r)}});
  }
  return out;
}

}  // namespace

ExchangeDocument stopncii_hashes_json(std::span<const ExchangeRecord> records) {
  nlohmann::json list;
  ExchangeDocument out = exchange_document(records, stopncii_type, "signalType", "hashValue", list);
  out.document = {{"count", list.size()}, {"hashRecords", std::move(list)}};
  return out;
}

ExchangeDocument threatexchange_descriptors_json(std::span<const ExchangeRecord> records) {
  nlohmann::json list;
  ExchangeDocument out = exchange_document(records, threatexchange_type, "type", "raw_indicator", list);
  out.document = {{"data", std::move(list)}};
  return out;
}

}  // namespace vhm
