#include "bank/sqlite_signals.h"

#include <algorithm>
#include <string>

#include "bank/content_signal_values.h"
#include "signal/signal_registry.h"

namespace vhm {

namespace {

Result<int64_t> count(const SqliteDb& db, const std::string& sql) { return db.query_int(sql); }

// The registry's whole-content signals of a family, as an SQL list of names.
std::string names_of(bool digests) {
  std::string out;
  for (const SignalType* s : builtin_signals().all()) {
    if (s->index_family() == IndexFamily::kHamming256) continue;
    if ((s->index_family() == IndexFamily::kExactDigest) != digests) continue;
    out += (out.empty() ? "'" : ", '") + std::string(s->name()) + "'";
  }
  return out.empty() ? "''" : out;
}

}  // namespace

Status sqlite_insert_content_signals(const SqliteDb& db, int64_t content_id, std::span<const ContentSignal> signals) {
  if (signals.empty()) return Status::ok();
  auto ins = db.prepare("INSERT INTO content_signals(content_id, signal, digest, value) VALUES(?,?,?,?)");
  if (!ins) return ins.status();
  auto vec = db.prepare("INSERT INTO content_signal_vectors(signal_row, content_id, signal, vector) VALUES(?,?,?,?)");
  if (!vec) return vec.status();
  for (const ContentSignal* c : distinct_signals(signals)) {
    const std::string name(signal_name(c->signal));
    ins->reset();
    ins->bind(1, content_id).bind(2, name);
    if (stored_as_digest(c->signal)) ins->bind_blob(3, c->value).bind_null(4);
    else ins->bind_null(3).bind_blob(4, c->value);
    VHM_RETURN_IF_ERROR(ins->run());
    const int64_t row = db.last_insert_rowid();
    const std::vector<uint8_t> vector = first_cut_vector_bytes(c->signal, c->value);
    if (vector.empty()) continue;
    vec->reset();
    vec->bind(1, row).bind(2, content_id).bind(3, name).bind_blob(4, vector);
    VHM_RETURN_IF_ERROR(vec->run());
  }
  return Status::ok();
}

Result<std::vector<int64_t>> sqlite_contents_with_digest(const SqliteDb& db, SignalId signal,
                                                         std::span<const uint8_t> digest) {
  // `digest = ?` lets SQLite use the partial index content_signals_digest (it implies
  // digest IS NOT NULL).
  auto s = db.prepare(
      "SELECT DISTINCT s.content_id FROM content_signals s JOIN contents c ON c.id = s.content_id "
      "WHERE s.signal = ? AND s.digest = ? AND c.removed_at IS NULL ORDER BY s.content_id");
  if (!s) return s.status();
  s->bind(1, signal_name(signal)).bind_blob(2, digest);
  std::vector<int64_t> ids;
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return ids;
    ids.push_back(s->column_int(0));
  }
}

Result<bool> sqlite_holds_live_digest(const SqliteDb& db, SignalId signal) {
  // `digest IS NOT NULL` keeps the scan on the partial index content_signals_digest; it
  // stops at the first live content.
  auto s = db.prepare(
      "SELECT EXISTS (SELECT 1 FROM content_signals s JOIN contents c ON c.id = s.content_id "
      "WHERE s.signal = ? AND s.digest IS NOT NULL AND c.removed_at IS NULL)");
  if (!s) return s.status();
  s->bind(1, signal_name(signal));
  auto row = s->step();
  if (!row) return row.status();
  return *row && s->column_int(0) != 0;
}

Status sqlite_read_content_signals(const SqliteDb& db, int64_t content_id, std::vector<ContentSignal>& signals) {
  signals.clear();
  auto s = db.prepare("SELECT signal, coalesce(digest, value) FROM content_signals WHERE content_id = ? ORDER BY id");
  if (!s) return s.status();
  s->bind(1, content_id);
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
    const auto id = parse_signal_name(s->column_text(0));
    if (!id) continue;
    const auto bytes = s->column_blob(1);
    signals.push_back({*id, std::vector<uint8_t>(bytes.begin(), bytes.end())});
  }
}

Status sqlite_scan_signal_vectors(const SqliteDb& db, SignalId signal, int64_t after_signal_row,
                                  const std::function<Status(const SignalVectorRow&)>& fn) {
  auto s = db.prepare(
      "SELECT v.signal_row, v.content_id, c.removed_at IS NOT NULL, v.vector FROM content_signal_vectors v "
      "JOIN contents c ON c.id = v.content_id WHERE v.signal = ? AND v.signal_row > ? ORDER BY v.signal_row");
  if (!s) return s.status();
  s->bind(1, signal_name(signal)).bind(2, after_signal_row);
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) return Status::ok();
    SignalVectorRow r;
    r.signal_row = s->column_int(0);
    r.content_id = s->column_int(1);
    r.content_removed = s->column_int(2) != 0;
    r.vector = s->column_blob(3);
    VHM_RETURN_IF_ERROR(fn(r));
  }
}

