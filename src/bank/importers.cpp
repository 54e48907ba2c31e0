#include "bank/importers.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_set>

#include "bank/exchange_detail.h"
#include "bank/signal_json.h"
#include "core/json_text.h"
#include "decode/media_policy.h"
#include "hash/vpdq_format.h"
#include "pipeline/inputs.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

Status line_error(const std::string& name, size_t line, const std::string& what) {
  return {StatusCode::kCorrupt, "line " + std::to_string(line) + ": " + what, name};
}

// The quoting and trimming every reader of a hash list uses (exchange_detail.h).
using exchange_detail::shown;
using exchange_detail::trim;

// Calls fn(line_number, line) for each line (line ends "\n" or "\r\n").
template <typename Fn>
Status for_each_line(std::string_view text, Fn&& fn) {
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    VHM_RETURN_IF_ERROR(fn(line_no, line));
  }
  return Status::ok();
}

bool looks_like_hex_hash(std::string_view s) { return Hash256::from_hex(s).has_value(); }

// A hash file, read whole: a regular file (a FIFO or a device named as one would block
// or never end), through the same checked open as media (decode/media_policy.h).
Result<std::string> read_text(const std::string& path) {
  auto file = open_regular_file(path, 0);
  if (!file) return file.status();
  auto bytes = read_opened_file(*file, path, 0);
  if (!bytes) return bytes.status();
  return std::string(bytes->begin(), bytes->end());
}

// A JSON record's frame list or single hash, checked field by field.
// allow_none: the record carries whole-content signals, so no frames is no error.
Status json_frames(const nlohmann::json& j, const std::string& name, size_t line_no, std::vector<FrameHash>& frames,
                   bool allow_none) {
  auto field_error = [&](const std::string& what) { return line_error(name, line_no, what); };
  auto get_hash = [&](const nlohmann::json& v, const std::string& where, Hash256& out,
                      const char* key = "pdq") -> Status {
    if (!v.is_string()) return field_error(where + ": \"" + key + "\" must be a string of 64 hex digits");
    const auto h = Hash256::from_hex(v.get<std::string>());
    if (!h) return field_error(where + ": bad PDQ hash " + shown(v.get<std::string>()) + " (expected 64 hex digits)");
    out = *h;
    return Status::ok();
  };
  // obj[key] as a quality 0..100, `fallback` when absent.
  auto get_quality_key = [&](const nlohmann::json& obj, const char* key, const std::string& where, int fallback,
                             int& out) -> Status {
    if (!obj.contains(key) || obj[key].is_null()) {
      out = fallback;
      return Status::ok();
    }
    const auto& q = obj[key];
    if (!q.is_number_integer() || q.get<int64_t>() < 0 || q.get<int64_t>() > 100)
      return field_error(where + ": \"" + key + "\" must be an integer 0..100");
    out = q.get<int>();
    return Status::ok();
  };
  auto get_quality = [&](const nlohmann::json& obj, const std::string& where, int& out) -> Status {
    return get_quality_key(obj, "quality", where, 100, out);  // hash lists often carry no quality: count the frame
  };
  // The picture inside the bars, where given: "pdq_inside_bars" as 64 hex digits with
  // "quality_inside_bars" beside it (a video frame), or as {"pdq", "quality"} (an image,
  // as `vhm hash --bars` writes one). Without a quality (vhm hash before it wrote one)
  // the frame's own quality stands in: the best estimate there is.
  auto get_inside_bars = [&](const nlohmann::json& obj, const std::string& where, FrameHash& f) -> Status {
    if (!obj.contains("pdq_inside_bars") || obj["pdq_inside_bars"].is_null()) return Status::ok();
    const auto& v = obj["pdq_inside_bars"];
    if (v.is_object()) {
      if (!v.contains("pdq")) return field_error(where + ": \"pdq_inside_bars\" has no \"pdq\"");
      VHM_RETURN_IF_ERROR(get_hash(v["pdq"], where + ": \"pdq_inside_bars\"", f.cropped));
      VHM_RETURN_IF_ERROR(get_quality_key(v, "quality", where + ": \"pdq_inside_bars\"", f.quality, f.cropped_quality));
    } else {
      VHM_RETURN_IF_ERROR(get_hash(v, where, f.cropped, "pdq_inside_bars"));
      VHM_RETURN_IF_ERROR(get_quality_key(obj, "quality_inside_bars", where, f.quality, f.cropped_quality));
    }
    f.has_cropped = true;
    return Status::ok();
  };
  if (j.contains("frames")) {
    const auto& arr = j["frames"];
    if (!arr.is_array()) return field_error("\"frames\" must be an array");
    frames.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      const auto& fj = arr[i];
      const std::string where = "frames[" + std::to_string(i) + "]";
      if (!fj.is_object()) return field_error(where + " must be an object");
      FrameHash f;
      if (!fj.contains("pdq")) return field_error(where + " has no \"pdq\"");
      VHM_RETURN_IF_ERROR(get_hash(fj["pdq"], where, f.hash));
      VHM_RETURN_IF_ERROR(get_quality(fj, where, f.quality));
      VHM_RETURN_IF_ERROR(get_inside_bars(fj, where, f));
      if (fj.contains("frame")) {
        if (!fj["frame"].is_number_integer() || fj["frame"].get<int64_t>() < 0 ||
            fj["frame"].get<int64_t>() > INT32_MAX)
          return field_error(where + ": \"frame\" must be an integer >= 0");
        f.index = fj["frame"].get<int>();
      } else {
        f.index = static_cast<int>(i);
      }
      const char* ts_key = fj.contains("pts") ? "pts" : fj.contains("timestamp") ? "timestamp" : nullptr;
      if (ts_key) {
        if (!fj[ts_key].is_number() || !std::isfinite(fj[ts_key].get<double>()))
          return field_error(where + ": \"" + ts_key + "\" must be a finite number of seconds");
        f.pts_seconds = fj[ts_key].get<double>();
      }
      frames.push_back(f);
    }
    if (frames.empty() && !allow_none) return field_error("\"frames\" is empty: no hash to add");
    return Status::ok();
  }
  if (j.contains("pdq")) {
    FrameHash f;
    VHM_RETURN_IF_ERROR(get_hash(j["pdq"], "record", f.hash));
    VHM_RETURN_IF_ERROR(get_quality(j, "record", f.quality));
    VHM_RETURN_IF_ERROR(get_inside_bars(j, "record", f));
    frames.push_back(f);
    return Status::ok();
  }
  if (allow_none) return Status::ok();
  return field_error("the record has neither \"frames\" nor \"pdq\"");
}

