#include "bank/exchange_formats.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "bank/exchange_detail.h"
#include "core/base64.h"
#include "core/json_text.h"
#include "core/tmk_features.h"

namespace vhm {

using namespace exchange_detail;

namespace {

// A frame list longer than this is garbage, not a video (an hour at 30 fps is 108,000).
constexpr size_t kMaxVpdqFrames = 1'000'000;
// Past this a timestamp is no video's (and 3 digits of it could round to infinity).
constexpr double kMaxTimestampSeconds = 1e9;
// One exported TMK is ~257 KiB; anything past this is not one.
constexpr uint64_t kMaxTmkBytes = 64ull << 20;
constexpr std::string_view kTmkMagic = kTmkTextMagic;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// `hex` as exactly `size` bytes, else nullopt.
std::optional<std::vector<uint8_t>> hex_bytes(std::string_view hex, size_t size) {
  if (hex.size() != size * 2) return std::nullopt;
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

void split_words(std::string_view text, std::vector<std::string>& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (std::isspace(static_cast<unsigned char>(text[pos])) || text[pos] == ',')) ++pos;
    size_t end = pos;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != ',') ++end;
    if (end > pos) out.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
}

// Fills `r`'s value from a signal's text, per its type; the reason when it is not one.

// Calls fn(first_line_of_record, fields) for each non-empty record.
template <typename Fn>
Status for_each_csv_record(std::string_view text, const std::string& name, Fn&& fn) {
  constexpr size_t kMaxFields = 64;
  size_t pos = 0, line = 1;
  while (pos < text.size()) {
    const size_t record_line = line;
    std::vector<std::string> fields(1);
    bool quoted = false, end_of_record = false;
    while (pos < text.size() && !end_of_record) {
      const char c = text[pos++];
      if (quoted) {
        if (c == '"') {
          if (pos < text.size() && text[pos] == '"') {
            fields.back() += '"';
            ++pos;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line;
          fields.back() += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        if (fields.size() == kMaxFields) return record_error(name, line_at(record_line), "too many fields");
        fields.emplace_back();
      } else if (c == '\n') {
        ++line;
        end_of_record = true;
      } else if (c != '\r') {
        fields.back() += c;
      }
    }
    if (quoted) return record_error(name, line_at(record_line), "a quoted field is not closed");
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;
    VHM_RETURN_IF_ERROR(fn(record_line, fields));
  }
  return Status::ok();
}

}  // namespace

namespace exchange_detail {

Status record_error(const std::string& name, const std::string& where, const std::string& what) {
  return {StatusCode::kCorrupt, where + ": " + what, name};
}

std::string line_at(size_t line) { return "line " + std::to_string(line); }
std::string record_at(size_t index) { return "record " + std::to_string(index); }

std::string shown(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return "'" + out + "'";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status set_value(ExchangeRecord& r, std::string_view value) {
  value = trim(value);
  switch (r.signal) {
    case ExchangeSignal::kPdq: {
      const auto h = Hash256::from_hex(value);
      if (!h) return {StatusCode::kCorrupt, "bad PDQ hash " + shown(value) + " (expected 64 hex digits)"};
      r.pdq = *h;
      return Status::ok();
    }
    case ExchangeSignal::kVpdq: {
      auto frames = parse_te_vpdq_signal(value);
      if (!frames) return frames.status();
      r.frames = std::move(frames).value();
      return Status::ok();
    }
    case ExchangeSignal::kVideoMd5:
    case ExchangeSignal::kVideoSha256: {
      const size_t size = r.signal == ExchangeSignal::kVideoMd5 ? 16 : 32;
      auto bytes = hex_bytes(value, size);
      if (!bytes)
        return {StatusCode::kCorrupt, std::string("bad ") + exchange_signal_name(r.signal) + " " + shown(value) +
                                          " (expected " + std::to_string(size * 2) + " hex digits)"};
      r.bytes = std::move(*bytes);
      return Status::ok();
    }
    case ExchangeSignal::kTmk: {
      // The ThreatExchange form (detected by its header), else base64 of the raw file.
      auto bytes = value.substr(0, kTmkMagic.size()) == kTmkMagic ? parse_threatexchange_tmk(value, kMaxTmkBytes)
                                                                  : decode_base64(value);
      if (!bytes) return bytes.status();
      VHM_RETURN_IF_ERROR(check_tmk_bytes(*bytes));
      r.bytes = std::move(bytes).value();
      return Status::ok();
    }
  }
  return {StatusCode::kInternal, "unhandled signal"};
}

Status keep_or_skip(Status record, BadRecords bad_records, ExchangeList& list) {
  if (record.is_ok()) return record;
  if (bad_records == BadRecords::kSkip && record.code() == StatusCode::kCorrupt) {
    list.bad_records.push_back(record.message());
    return Status::ok();
  }
  return record;
}

void note_unknown(ExchangeList& list, const std::string& where, std::string_view type) {
  ++list.unknown_skipped;
  ++list.unknown_by_type[std::string(type)];
  list.notes.push_back(where + ": unknown signal type " + shown(type) + " skipped");
}

// CSV fields per RFC 4180 (quotes doubled inside quoted fields, which may span lines).

}  // namespace exchange_detail

const char* exchange_signal_name(ExchangeSignal signal) {
  switch (signal) {
    case ExchangeSignal::kPdq:
      return "pdq";
    case ExchangeSignal::kVpdq:
      return "vpdq";
    case ExchangeSignal::kVideoMd5:
      return "video_md5";
    case ExchangeSignal::kVideoSha256:
      return "video_sha256";
    case ExchangeSignal::kTmk:
      return "tmk";
  }
  return "?";
}

std::optional<ExchangeSignal> parse_exchange_signal(std::string_view name) {
  for (ExchangeSignal s : {ExchangeSignal::kPdq, ExchangeSignal::kVpdq, ExchangeSignal::kVideoMd5,
                           ExchangeSignal::kVideoSha256, ExchangeSignal::kTmk})
    if (name == exchange_signal_name(s)) return s;
  return std::nullopt;
}

Result<std::vector<uint8_t>> decode_base64(std::string_view text) { return base64_decode(text, kMaxTmkBytes); }

Status check_tmk_bytes(std::span<const uint8_t> bytes) {
  // The header: the three magics, then five little-endian int32s (frames per second,
  // periods, Fourier coefficients, frame feature dimension, frame count); then the
  // periods (int32), the coefficients (float), the average feature, and a cosine and a
  // sine feature per period and coefficient (floats).
  constexpr size_t kHeader = 12 + 5 * 4;
  if (bytes.size() < kHeader) return {StatusCode::kCorrupt, "a .tmk file is at least 32 bytes"};
  if (std::memcmp(bytes.data(), kTmkMagic.data(), kTmkMagic.size()) != 0)
    return {StatusCode::kCorrupt, "not a .tmk file (its magic is not TMK1 FVEC PDQF)"};
  auto int_at = [&](size_t offset) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | bytes[offset + i];
    return static_cast<int32_t>(v);
  };
  const int32_t periods = int_at(16), coefficients = int_at(20), dimension = int_at(24);
  // Bounds far past TMK's own (4 periods, 32 coefficients, 256 dimensions) that keep the
  // size below in range.
  if (periods <= 0 || periods > 1024 || coefficients <= 0 || coefficients > 1024 || dimension <= 0 || dimension > 65536)
    return {StatusCode::kCorrupt, "a .tmk header with impossible sizes (" + std::to_string(periods) + " periods, " +
                                      std::to_string(coefficients) + " coefficients, " + std::to_string(dimension) +
                                      " dimensions)"};
  const uint64_t p = periods, c = coefficients, d = dimension;
  const uint64_t expected = kHeader + 4 * p + 4 * c + 4 * d + 2 * 4 * p * c * d;
  if (expected > kMaxTmkBytes) return {StatusCode::kCorrupt, "a .tmk header implying a file over 64 MiB"};
  if (bytes.size() != expected)
    return {StatusCode::kCorrupt, "a .tmk file of " + std::to_string(bytes.size()) + " bytes, its header implies " +
                                      std::to_string(expected)};
  return Status::ok();
}

Result<std::vector<FrameHash>> parse_te_vpdq_signal(std::string_view signal) {
  auto parsed = parse_json_text(signal);
  if (!parsed || !parsed->is_array())
    return Status(StatusCode::kCorrupt, "a vpdq signal is a JSON array of \"pdqhex,quality,timestamp\"");
  if (parsed->empty()) return Status(StatusCode::kCorrupt, "a vpdq signal with no frames");
  if (parsed->size() > kMaxVpdqFrames) return Status(StatusCode::kCorrupt, "a vpdq signal with too many frames");
  std::vector<FrameHash> frames;
  frames.reserve(parsed->size());
  for (size_t i = 0; i < parsed->size(); ++i) {
    const auto& v = (*parsed)[i];
    const std::string where = "frame " + std::to_string(i) + ": ";
    if (!v.is_string()) return Status(StatusCode::kCorrupt, where + "not a string");
    const std::string s = v.get<std::string>();
    const size_t c1 = s.find(','), c2 = c1 == std::string::npos ? c1 : s.find(',', c1 + 1);
    if (c2 == std::string::npos || s.find(',', c2 + 1) != std::string::npos)
      return Status(StatusCode::kCorrupt, where + "expected \"pdqhex,quality,timestamp\", found " + shown(s));
    FrameHash f;
    f.index = static_cast<int>(i);
    const auto h = Hash256::from_hex(s.substr(0, c1));
    if (!h) return Status(StatusCode::kCorrupt, where + "bad PDQ hash " + shown(s.substr(0, c1)));
    f.hash = *h;
    const std::string q = s.substr(c1 + 1, c2 - c1 - 1), t = s.substr(c2 + 1);
    char* end = nullptr;
    const long quality = std::strtol(q.c_str(), &end, 10);
    if (q.empty() || *end || quality < 0 || quality > 100)
      return Status(StatusCode::kCorrupt, where + "quality must be an integer 0..100, found " + shown(q));
    f.quality = static_cast<int>(quality);
    const double ts = std::strtod(t.c_str(), &end);
    if (t.empty() || *end || !std::isfinite(ts) || ts < 0 || ts > kMaxTimestampSeconds)
      return Status(StatusCode::kCorrupt, where + "timestamp must be seconds >= 0, found " + shown(t));
    f.pts_seconds = ts;
    frames.push_back(f);
  }
  return frames;
}

std::string te_vpdq_signal(std::span<const FrameHash> frames) {
  nlohmann::json arr = nlohmann::json::array();
  for (const FrameHash& f : frames) {
    char ts[32];
    // 3 significant digits, as python-threatexchange writes them; Python's fixed-point
    // form keeps a digit after the point ("2.0" where C writes "2").
    std::snprintf(ts, sizeof ts, "%.3g", f.pts_seconds);
    std::string t = ts;
    if (t.find_first_of(".en") == std::string::npos) t += ".0";
    arr.push_back(f.hash.to_hex() + "," + std::to_string(f.quality) + "," + t);
  }
  return arr.dump();
}

Result<ExchangeList> parse_te_file(std::string_view text, const std::string& name,
                                   std::optional<ExchangeSignal> bare_type) {
  ExchangeList list;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const size_t eol = text.find('\n', pos);
    const std::string_view line =
        trim(text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    if (line.empty() || line.front() == '#') continue;
    ExchangeRecord r;
    std::string_view value = line;
    const size_t space = line.find_first_of(" \t");
    if (space != std::string_view::npos) {
      const std::string_view type = line.substr(0, space);
      const auto signal = parse_exchange_signal(type);
      if (!signal) {
        note_unknown(list, line_at(line_no), type);
        continue;
      }
      r.signal = *signal;
      value = trim(line.substr(space));
    } else if (bare_type) {
      r.signal = *bare_type;
    } else {
      return record_error(name, line_at(line_no), "expected '<signal_type> <signal>', found " + shown(line));
    }
    Status st = set_value(r, value);
    if (!st.is_ok()) return record_error(name, line_at(line_no), st.message());
    list.records.push_back(std::move(r));
  }
  return list;
}

std::string te_csv_header() { return "signal_type,signal_str,collab,category,tags\n"; }

Result<ExchangeList> parse_te_csv(std::string_view text, const std::string& name) {
  ExchangeList list;
  bool header_seen = false;
  Status st = for_each_csv_record(text, name, [&](size_t line, const std::vector<std::string>& fields) -> Status {
    if (!header_seen) {
      header_seen = true;
      if (fields.size() >= 2 && trim(fields[0]) == "signal_type" && trim(fields[1]) == "signal_str")
        return Status::ok();
      return record_error(name, line_at(line), "expected the header 'signal_type,signal_str,collab,category,tags'");
    }
    if (fields.size() < 2 || fields.size() > 5)
      return record_error(name, line_at(line), "expected 2 to 5 fields, found " + std::to_string(fields.size()));
    const auto signal = parse_exchange_signal(trim(fields[0]));
    if (!signal) {
      note_unknown(list, line_at(line), trim(fields[0]));
      return Status::ok();
    }
    ExchangeRecord r;
    r.signal = *signal;
    Status value = set_value(r, fields[1]);
    if (!value.is_ok()) return record_error(name, line_at(line), value.message());
    for (size_t i = 2; i < fields.size(); ++i) split_words(fields[i], r.labels);
    list.records.push_back(std::move(r));
    return Status::ok();
  });
  if (!st.is_ok()) return st;
  if (!header_seen) return Status(StatusCode::kCorrupt, "an empty CSV file (no header)", name);
  return list;
}

std::string te_signal_string(const ExchangeRecord& record) {
  std::string value;
  switch (record.signal) {
    case ExchangeSignal::kPdq:
      return record.pdq.to_hex();
    case ExchangeSignal::kVpdq:
      return te_vpdq_signal(record.frames);
    case ExchangeSignal::kTmk:
      // ThreatExchange's form, which set_value reads back.
      return record.bytes.size() >= kTmkMagic.size() ? format_threatexchange_tmk(record.bytes) : std::string();
    default:
      for (uint8_t b : record.bytes) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", b);
        value += hex;
      }
      return value;
  }
}

std::string te_file_line(const ExchangeRecord& record) {
  return std::string(exchange_signal_name(record.signal)) + " " + te_signal_string(record) + "\n";
}

std::string te_csv_row(const ExchangeRecord& record) {
  const std::string value = te_signal_string(record);
  auto quoted = [](const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::string tags;
  for (const auto& l : record.labels) tags += (tags.empty() ? "" : " ") + l;
  return std::string(exchange_signal_name(record.signal)) + "," + quoted(value) + ",,," + quoted(tags) + "\n";
}

Result<ExchangeList> parse_tmk_file(std::span<const uint8_t> bytes, const std::string& name) {
  Status st = check_tmk_bytes(bytes);
  if (!st.is_ok()) return st.with_subject(name);
  ExchangeList list;
  ExchangeRecord r;
  r.signal = ExchangeSignal::kTmk;
  r.bytes.assign(bytes.begin(), bytes.end());
  list.records.push_back(std::move(r));
  return list;
}

}  // namespace vhm
