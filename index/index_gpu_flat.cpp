#include "index/index_gpu_flat.h"

#include "index/search_util.h"
#include "kernels/hamming_cuda.h"

namespace vhm {

IndexGpuFlat::IndexGpuFlat(std::unique_ptr<gpu::HammingCudaScanner> scanner) : scanner_(std::move(scanner)) {}
IndexGpuFlat::~IndexGpuFlat() = default;

Result<std::unique_ptr<IndexGpuFlat>> IndexGpuFlat::create(int device) {
  auto scanner = gpu::HammingCudaScanner::create(device);
  if (!scanner) return scanner.status();
  return std::unique_ptr<IndexGpuFlat>(new IndexGpuFlat(std::move(scanner).value()));
}

size_t IndexGpuFlat::memory_bytes() const {
  return codes_.capacity() * sizeof(Hash256) + ids_.capacity() * sizeof(HashId);
}

Status IndexGpuFlat::add(std::span<const Hash256> codes, std::span<const HashId> ids) {
  VHM_RETURN_IF_ERROR(index_detail::check_add(codes, ids, codes_.size()));
  if (codes.empty()) return Status::ok();
  codes_.insert(codes_.end(), codes.begin(), codes.end());
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  std::lock_guard lock(mutex_);
  return scanner_->set_codes(codes_.data(), codes_.size());
}

Status IndexGpuFlat::remove(std::span<const HashId> ids) {
  const auto gone = index_detail::sorted_ids(ids);
  size_t w = 0;
  for (size_t r = 0; r < codes_.size(); ++r) {
    if (index_detail::contains(gone, ids_[r])) continue;
    codes_[w] = codes_[r];
    ids_[w] = ids_[r];
    ++w;
  }
  if (w == codes_.size()) return Status::ok();
  codes_.resize(w);
  ids_.resize(w);
  std::lock_guard lock(mutex_);
  return scanner_->set_codes(codes_.data(), codes_.size());
}

Status IndexGpuFlat::range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                                  const SearchOptions&) const {
  if (max_distance < 0 || queries.empty() || codes_.empty()) return Status::ok();
  const std::vector<int32_t> bounds(queries.size(), std::min(max_distance, 256));
  std::vector<gpu::HammingHit> found;
  {
    std::lock_guard lock(mutex_);
    VHM_RETURN_IF_ERROR(scanner_->range_search(queries.data(), queries.size(), bounds.data(), found));
  }
  hits.reserve(hits.size() + found.size());
  for (const auto& h : found) hits.push_back({h.query, h.distance, ids_[h.row]});
  return Status::ok();
}

Status IndexGpuFlat::knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                         const SearchOptions&) const {
  VHM_RETURN_IF_ERROR(index_detail::check_k(k));
  neighbors.assign(queries.size() * static_cast<size_t>(k), Neighbor{});
  if (k == 0 || queries.empty() || codes_.empty()) return Status::ok();
  std::vector<uint32_t> counts;
  std::vector<gpu::HammingHit> found;
  std::vector<int32_t> bounds(queries.size(), 256);
  {
    std::lock_guard lock(mutex_);
    VHM_RETURN_IF_ERROR(scanner_->histograms(queries.data(), queries.size(), counts));
    for (size_t q = 0; q < queries.size(); ++q) {
      uint64_t sum = 0;
      for (int d = 0; d <= 256; ++d)
        if ((sum += counts[q * 257 + d]) >= static_cast<uint64_t>(k)) {
          bounds[q] = d;
          break;
        }
    }
    VHM_RETURN_IF_ERROR(scanner_->range_search(queries.data(), queries.size(), bounds.data(), found));
  }
  std::vector<Neighbor> best;
  for (size_t i = 0, q = 0; q < queries.size(); ++q) {
    best.clear();
    for (; i < found.size() && found[i].query == q; ++i) best.push_back({ids_[found[i].row], found[i].distance});
    index_detail::finish_knn_slice(best, k, neighbors.data() + q * static_cast<size_t>(k));
  }
  return Status::ok();
}

Status IndexGpuFlat::save(const std::string& path) const {
  return index_file::write_file(path, spec(), codes_.size(), [&](index_file::Writer& w) {
    VHM_RETURN_IF_ERROR(w.write_vector(codes_));
    return w.write_vector(ids_);
  });
}

Result<std::unique_ptr<IndexGpuFlat>> IndexGpuFlat::load(index_file::Reader& r) {
  auto created = create();
  if (!created) return created.status();
  auto index = std::move(created).value();
  VHM_RETURN_IF_ERROR(r.read_vector(index->codes_, r.header().count));
  VHM_RETURN_IF_ERROR(r.read_vector(index->ids_, r.header().count));
  if (index->codes_.size() != r.header().count || index->ids_.size() != r.header().count)
    return r.corrupt("code and id counts disagree with the header");
  VHM_RETURN_IF_ERROR(r.finish());
  VHM_RETURN_IF_ERROR(index->scanner_->set_codes(index->codes_.data(), index->codes_.size()));
  return index;
}

}  // namespace vhm