Result<std::string> optional_string(const nlohmann::json& j, const char* key, const std::string& name, size_t line_no) {
  if (!j.contains(key) || j[key].is_null()) return std::string();
  if (!j[key].is_string()) return line_error(name, line_no, std::string("\"") + key + "\" must be a string");
  return j[key].get<std::string>();
}

}  // namespace

const char* import_format_name(ImportFormat format) {
  switch (format) {
    case ImportFormat::kAuto:
      return "auto";
    case ImportFormat::kVpdq:
      return "vpdq";
    case ImportFormat::kJsonl:
      return "jsonl";
    case ImportFormat::kPdqList:
      return "pdq";
    case ImportFormat::kMedia:
      return "media";
    case ImportFormat::kTeFile:
      return "te-file";
    case ImportFormat::kTeCsv:
      return "te-csv";
    case ImportFormat::kThreatExchange:
      return "threatexchange";
    case ImportFormat::kStopNcii:
      return "stopncii";
    case ImportFormat::kTcap:
      return "tcap";
    case ImportFormat::kTmk:
      return "tmk";
    case ImportFormat::kNcmec:
      return "ncmec";
  }
  return "?";
}

std::optional<ImportFormat> parse_import_format(std::string_view name) {
  for (ImportFormat f :
       {ImportFormat::kAuto, ImportFormat::kVpdq, ImportFormat::kJsonl, ImportFormat::kPdqList, ImportFormat::kMedia,
        ImportFormat::kTeFile, ImportFormat::kTeCsv, ImportFormat::kThreatExchange, ImportFormat::kStopNcii,
        ImportFormat::kTcap, ImportFormat::kTmk, ImportFormat::kNcmec})
    if (name == import_format_name(f)) return f;
  if (name == "video" || name == "image") return ImportFormat::kMedia;
  return std::nullopt;
}

