#include "index/index_faiss_flat.h"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/IDSelector.h>

#include "index/faiss_util.h"
#include "index/search_util.h"

namespace vhm {

namespace faiss_util {

Status range_search(const faiss::IndexBinary& index, std::span<const Hash256> queries, int max_distance,
                    const std::vector<HashId>* label_ids, std::vector<RangeHit>& hits, int threads) {
  if (max_distance < 0 || queries.empty() || index.ntotal == 0) return Status::ok();
  ScopedThreads scoped(threads);
  faiss::RangeSearchResult res(static_cast<faiss::IndexBinary::idx_t>(queries.size()));
  // FAISS keeps distances < radius: max_distance + 1 is "distance <= max_distance".
  VHM_RETURN_IF_ERROR(guarded("range_search", [&] {
    index.range_search(static_cast<faiss::IndexBinary::idx_t>(queries.size()), queries.front().bytes(),
                       max_distance + 1, &res);
  }));
  hits.reserve(hits.size() + res.lims[queries.size()]);
  for (size_t q = 0; q < queries.size(); ++q)
    for (size_t j = res.lims[q]; j < res.lims[q + 1]; ++j) {
      const faiss::IndexBinary::idx_t label = res.labels[j];
      const HashId id = label_ids ? (*label_ids)[static_cast<size_t>(label)] : label;
      hits.push_back({static_cast<uint32_t>(q), static_cast<int32_t>(res.distances[j]), id});
    }
  return Status::ok();
}

Status knn(const faiss::IndexBinary& index, std::span<const Hash256> queries, int k,
           const std::vector<HashId>* label_ids, std::vector<Neighbor>& neighbors, int threads) {
  VHM_RETURN_IF_ERROR(index_detail::check_k(k));
  const size_t n = queries.size() * static_cast<size_t>(k);
  neighbors.assign(n, Neighbor{});
  if (n == 0 || index.ntotal == 0) return Status::ok();
  ScopedThreads scoped(threads);
  std::vector<int32_t> distances(n);
  std::vector<faiss::IndexBinary::idx_t> labels(n);
  VHM_RETURN_IF_ERROR(guarded("search", [&] {
    index.search(static_cast<faiss::IndexBinary::idx_t>(queries.size()), queries.front().bytes(), k, distances.data(),
                 labels.data());
  }));
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<Neighbor> found;
    for (size_t j = q * k; j < (q + 1) * k; ++j)
      if (labels[j] >= 0)
        found.push_back({label_ids ? (*label_ids)[static_cast<size_t>(labels[j])] : labels[j], distances[j]});
    index_detail::finish_knn_slice(found, k, neighbors.data() + q * k);
  }
  return Status::ok();
}

}  // namespace faiss_util

namespace {
faiss::IndexBinaryIDMap* idmap(const std::unique_ptr<faiss::IndexBinary>& p) {
  return static_cast<faiss::IndexBinaryIDMap*>(p.get());
}
}  // namespace

IndexFaissFlat::IndexFaissFlat() {
  auto* map = new faiss::IndexBinaryIDMap(new faiss::IndexBinaryFlat(Hash256::kBits));
  map->own_fields = true;
  index_.reset(map);
}
IndexFaissFlat::~IndexFaissFlat() = default;

size_t IndexFaissFlat::size() const { return static_cast<size_t>(index_->ntotal); }

size_t IndexFaissFlat::memory_bytes() const {
  const auto* m = idmap(index_);
  const auto* flat = static_cast<const faiss::IndexBinaryFlat*>(m->index);
  return flat->xb.capacity() + m->id_map.capacity() * sizeof(faiss::IndexBinary::idx_t);
}

Status IndexFaissFlat::add(std::span<const Hash256> codes, std::span<const HashId> ids) {
  VHM_RETURN_IF_ERROR(index_detail::check_add(codes, ids, size(), SIZE_MAX));
  if (codes.empty()) return Status::ok();
  return faiss_util::guarded("add", [&] {
    index_->add_with_ids(static_cast<faiss::IndexBinary::idx_t>(codes.size()), codes.front().bytes(), ids.data());
  });
}

Status IndexFaissFlat::remove(std::span<const HashId> ids) {
  if (ids.empty()) return Status::ok();
  return faiss_util::guarded("remove_ids", [&] {
    faiss::IDSelectorBatch sel(static_cast<size_t>(ids.size()), ids.data());
    index_->remove_ids(sel);
  });
}

Status IndexFaissFlat::range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                                    const SearchOptions& options) const {
  return faiss_util::range_search(*index_, queries, max_distance, nullptr, hits,
                                  index_detail::resolve_threads(options));
}

Status IndexFaissFlat::knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                           const SearchOptions& options) const {
  return faiss_util::knn(*index_, queries, k, nullptr, neighbors, index_detail::resolve_threads(options));
}

// The payload is vhm's own, as faiss-mih's: the ids, a tag, then the codes, added to a
// fresh index at load. FAISS's own reader sizes its vectors from the file before it
// reads them (up to 2^40 elements, zero-filled): a crafted cache could make it allocate
// and touch gigabytes. Here every length is checked against the file first.
namespace {
constexpr uint64_t kCodesTag = 0x53444F434C464656ULL;  // "VFFLCODS": ids and codes, nothing of FAISS's
}  // namespace

Status IndexFaissFlat::save(const std::string& path) const {
  const auto* m = idmap(index_);
  const auto* flat = static_cast<const faiss::IndexBinaryFlat*>(m->index);
  return index_file::write_file(path, spec(), size(), [&](index_file::Writer& w) {
    VHM_RETURN_IF_ERROR(w.write_vector(m->id_map));
    VHM_RETURN_IF_ERROR(w.write_u64(kCodesTag));
    return w.write_vector(flat->xb);
  });
}

Result<std::unique_ptr<IndexFaissFlat>> IndexFaissFlat::load(index_file::Reader& r) {
  auto index = std::make_unique<IndexFaissFlat>();
  std::vector<HashId> ids;
  VHM_RETURN_IF_ERROR(r.read_vector(ids, r.header().count));
  uint64_t tag = 0;
  VHM_RETURN_IF_ERROR(r.read_u64(tag));
  if (tag != kCodesTag) return r.corrupt("not a faiss-flat payload of this vhm (an older one held FAISS's index)");
  std::vector<uint8_t> codes;
  VHM_RETURN_IF_ERROR(r.read_vector(codes, r.header().count * sizeof(Hash256)));
  if (ids.size() != r.header().count || codes.size() != ids.size() * sizeof(Hash256))
    return r.corrupt("code and id counts disagree with the header");
  VHM_RETURN_IF_ERROR(r.finish());
  if (!ids.empty())
    VHM_RETURN_IF_ERROR(faiss_util::guarded("add", [&] {
      index->index_->add_with_ids(static_cast<faiss::IndexBinary::idx_t>(ids.size()), codes.data(), ids.data());
    }));
  return index;
}

}  // namespace vhm
