#include "index/index_faiss_hnsw_ip.h"

#include <algorithm>

#include <faiss/IndexHNSW.h>

#include "index/faiss_ip_search.h"

namespace vhm {

namespace {

std::unique_ptr<faiss::IndexHNSWFlat> new_graph(int dimension, int m, int ef_construction) {
  auto index = std::make_unique<faiss::IndexHNSWFlat>(dimension, m, faiss::METRIC_INNER_PRODUCT);
  index->hnsw.efConstruction = ef_construction;
  return index;
}

}  // namespace

IndexFaissHnswIp::IndexFaissHnswIp(int dimension, int m, int ef_search, int ef_construction)
    : dimension_(dimension),
      m_(m),
      ef_search_(ef_search),
      ef_construction_(ef_construction),
      index_(new_graph(dimension, m, ef_construction)) {}

IndexFaissHnswIp::~IndexFaissHnswIp() = default;

std::string IndexFaissHnswIp::spec() const {
  std::string s = "hnsw" + std::to_string(m_) + ",ef=" + std::to_string(ef_search_);
  if (ef_construction_ != 40) s += ",efc=" + std::to_string(ef_construction_);
  return s;
}

size_t IndexFaissHnswIp::memory_bytes() const {
  const size_t rows = id_of_row_.size();
  // Vectors; level-0 links (2M ints) and upper levels (about M ints a node on average);
  // levels and offsets; vhm's id table, removed flags and the id -> row hash map.
  return rows * (static_cast<size_t>(dimension_) * sizeof(float) + static_cast<size_t>(m_) * 3 * sizeof(int32_t) +
                 sizeof(int32_t) + sizeof(size_t) + sizeof(int64_t) + 1) +
         row_of_id_.size() * (2 * sizeof(int64_t) + 2 * sizeof(void*));
}

Status IndexFaissHnswIp::add(std::span<const int64_t> ids, std::span<const float> vectors) {
  VHM_RETURN_IF_ERROR(faiss_util::check_added_vectors(ids, vectors, dimension_));
  if (ids.empty()) return Status::ok();
  VHM_RETURN_IF_ERROR(
      faiss_util::guarded("add", [&] { index_->add(static_cast<faiss::Index::idx_t>(ids.size()), vectors.data()); }));
  for (int64_t id : ids) {
    const int64_t row = static_cast<int64_t>(id_of_row_.size());
    id_of_row_.push_back(id);
    removed_.push_back(0);
    auto [it, inserted] = row_of_id_.emplace(id, row);
    if (!inserted) {  // held already (the caller's mistake): the newer vector wins, found once
      removed_[static_cast<size_t>(it->second)] = 1;
      ++removed_count_;
      it->second = row;
    }
  }
  return Status::ok();
}

Status IndexFaissHnswIp::remove(std::span<const int64_t> ids) {
  for (int64_t id : ids) {
    auto it = row_of_id_.find(id);
    if (it == row_of_id_.end()) continue;
    removed_[static_cast<size_t>(it->second)] = 1;
    ++removed_count_;
    row_of_id_.erase(it);
  }
  if (removed_count_ > 1024 && removed_count_ > row_of_id_.size()) return rebuild();
  return Status::ok();
}

Status IndexFaissHnswIp::rebuild() {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  ids.reserve(row_of_id_.size());
  vectors.resize(row_of_id_.size() * static_cast<size_t>(dimension_));
  for (size_t row = 0; row < id_of_row_.size(); ++row) {
    if (removed_[row]) continue;
    index_->reconstruct(static_cast<faiss::Index::idx_t>(row), vectors.data() + ids.size() * dimension_);
    ids.push_back(id_of_row_[row]);
  }
  index_ = new_graph(dimension_, m_, ef_construction_);
  id_of_row_.clear();
  removed_.clear();
  row_of_id_.clear();
  removed_count_ = 0;
  return add(ids, vectors);
}

Status IndexFaissHnswIp::search(std::span<const float> queries, float min_score, int max_k,
                                std::vector<VectorHit>& hits) const {
  auto whole = faiss_util::whole_queries(queries, dimension_);
  if (!whole) return whole.status();
  const size_t n = *whole;
  const int64_t rows = index_->ntotal;
  if (n == 0 || max_k <= 0 || row_of_id_.empty()) return Status::ok();
  // Ask for max_k plus the removed rows that could stand in the way, at most all rows;
  // ask again with twice as many for the queries that came back short.
  int64_t k = std::min<int64_t>(
      rows, static_cast<int64_t>(max_k) +
                static_cast<int64_t>(std::min<size_t>(removed_count_, 4 * static_cast<size_t>(max_k))));
  std::vector<std::vector<VectorHit>> per_query(n);
  std::vector<size_t> pending(n);
  for (size_t q = 0; q < n; ++q) pending[q] = q;
  std::vector<float> batch, scores;
  std::vector<faiss::Index::idx_t> labels;
  while (!pending.empty()) {
    batch.resize(pending.size() * static_cast<size_t>(dimension_));
    for (size_t i = 0; i < pending.size(); ++i)
      std::copy_n(queries.data() + pending[i] * dimension_, dimension_, batch.data() + i * dimension_);
    scores.assign(pending.size() * static_cast<size_t>(k), 0);
    labels.assign(pending.size() * static_cast<size_t>(k), -1);
    faiss::SearchParametersHNSW params;
    params.efSearch = std::max<int>(ef_search_, static_cast<int>(k));
    VHM_RETURN_IF_ERROR(faiss_util::guarded("search", [&] {
      index_->search(static_cast<faiss::Index::idx_t>(pending.size()), batch.data(), k, scores.data(), labels.data(),
                     &params);
    }));
    std::vector<size_t> again;
    for (size_t i = 0; i < pending.size(); ++i) {
      const size_t q = pending[i];
      std::vector<VectorHit>& out = per_query[q];
      out.clear();
      bool below = false;  // the graph's answers went under min_score: nothing further to find
      int64_t answered = 0;
      for (int64_t j = 0; j < k; ++j) {
        const size_t at = i * static_cast<size_t>(k) + static_cast<size_t>(j);
        if (labels[at] < 0) break;
        ++answered;
        if (scores[at] < min_score) {
          below = true;
          break;
        }
        if (removed_[static_cast<size_t>(labels[at])]) continue;
        out.push_back({static_cast<uint32_t>(q), id_of_row_[static_cast<size_t>(labels[at])], scores[at]});
        if (static_cast<int>(out.size()) == max_k) break;
      }
      const bool short_answer = static_cast<int>(out.size()) < max_k && !below && answered == k && k < rows;
      if (short_answer) again.push_back(q);
    }
    pending = std::move(again);
    k = std::min<int64_t>(rows, 2 * k);
  }
  for (auto& out : per_query) {
    // The walk's order is best first already; a stable sort keeps it so on ties.
    std::stable_sort(out.begin(), out.end(), [](const VectorHit& a, const VectorHit& b) { return a.score > b.score; });
    hits.insert(hits.end(), out.begin(), out.end());
  }
  return Status::ok();
}

}  // namespace vhm