ImportFormat detect_import_format(const std::string& path, std::string_view head) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  // The exchanges' lists, by what they hold: each has a mark no other format carries.
  if (head.substr(0, 12) == "TMK1FVECPDQF" || ext == ".tmk") return ImportFormat::kTmk;
  const std::string_view start = trim(head);
  if (start.substr(0, 22) == "signal_type,signal_str" || ext == ".csv") return ImportFormat::kTeCsv;
  if (start.substr(0, 1) == "<" && (start.find("hashsharing.ncmec.org/hashsharing/v2") != std::string_view::npos))
    return ImportFormat::kNcmec;
  if (ext == ".xml") return ImportFormat::kNcmec;
  if (!start.empty() && (start.front() == '{' || start.front() == '[')) {
    if (start.find("\"hashRecords\"") != std::string_view::npos) return ImportFormat::kStopNcii;
    if (start.find("\"hash_digest\"") != std::string_view::npos) return ImportFormat::kTcap;
    if (start.find("\"HASH_") != std::string_view::npos && start.find("indicator\"") != std::string_view::npos)
      return ImportFormat::kThreatExchange;
  }
  if (ext == ".jsonl" || ext == ".json" || ext == ".ndjson") return ImportFormat::kJsonl;
  if (is_url(path) || has_image_extension(path) || has_video_extension(path)) return ImportFormat::kMedia;
  // The first meaningful line decides.
  size_t pos = 0;
  while (pos < head.size()) {
    const size_t eol = head.find('\n', pos);
    std::string_view line = trim(head.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    pos = eol == std::string_view::npos ? head.size() : eol + 1;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '{') return ImportFormat::kJsonl;
    if (std::count(line.begin(), line.end(), ',') == 3) return ImportFormat::kVpdq;
    if (looks_like_hex_hash(line) || line.find_first_of(" \t") != std::string_view::npos) return ImportFormat::kPdqList;
    break;
  }
  // Text that is none of these: let the vPDQ parser say what is wrong with line 1.
  const bool binary = std::any_of(head.begin(), head.end(), [](char c) { return c == '\0'; });
  return binary ? ImportFormat::kMedia : ImportFormat::kVpdq;
}

Result<ImportResult> parse_vpdq_content(std::string_view text, const std::string& name) {
  auto frames = parse_vpdq(text, name);
  if (!frames) return frames.status();
  if (frames->empty()) return Status(StatusCode::kCorrupt, "no frame hashes in this vPDQ file", name);
  ImportResult r;
  r.format = ImportFormat::kVpdq;
  NewContent c;
  c.meta.source = name;
  c.origin.file = name;
  c.meta.kind = ContentKind::kVideo;
  c.frames = std::move(frames).value();
  r.contents.push_back(std::move(c));
  return r;
}

Result<ImportResult> parse_hash_jsonl(std::string_view text, const std::string& name) {
  ImportResult r;
  r.format = ImportFormat::kJsonl;
  Status st = for_each_line(text, [&](size_t line_no, std::string_view line) -> Status {
    if (trim(line).empty()) return Status::ok();
    // Outside text: bounded nesting (100,000 nested arrays overflowed the stack) and no
    // exception for numbers beyond a double (1e999 escaped as an internal error).
    auto parsed = parse_json_text(line);
    if (!parsed) return line_error(name, line_no, "not JSON: " + parsed.status().message());
    const nlohmann::json& j = *parsed;
    if (!j.is_object()) return line_error(name, line_no, "expected a JSON object per line");
    auto path = optional_string(j, "path", name, line_no);
    if (!path) return path.status();
    if (j.contains("error")) {
      const std::string why = j["error"].is_string() ? j["error"].get<std::string>() : json_text(j["error"]);
      constexpr size_t kMaxWhy = 300;  // the reason is the input's text: quoted, not reproduced whole
      return line_error(name, line_no,
                        "the hash of " + (path->empty() ? std::string("an input") : "'" + *path + "'") + " failed (" +
                            why.substr(0, kMaxWhy) + (why.size() > kMaxWhy ? "..." : "") + "): nothing to add");
    }
    NewContent c;
    c.origin = {name, static_cast<int64_t>(line_no)};
    auto source = optional_string(j, "source", name, line_no);
    if (!source) return source.status();
    c.meta.source = !source->empty() ? *source : !path->empty() ? *path : name + ":" + std::to_string(line_no);
    auto external = optional_string(j, "external_id", name, line_no);
    if (!external) return external.status();
    c.meta.external_id = *external;
    auto label = optional_string(j, "label", name, line_no);
    if (!label) return label.status();
    c.meta.label = *label;
    auto signal = optional_string(j, "signal_type", name, line_no);
    if (!signal) return signal.status();
    auto type = optional_string(j, "type", name, line_no);
    if (!type) return type.status();
    if (!signal->empty()) {
      // Older exports' word for the kind ('video', 'pdq'); "image" read too.
      const auto t = parse_content_kind(*signal);
      if (!t) return line_error(name, line_no, "unknown signal_type " + shown(*signal) + " (expected video or pdq)");
      c.meta.kind = *t;
    } else if (*type == "image" || (type->empty() && !j.contains("frames") && !j.contains("signals"))) {
      c.meta.kind = ContentKind::kImage;
    } else if (type->empty() || *type == "video") {
      c.meta.kind = ContentKind::kVideo;
    } else {
      return line_error(name, line_no, "unknown type " + shown(*type) + " (expected video or image)");
    }
    {
      Status sst = signals_from_json(j, "line " + std::to_string(line_no), c.signals);
      if (!sst.is_ok()) return sst.with_subject(name);
    }
    VHM_RETURN_IF_ERROR(json_frames(j, name, line_no, c.frames, !c.signals.empty()));
    if (c.meta.kind == ContentKind::kImage && c.frames.size() != 1)
      return line_error(name, line_no, "an image record holds one hash, this one " + std::to_string(c.frames.size()));
    r.contents.push_back(std::move(c));
    return Status::ok();
  });
  if (!st.is_ok()) return st;
  if (r.contents.empty()) return Status(StatusCode::kCorrupt, "no records in this JSON Lines file", name);
  return r;
}

