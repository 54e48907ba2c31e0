#include "bank/frames_checksum.h"

#include <sqlite3.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace vhm {
namespace {

constexpr const char* kRecordKey = "frames_checksum";

uint64_t mix_bytes(uint64_t h, std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = mix64(h ^ w);
  }
  uint64_t tail = 0;
  if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return mix64(h ^ tail ^ (static_cast<uint64_t>(bytes.size()) << 56));
}

// The meta row's text (empty when absent).
Result<std::string> meta_text(const SqliteDb& db, const char* key) {
  auto s = db.prepare("SELECT value FROM meta WHERE key = ?");
  if (!s) return s.status();
  s->bind(1, key);
  auto row = s->step();
  if (!row) return row.status();
  return *row ? s->column_text(0) : std::string();
}

std::optional<int64_t> parse_i64(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "<generation> <hex>"; nullopt for anything else (a damaged record is a stale one).
std::optional<std::pair<int64_t, FramesChecksum>> parse_record(std::string_view text) {
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto generation = parse_i64(text.substr(0, space));
  const std::string_view hex = text.substr(space + 1);
  uint64_t sum = 0;
  const auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), sum, 16);
  if (!generation || hex.size() != 16 || ec != std::errc() || p != hex.data() + hex.size()) return std::nullopt;
  return std::make_pair(*generation, FramesChecksum{sum});
}

Status write_record(const SqliteDb& db, int64_t generation, const FramesChecksum& total) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(total.sum));
  auto s =
      db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!s) return s.status();
  s->bind(1, kRecordKey).bind(2, std::to_string(generation) + " " + hex);
  return s->run();
}

Result<int64_t> current_generation(const SqliteDb& db) {
  auto text = meta_text(db, "generation");
  if (!text) return text.status();
  const auto v = parse_i64(*text);
  if (!v) return Status(StatusCode::kCorrupt, "bank generation is not a number: '" + *text + "'", db.subject());
  return *v;
}

}  // namespace

void FramesChecksum::add_row(int64_t id, std::span<const uint8_t> hash, std::span<const uint8_t> inside_bars) {
  uint64_t h = mix64(static_cast<uint64_t>(id) ^ 0x6672616D65735F31ULL);
  h = mix_bytes(h, hash);
  h = inside_bars.empty() ? mix64(h ^ 0x6E6F5F6261727321ULL) : mix_bytes(h ^ 0x62617273ULL, inside_bars);
  sum += h;
}

Result<FramesChecksum> checksum_frames_after(const SqliteDb& db, int64_t after_id) {
  auto s = db.prepare("SELECT id, hash, inside_bars_hash FROM frames WHERE id > ? ORDER BY id");
  if (!s) return s.status();
  s->bind(1, after_id);
  FramesChecksum c;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    c.add_row(s->column_int(0), s->column_blob(1), s->column_blob(2));
  }
  return c;
}

Result<std::optional<FramesChecksum>> recorded_frames_checksum(const SqliteDb& db, int64_t generation) {
  auto text = meta_text(db, kRecordKey);
  if (!text) return text.status();
  const auto record = parse_record(*text);
  if (!record || record->first != generation) return std::optional<FramesChecksum>();
  return std::optional<FramesChecksum>(record->second);
}

Status advance_frames_checksum(const SqliteDb& db, int64_t generation, const FramesChecksum& added) {
  auto before = recorded_frames_checksum(db, generation - 1);
  if (!before) return before.status();
  if (*before) {
    FramesChecksum total = **before;
    total.add(added);
    return write_record(db, generation, total);
  }
  auto all = checksum_frames_after(db, std::numeric_limits<int64_t>::min());
  if (!all) return all.status();
  return write_record(db, generation, *all);
}

Status record_frames_checksum_now(const SqliteDb& db) {
  auto txn = SqliteTransaction::begin(db, "BEGIN IMMEDIATE");
  if (!txn) return txn.status();
  auto generation = current_generation(db);
  if (!generation) return generation.status();
  auto all = checksum_frames_after(db, std::numeric_limits<int64_t>::min());
  if (!all) return all.status();
  VHM_RETURN_IF_ERROR(write_record(db, *generation, *all));
  return txn->commit();
}

Result<bool> refresh_stale_frames_checksum(const SqliteDb& db, int busy_timeout_ms) {
  {
    auto txn = SqliteTransaction::begin(db, "BEGIN");
    if (!txn) return txn.status();
    auto generation = current_generation(db);
    if (!generation) return generation.status();
    auto recorded = recorded_frames_checksum(db, *generation);
    if (!recorded) return recorded.status();
    VHM_RETURN_IF_ERROR(txn->commit());
    if (*recorded) return true;
  }
  // Stale: recompute under the write lock, without waiting for it.
  struct RestoreTimeout {
    const SqliteDb& db;
    int ms;
    ~RestoreTimeout() { sqlite3_busy_timeout(db.get(), ms); }
  } restore{db, busy_timeout_ms};
  sqlite3_busy_timeout(db.get(), 0);
  auto txn = SqliteTransaction::begin(db, "BEGIN IMMEDIATE");
  if (!txn) return false;  // an add holds it (and records the checksum itself), or the file is read-only
  auto generation = current_generation(db);
  if (!generation) return generation.status();
  auto recorded = recorded_frames_checksum(db, *generation);
  if (!recorded) return recorded.status();
  if (!*recorded) {
    auto all = checksum_frames_after(db, std::numeric_limits<int64_t>::min());
    if (!all) return all.status();
    VHM_RETURN_IF_ERROR(write_record(db, *generation, *all));
  }
  VHM_RETURN_IF_ERROR(txn->commit());
  return true;
}

}  // namespace vhm
