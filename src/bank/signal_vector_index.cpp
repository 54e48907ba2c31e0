#include "bank/signal_vector_index.h"

#include <cmath>
#include <mutex>

#include "bank/content_signal_values.h"

namespace vhm {

SignalVectorIndex::SignalVectorIndex(BankStore& store, SignalId signal, std::string spec)
    : store_(store), signal_(signal), spec_(std::move(spec)) {}

std::vector<float> SignalVectorIndex::normalized(std::span<const float> v) {
  double sum = 0;
  for (float e : v) sum += static_cast<double>(e) * e;
  std::vector<float> out(v.begin(), v.end());
  if (sum > 0) {
    const double inv = 1.0 / std::sqrt(sum);
    for (float& e : out) e = static_cast<float>(e * inv);
  }
  return out;
}

Status SignalVectorIndex::sync() {
  auto version = store_.data_version();
  if (!version) return version.status();
  if (*version == synced_data_version_.load()) return Status::ok();
  std::unique_lock lock(mutex_);
  if (*version == synced_data_version_.load()) return Status::ok();  // another thread just did it
  return refresh_locked(*version);
}

Status SignalVectorIndex::refresh_locked(int64_t data_version) {
  auto reader = store_.begin_read(BankStore::ReadKind::kShort);
  if (!reader) return reader.status();
  BankStoreReader& read = **reader;
  auto generation = read.generation();
  if (!generation) return generation.status();
  if (*generation < generation_) {  // not the store this was read from: start over
    index_.reset();
    rows_of_content_.clear();
    max_signal_row_ = 0;
    generation_ = -1;
  }
  // The removals first: a content removed since has no row below to add either (the
  // scan reads it as removed), and the rows it had are dropped.
  if (generation_ >= 0) {
    auto removed = read.removed_after(generation_);
    if (!removed) return removed.status();
    std::vector<int64_t> rows;
    for (int64_t content : *removed) {
      auto it = rows_of_content_.find(content);
      if (it == rows_of_content_.end()) continue;
      rows.insert(rows.end(), it->second.begin(), it->second.end());
      rows_of_content_.erase(it);
    }
    if (index_) VHM_RETURN_IF_ERROR(index_->remove(rows));
  }
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t max_row = max_signal_row_;
  Status scanned = read.scan_signal_vectors(signal_, max_signal_row_, [&](const SignalVectorRow& row) -> Status {
    max_row = row.signal_row;
    if (row.content_removed) return Status::ok();
    const std::vector<float> v = floats_of(row.vector);
    if (v.empty()) return Status::ok();  // a damaged row (verify names it): nothing to compare with
    if (!index_) {
      auto made = make_vector_index(spec_, static_cast<int>(v.size()));
      if (!made) return made.status();
      index_ = std::move(made).value();
    }
    if (static_cast<int>(v.size()) != index_->dimension()) return Status::ok();  // incomparable with the rest
    const std::vector<float> unit = normalized(v);
    ids.push_back(row.signal_row);
    vectors.insert(vectors.end(), unit.begin(), unit.end());
    rows_of_content_[row.content_id].push_back(row.signal_row);
    return Status::ok();
  });
  if (!scanned.is_ok()) return scanned;
  if (index_) VHM_RETURN_IF_ERROR(index_->add(ids, vectors));
  VHM_RETURN_IF_ERROR(read.finish());
  max_signal_row_ = max_row;
  generation_ = *generation;
  synced_data_version_.store(data_version);
  return Status::ok();
}

Result<std::vector<VectorHit>> SignalVectorIndex::search(std::span<const float> query, float min_score,
                                                         int max_k) const {
  std::shared_lock lock(mutex_);
  std::vector<VectorHit> hits;
  if (!index_ || static_cast<int>(query.size()) != index_->dimension()) return hits;
  const std::vector<float> unit = normalized(query);
  VHM_RETURN_IF_ERROR(index_->search(unit, min_score, max_k, hits));
  return hits;
}

int64_t SignalVectorIndex::resident_vectors() const {
  std::shared_lock lock(mutex_);
  return index_ ? static_cast<int64_t>(index_->size()) : 0;
}

size_t SignalVectorIndex::memory_bytes() const {
  std::shared_lock lock(mutex_);
  return index_ ? index_->memory_bytes() : 0;
}

}  // namespace vhm