Result<ImportResult> parse_pdq_list(std::string_view text, const std::string& name, bool skip_unsupported) {
  ImportResult r;
  r.format = ImportFormat::kPdqList;
  std::unordered_set<std::string> seen;
  Status st = for_each_line(text, [&](size_t line_no, std::string_view raw) -> Status {
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') return Status::ok();
    std::string_view hex = line;
    const size_t space = line.find_first_of(" \t");
    if (space != std::string_view::npos) {
      const std::string_view type = line.substr(0, space);
      hex = trim(line.substr(space));
      if (type != "pdq") {
        if (skip_unsupported) {
          ++r.lines_skipped;
          return Status::ok();
        }
        return line_error(name, line_no,
                          "signal type " + shown(type) + " is not supported (only pdq; --skip-unsupported skips them)");
      }
      if (hex.find_first_of(" \t") != std::string_view::npos)
        return line_error(name, line_no, "expected 'pdq <64 hex digits>', found " + shown(line));
    }
    const auto h = Hash256::from_hex(hex);
    if (!h) return line_error(name, line_no, "bad PDQ hash " + shown(hex) + " (expected 64 hex digits)");
    if (!seen.insert(h->to_hex()).second) {
      ++r.lines_skipped;
      return Status::ok();
    }
    NewContent c;
    c.meta.source = name + ":" + std::to_string(line_no);
    c.origin = {name, static_cast<int64_t>(line_no)};
    c.meta.kind = ContentKind::kImage;
    FrameHash f;
    f.hash = *h;
    f.quality = 100;  // lists carry no quality
    c.frames.push_back(f);
    r.contents.push_back(std::move(c));
    return Status::ok();
  });
  if (!st.is_ok()) return st;
  if (r.contents.empty()) return Status(StatusCode::kCorrupt, "no PDQ hashes in this list", name);
  return r;
}