Result<std::optional<LiveSignalValue>> sqlite_live_signal_value(const SqliteDb& db, int64_t signal_row) {
  auto s = db.prepare(
      "SELECT s.content_id, coalesce(s.digest, s.value) FROM content_signals s JOIN contents c ON c.id = s.content_id "
      "WHERE s.id = ? AND c.removed_at IS NULL");
  if (!s) return s.status();
  s->bind(1, signal_row);
  auto row = s->step();
  if (!row) return row.status();
  if (!*row) return std::optional<LiveSignalValue>();
  const auto bytes = s->column_blob(1);
  return std::optional<LiveSignalValue>(LiveSignalValue{s->column_int(0), {bytes.begin(), bytes.end()}});
}

Status sqlite_signal_counts(const SqliteDb& db, StoreCounts& counts) {
  auto s = db.prepare(
      "SELECT s.signal, count(DISTINCT s.content_id), count(*) FROM content_signals s "
      "JOIN contents c ON c.id = s.content_id WHERE c.removed_at IS NULL GROUP BY s.signal ORDER BY s.signal");
  if (!s) return s.status();
  counts.signals.clear();
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    const auto id = parse_signal_name(s->column_text(0));
    if (!id) continue;  // verify names it
    counts.signals.push_back({*id, s->column_int(1), s->column_int(2)});
  }
  std::sort(counts.signals.begin(), counts.signals.end(),
            [](const auto& a, const auto& b) { return a.signal < b.signal; });
  auto bare = count(db, "SELECT count(*) FROM contents WHERE removed_at IS NULL AND frame_count = 0");
  if (!bare) return bare.status();
  counts.contents_without_frames = *bare;
  return Status::ok();
}

Result<SignalViolations> sqlite_signal_violations(const SqliteDb& db) {
  SignalViolations v;
  auto into = [&](int64_t& out, const std::string& sql) -> Status {
    auto n = count(db, sql);
    if (!n) return n.status();
    out = *n;
    return Status::ok();
  };
  const std::string digests = names_of(true), others = names_of(false);
  VHM_RETURN_IF_ERROR(into(v.of_missing_contents,
                           "SELECT (SELECT count(*) FROM content_signals s LEFT JOIN contents c ON c.id = s.content_id "
                           "WHERE c.id IS NULL) + (SELECT count(*) FROM content_signal_vectors v LEFT JOIN contents c "
                           "ON c.id = v.content_id WHERE c.id IS NULL)"));
  VHM_RETURN_IF_ERROR(into(v.of_unknown_signal, "SELECT count(*) FROM content_signals WHERE signal NOT IN (" + digests +
                                                    ", " + others + ")"));
  // A digest's size is its signal's (value_bytes), checked per signal.
  std::string sizes;
  for (const SignalType* s : builtin_signals().all())
    if (s->index_family() == IndexFamily::kExactDigest)
      sizes += " OR (signal = '" + std::string(s->name()) + "' AND (digest IS NULL OR typeof(digest) != 'blob' OR " +
               "length(digest) != " + std::to_string(s->value_bytes()) + "))";
  VHM_RETURN_IF_ERROR(into(v.malformed_digests, "SELECT count(*) FROM content_signals WHERE (signal IN (" + others +
                                                    ") AND digest IS NOT NULL)" + sizes));
  VHM_RETURN_IF_ERROR(into(v.duplicate_values,
                           "SELECT count(*) FROM (SELECT 1 FROM content_signals GROUP BY content_id, signal, "
                           "coalesce(digest, value) HAVING count(*) > 1)"));
  VHM_RETURN_IF_ERROR(into(v.videos_without_hashes,
                           "SELECT count(*) FROM contents c WHERE c.frame_count = 0 AND NOT EXISTS "
                           "(SELECT 1 FROM content_signals s WHERE s.content_id = c.id)"));
  // Each value that is no digest is read once: it must be what its signal says, and
  // its vector the one derived from it.
  auto s = db.prepare(
      "SELECT s.signal, s.value, v.vector, v.content_id = s.content_id FROM content_signals s "
      "LEFT JOIN content_signal_vectors v ON v.signal_row = s.id WHERE s.signal IN (" +
      others + ")");
  if (!s) return s.status();
  while (true) {
    auto row = s->step();
    if (!row) return row.status();
    if (!*row) break;
    ++v.values_checked;
    const auto id = parse_signal_name(s->column_text(0));
    const auto value = s->column_blob(1);
    if (!id || s->column_is_null(1) || !check_content_signal(*id, value).is_ok()) {
      ++v.malformed_values;
      continue;
    }
    const std::vector<uint8_t> want = first_cut_vector_bytes(*id, value);
    const auto have = s->column_blob(2);
    if (s->column_is_null(2) || s->column_int(3) == 0 ||
        !std::equal(want.begin(), want.end(), have.begin(), have.end()))
      ++v.vectors_not_matching;
  }
  auto digest_rows = count(db, "SELECT count(*) FROM content_signals WHERE signal IN (" + digests + ")");
  if (!digest_rows) return digest_rows.status();
  v.values_checked += *digest_rows;
  return v;
}

}  // namespace vhm
