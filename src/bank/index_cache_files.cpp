#include "bank/index_cache_files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "bank/frames_checksum.h"
#include "core/json_text.h"
#include "index/index_file.h"

namespace vhm {
namespace {

Status corrupt(const std::string& what, const std::string& path) {
  return {StatusCode::kCorrupt, "unreadable index cache metadata: " + what, path};
}

// The field `key` as an integer that fits `out`'s type (a JSON number without a
// fraction); kCorrupt naming the field when absent or of another type.
template <typename Int>
Status int_field(const nlohmann::json& j, const char* key, const std::string& path, Int& out) {
  const auto it = j.find(key);
  if (it == j.end()) return corrupt(std::string("no \"") + key + "\"", path);
  if (it->is_number_unsigned()) {
    const auto v = it->template get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max()))
      return corrupt(std::string("\"") + key + "\" is out of range", path);
    out = static_cast<Int>(v);
    return Status::ok();
  }
  if (it->is_number_integer()) {
    const auto v = it->template get<int64_t>();
    if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<Int>::max())))
      return corrupt(std::string("\"") + key + "\" is out of range", path);
    out = static_cast<Int>(v);
    return Status::ok();
  }
  return corrupt(std::string("\"") + key + "\" must be an integer", path);
}

Status string_field(const nlohmann::json& j, const char* key, const std::string& path, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end()) return corrupt(std::string("no \"") + key + "\"", path);
  if (!it->is_string()) return corrupt(std::string("\"") + key + "\" must be a string", path);
  out = it->get<std::string>();
  return Status::ok();
}

// A checksum field: 16 hex digits.
Status hex_field(const nlohmann::json& j, const char* key, const std::string& path, uint64_t& out) {
  std::string text;
  VHM_RETURN_IF_ERROR(string_field(j, key, path, text));
  if (text.size() != 16 || text.find_first_not_of("0123456789abcdef") != std::string::npos)
    return corrupt(std::string("\"") + key + "\" must be 16 hex digits", path);
  out = std::stoull(text, nullptr, 16);  // cannot throw: 16 hex digits fit
  return Status::ok();
}

}  // namespace

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Result<IndexCacheMeta> read_index_cache_meta(const std::string& path) {
  auto file = index_file::open_regular_file(path);
  if (!file) return file.status();
  if (file->size() > kMaxIndexCacheMetaBytes)
    return corrupt(std::to_string(file->size()) + " bytes, more than any metadata vhm writes", path);
  std::string text(static_cast<size_t>(file->size()), '\0');
  VHM_RETURN_IF_ERROR(file->read_exactly(text.data(), text.size(), path));
  auto parsed = parse_json_text(text);
  if (!parsed) return corrupt(parsed.status().message(), path);
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return corrupt("not a JSON object", path);
  IndexCacheMeta m;
  VHM_RETURN_IF_ERROR(int_field(j, "format", path, m.format));
  // Format 1 was written before frames had inside-bars codes: it cannot say whether it
  // holds them, so it is stale whatever it holds.
  if (m.format == 1)
    return Status(StatusCode::kUnsupported, "written by bank format 1, which had no inside-bars codes", path);
  if (m.format != kIndexCacheMetaFormat)
    return Status(StatusCode::kUnsupported, "unknown cache metadata format " + std::to_string(m.format), path);
  VHM_RETURN_IF_ERROR(string_field(j, "spec", path, m.spec));
  VHM_RETURN_IF_ERROR(int_field(j, "generation", path, m.generation));
  VHM_RETURN_IF_ERROR(int_field(j, "max_frame_id", path, m.max_frame_id));
  VHM_RETURN_IF_ERROR(int_field(j, "count", path, m.count));
  VHM_RETURN_IF_ERROR(int_field(j, "inside_bars_count", path, m.inside_bars_count));
  VHM_RETURN_IF_ERROR(hex_field(j, "ids_checksum", path, m.ids_checksum));
  VHM_RETURN_IF_ERROR(int_field(j, "file_bytes", path, m.file_bytes));
  VHM_RETURN_IF_ERROR(hex_field(j, "file_checksum", path, m.file_checksum));
  if (j.contains("frames_checksum")) {
    VHM_RETURN_IF_ERROR(hex_field(j, "frames_checksum", path, m.frames_checksum));
    m.has_frames_checksum = true;
  }
  if (m.generation < 0 || m.max_frame_id < 0 || m.count < 0 || m.inside_bars_count < 0 ||
      m.inside_bars_count > m.count || m.file_bytes < 0)
    return corrupt("negative or inconsistent counts", path);
  if (j.contains("written_at") && j["written_at"].is_string()) m.written_at = j["written_at"].get<std::string>();
  return m;
}

Status write_index_cache_meta(const std::string& path, const IndexCacheMeta& m) {
  nlohmann::json j{{"format", m.format},
                   {"about", "derived cache of bank.sqlite's frame hashes: safe to delete, rebuilt at open"},
                   {"spec", m.spec},
                   {"generation", m.generation},
                   {"max_frame_id", m.max_frame_id},
                   {"count", m.count},
                   {"inside_bars_count", m.inside_bars_count},
                   {"ids_checksum", hex64(m.ids_checksum)},
                   {"frames_checksum", hex64(m.frames_checksum)},
                   {"file_bytes", m.file_bytes},
                   {"file_checksum", hex64(m.file_checksum)},
                   {"written_at", m.written_at}};
  std::ofstream out(path, std::ios::trunc);
  out << json_text(j, 2) << "\n";
  out.flush();
  if (!out) return {StatusCode::kIoError, std::string("cannot write: ") + std::strerror(errno), path};
  return Status::ok();
}

// FNV-1a over 64-bit words, then the length: any flipped or truncated byte shows.
Result<FileChecksum> index_cache_file_checksum(const std::string& path, int64_t expected_bytes) {
  auto file = index_file::open_regular_file(path);
  if (!file) return file.status();
  if (expected_bytes >= 0 && file->size() != static_cast<uint64_t>(expected_bytes))
    return Status(StatusCode::kCorrupt,
                  "its size (" + std::to_string(file->size()) + " bytes) is not the " + std::to_string(expected_bytes) +
                      " its metadata records",
                  path);
  std::vector<char> buf(size_t{1} << 20);
  uint64_t h = 0xCBF29CE484222325ULL;
  uint64_t left = file->size();
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    VHM_RETURN_IF_ERROR(file->read_exactly(buf.data(), n, path));
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, buf.data() + i, 8);
      h = (h ^ w) * 0x100000001B3ULL;
    }
    for (; i < n; ++i) h = (h ^ static_cast<uint8_t>(buf[i])) * 0x100000001B3ULL;
    left -= n;
  }
  const auto total = static_cast<int64_t>(file->size());
  return FileChecksum{total, mix64(h ^ static_cast<uint64_t>(total))};
}

}  // namespace vhm