ImportResult exchange_list_to_import(ExchangeList list, const std::string& name, ImportFormat format) {
  ImportResult r;
  r.format = format;
  r.notes = std::move(list.notes);
  r.lines_skipped = list.unknown_skipped;
  // A video's records under one external id (NCMEC's MD5 and TMK_PDQF of one video, a
  // vPDQ and an MD5 of one ThreatExchange item) are one content: where it is, by id.
  std::map<std::string, size_t> video_of_id;
  for (size_t i = 0; i < list.records.size(); ++i) {
    ExchangeRecord& record = list.records[i];
    if (record.deleted) {
      if (!record.external_id.empty()) r.remove_external_ids.push_back(record.external_id);
      continue;
    }
    std::string label;
    for (const auto& l : record.labels) label += (label.empty() ? "" : " ") + l;
    if (record.signal == ExchangeSignal::kPdq) {
      NewContent c;
      c.origin = {name, static_cast<int64_t>(i + 1)};
      c.meta.source = name + ":" + std::to_string(i + 1);
      c.meta.external_id = record.external_id;
      c.meta.label = label;
      c.meta.kind = ContentKind::kImage;
      FrameHash f;
      f.hash = record.pdq;
      f.quality = record.quality;
      c.frames.push_back(f);
      r.contents.push_back(std::move(c));
      continue;
    }
    NewContent* c = nullptr;
    if (!record.external_id.empty()) {
      auto it = video_of_id.find(record.external_id);
      if (it != video_of_id.end()) c = &r.contents[it->second];
    }
    if (!c) {
      if (!record.external_id.empty()) video_of_id[record.external_id] = r.contents.size();
      NewContent& fresh = r.contents.emplace_back();
      fresh.origin = {name, static_cast<int64_t>(i + 1)};
      fresh.meta.source = name + ":" + std::to_string(i + 1);
      fresh.meta.external_id = record.external_id;
      fresh.meta.kind = ContentKind::kVideo;
      c = &fresh;
    }
    if (!label.empty() && c->meta.label.find(label) == std::string::npos)
      c->meta.label += (c->meta.label.empty() ? "" : " ") + label;
    switch (record.signal) {
      case ExchangeSignal::kVpdq:
        c->frames.insert(c->frames.end(), record.frames.begin(), record.frames.end());
        break;
      case ExchangeSignal::kVideoMd5:
        c->signals.push_back({SignalId::kVideoMd5, std::move(record.bytes)});
        break;
      case ExchangeSignal::kVideoSha256:
        c->signals.push_back({SignalId::kVideoSha256, std::move(record.bytes)});
        break;
      case ExchangeSignal::kTmk:
        c->signals.push_back({SignalId::kTmk, std::move(record.bytes)});
        break;
      case ExchangeSignal::kPdq:
        break;  // handled above
    }
  }
  return r;
}

namespace {

// One input's contents once its format is known: `text` for the text formats, `media`
// for kMedia (a file or URL, or bytes in memory); `path` is what sources and errors name.
Result<ImportResult> import_content(ImportFormat format, const std::string& path, std::string_view text,
                                    const Input& media, const ImportOptions& options);

}  // namespace

Result<ImportResult> import_file(const std::string& path, const ImportOptions& options) {
  ImportFormat format = options.format;
  std::string text;
  const bool could_be_text = format != ImportFormat::kMedia && !is_url(path);
  if (could_be_text && (format != ImportFormat::kAuto || !(has_image_extension(path) || has_video_extension(path)))) {
    auto t = read_text(path);
    if (!t) return t.status();
    text = std::move(t).value();
  }
  if (format == ImportFormat::kAuto) format = detect_import_format(path, std::string_view(text).substr(0, 4096));
  const Input media{path, is_url(path) ? InputKind::kVideo : kind_of(path), fs::path(path).stem().string()};
  return import_content(format, path, text, media, options);
}

Result<ImportResult> import_bytes(std::span<const uint8_t> bytes, const std::string& name, InputKind media_kind,
                                  const ImportOptions& options) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  ImportFormat format = options.format;
  if (format == ImportFormat::kAuto) format = detect_import_format(name, text.substr(0, 4096));
  Input media{name, media_kind, fs::path(name).stem().string()};
  media.bytes = bytes;
  return import_content(format, name, text, media, options);
}

namespace {

Result<ImportResult> import_content(ImportFormat format, const std::string& path, std::string_view text,
                                    const Input& media, const ImportOptions& options) {
  Result<ImportResult> result = Status(StatusCode::kInternal, "no importer ran", path);
  switch (format) {
    case ImportFormat::kVpdq:
      result = parse_vpdq_content(text, path);
      break;
    case ImportFormat::kJsonl:
      result = parse_hash_jsonl(text, path);
      break;
    case ImportFormat::kPdqList:
      result = parse_pdq_list(text, path, options.skip_unsupported);
      break;
    case ImportFormat::kMedia: {
      if (media.bytes.empty() && media.url.empty()) return Status(StatusCode::kInvalidArgument, "no media", path);
      InputHash h = hash_input(media, options.hashing);
      if (!h.status.is_ok()) return h.status.with_subject(path);
      ImportResult r;
      r.format = ImportFormat::kMedia;
      NewContent c;
      c.meta.source = path;
      c.origin.file = path;
      if (h.image) {
        c.meta.kind = ContentKind::kImage;
        FrameHash f;
        f.hash = h.image->pdq.hash;
        f.quality = h.image->pdq.quality;
        f.has_cropped = h.image->has_cropped;
        if (f.has_cropped) {
          f.cropped = h.image->cropped.hash;
          f.cropped_quality = h.image->cropped.quality;
        }
        c.frames.push_back(f);
      } else if (h.video) {
        c.meta.kind = ContentKind::kVideo;
        if (h.video->frames.empty()) return Status(StatusCode::kCorrupt, "the video gave no frames to hash", path);
        if (options.media_frames) c.frames = std::move(h.video->frames);
        c.signals = video_signal_values(*h.video);
        if (c.frames.empty() && c.signals.empty())
          return Status(StatusCode::kInvalidArgument,
                        "nothing to store: no frames asked for and no whole-content signal", path);
      } else {
        return Status(StatusCode::kInternal, "hashing gave neither an image nor a video", path);
      }
      r.contents.push_back(std::move(c));
      result = std::move(r);
      break;
    }
    case ImportFormat::kTeFile:
    case ImportFormat::kTeCsv:
    case ImportFormat::kThreatExchange:
    case ImportFormat::kStopNcii:
    case ImportFormat::kTcap:
    case ImportFormat::kTmk:
    case ImportFormat::kNcmec: {
      const auto bytes = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
      auto list = format == ImportFormat::kTeFile           ? parse_te_file(text, path)
                  : format == ImportFormat::kTeCsv          ? parse_te_csv(text, path)
                  : format == ImportFormat::kThreatExchange ? parse_threatexchange_json(text, path)
                  : format == ImportFormat::kStopNcii       ? parse_stopncii_page(text, path)
                  : format == ImportFormat::kTcap           ? parse_tcap_list(text, path)
                  : format == ImportFormat::kNcmec          ? parse_ncmec_xml(text, path, options.tmk_dir)
                                                            : parse_tmk_file(bytes, path);
      if (!list) return list.status();
      result = exchange_list_to_import(std::move(list).value(), path, format);
      break;
    }
    case ImportFormat::kAuto:
      break;
  }
  if (!result) return result.status();
  if (!options.label.empty())
    for (auto& c : result->contents) c.meta.label = options.label;
  if (!options.external_id.empty()) {
    if (result->contents.size() != 1)
      return Status(StatusCode::kInvalidArgument,
                    "--external-id names one content, this file holds " + std::to_string(result->contents.size()),
                    path);
    result->contents.front().meta.external_id = options.external_id;
  }
  return result;
}

}  // namespace

nlohmann::json content_to_json(const ContentInfo& c, std::span<const FrameHash> frames,
                               std::span<const ContentSignal> signals) {
  nlohmann::json j{
      {"content_id", c.id},
      {"external_id", c.meta.external_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.meta.external_id)},
      {"label", c.meta.label},
      {"source", c.meta.source},
      {"signal_type", stored_content_kind(c.meta.kind)},  // what older vhm versions read back
      {"type", content_kind_name(c.meta.kind)},
      {"added_at", c.added_at}};
  if (c.removed()) {
    j["removed_at"] = c.removed_at;
    j["removed_reason"] = c.removed_reason;
  }
  j["input_frame_count"] = c.input_frame_count;
  j["frames_hashed"] = frames.size();
  // The inside-bars hash in the shapes `vhm hash --bars` writes: {"pdq", "quality"} for
  // an image, hex and "quality_inside_bars" beside it for a video frame.
  if (c.meta.kind == ContentKind::kImage && frames.size() == 1) {
    j["pdq"] = frames[0].hash.to_hex();
    j["quality"] = frames[0].quality;
    if (frames[0].has_cropped)
      j["pdq_inside_bars"] = {{"pdq", frames[0].cropped.to_hex()}, {"quality", frames[0].cropped_quality}};
  } else {
    nlohmann::json arr = nlohmann::json::array();
    for (const FrameHash& f : frames) {
      nlohmann::json fj{{"frame", f.index}, {"pts", f.pts_seconds}, {"quality", f.quality}, {"pdq", f.hash.to_hex()}};
      if (f.has_cropped) {
        fj["pdq_inside_bars"] = f.cropped.to_hex();
        fj["quality_inside_bars"] = f.cropped_quality;
      }
      arr.push_back(std::move(fj));
    }
    j["frames"] = std::move(arr);
  }
  if (!signals.empty()) j["signals"] = signals_to_json(signals);
  return j;
}

std::string export_file_stem(const ContentInfo& c) {
  if (c.meta.external_id.empty()) return "content-" + std::to_string(c.id);
  std::string s;
  for (char ch : c.meta.external_id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    s += ok ? ch : '_';
  }
  if (s.empty() || s.front() == '.') s = "_" + s;
  if (s.size() > 120) s.resize(120);
  return s;
}

}  // namespace vhm
