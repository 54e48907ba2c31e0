#include "index/index_faiss_ivf.h"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryIVF.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/InvertedLists.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "index/faiss_util.h"
#include "index/hamming_scan.h"
#include "index/index_faiss_flat.h"
#include "index/search_util.h"

namespace vhm {

IndexFaissIvf::IndexFaissIvf(int nlist, int nprobe) : nlist_spec_(nlist), nprobe_(nprobe) {}
IndexFaissIvf::~IndexFaissIvf() = default;

std::string IndexFaissIvf::spec() const {
  std::string s = "ivf";
  if (nlist_spec_) {
    s += ':';
    s += std::to_string(nlist_spec_);
  }
  if (nprobe_ != 16) {
    s += nlist_spec_ ? ',' : ':';
    s += "nprobe=";
    s += std::to_string(nprobe_);
  }
  return s;
}

std::string IndexFaissIvf::description() const {
  if (!index_) return spec() + " [untrained]";
  return spec() + " [nlist=" + std::to_string(index_->nlist) + ", nprobe=" + std::to_string(index_->nprobe) + "]";
}

size_t IndexFaissIvf::size() const { return index_ ? static_cast<size_t>(index_->ntotal) : 0; }

size_t IndexFaissIvf::memory_bytes() const {
  if (!index_) return 0;
  // Codes and ids in the inverted lists, plus the centroids.
  return static_cast<size_t>(index_->ntotal) * (sizeof(Hash256) + sizeof(int64_t)) + index_->nlist * sizeof(Hash256);
}

Status IndexFaissIvf::add(std::span<const Hash256> codes, std::span<const HashId> ids) {
  VHM_RETURN_IF_ERROR(index_detail::check_add(codes, ids, size(), SIZE_MAX));
  if (codes.empty()) return Status::ok();
  if (!index_) {
    size_t nlist = static_cast<size_t>(nlist_spec_);
    if (nlist == 0) {
      const double root = std::sqrt(static_cast<double>(codes.size()));
      nlist = std::clamp<size_t>(std::bit_floor(static_cast<size_t>(root * 1.414)), 1, 2048);
    }
    if (codes.size() < nlist)
      return {StatusCode::kInvalidArgument, "ivf: the first add must bring at least nlist (" + std::to_string(nlist) +
                                                ") codes to train on, got " + std::to_string(codes.size())};
    // Train on an evenly strided sample of at most 40 codes per list.
    const size_t sample = std::min(codes.size(), nlist * 40);
    std::vector<Hash256> train(sample);
    for (size_t i = 0; i < sample; ++i) train[i] = codes[i * codes.size() / sample];
    auto quantizer = std::make_unique<faiss::IndexBinaryFlat>(Hash256::kBits);
    auto ivf = std::make_unique<faiss::IndexBinaryIVF>(quantizer.get(), Hash256::kBits, nlist);
    quantizer.release();
    ivf->own_fields = true;
    ivf->nprobe = static_cast<size_t>(std::min<int>(nprobe_, static_cast<int>(nlist)));
    ivf->cp.verbose = false;
    ivf->cp.niter = 10;
    ivf->cp.min_points_per_centroid = 1;  // small banks train quietly
    ivf->cp.max_points_per_centroid = 40;
    // Small samples train on one thread (OpenMP's spinning workers cost more than they give).
    faiss_util::ScopedThreads threads(sample < 50'000 ? 1 : omp_get_num_procs());
    VHM_RETURN_IF_ERROR(faiss_util::guarded(
        "train", [&] { ivf->train(static_cast<faiss::IndexBinary::idx_t>(sample), train.front().bytes()); }));
    index_ = std::move(ivf);
  }
  // Each code's list: its nearest centroid, found with vhm's scan kernels (FAISS's own
  // assignment, n x nlist distances without POPCNT, takes minutes at 10M codes).
  const auto* quantizer = dynamic_cast<const faiss::IndexBinaryFlat*>(index_->quantizer);
  if (!quantizer) return {StatusCode::kInternal, "ivf: quantizer is not an IndexBinaryFlat"};
  const auto* centroids = reinterpret_cast<const Hash256*>(quantizer->xb.data());
  const size_t nlist = static_cast<size_t>(quantizer->ntotal);
  std::vector<faiss::IndexBinary::idx_t> assign(codes.size());
  const auto& kern = hamming::kernels();
#pragma omp parallel
  {
    std::vector<uint16_t> d(nlist);
#pragma omp for schedule(static)
    for (size_t i = 0; i < codes.size(); ++i) {
      kern.distances(centroids, nlist, codes[i], d.data());
      assign[i] = std::min_element(d.begin(), d.end()) - d.begin();
    }
  }
  return faiss_util::guarded("add", [&] {
    index_->add_core(static_cast<faiss::IndexBinary::idx_t>(codes.size()), codes.front().bytes(), ids.data(),
                     assign.data());
  });
}

Status IndexFaissIvf::remove(std::span<const HashId> ids) {
  if (ids.empty() || !index_) return Status::ok();
  return faiss_util::guarded("remove_ids", [&] {
    faiss::IDSelectorBatch sel(ids.size(), ids.data());
    index_->remove_ids(sel);
  });
}

Status IndexFaissIvf::range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                                   const SearchOptions& options) const {
  if (!index_) return Status::ok();
  return faiss_util::range_search(*index_, queries, max_distance, nullptr, hits,
                                  index_detail::resolve_threads(options));
}

Status IndexFaissIvf::knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                          const SearchOptions& options) const {
  if (!index_) {
    VHM_RETURN_IF_ERROR(index_detail::check_k(k));
    neighbors.assign(queries.size() * static_cast<size_t>(k), Neighbor{});
    return Status::ok();
  }
  return faiss_util::knn(*index_, queries, k, nullptr, neighbors, index_detail::resolve_threads(options));
}

// The payload is vhm's own, as faiss-flat's and faiss-mih's: whether trained, then the
// centroids and each inverted list's ids and codes. FAISS's reader sized its inverted
// lists from counts in the file before reading them (each list's count times 32 bytes,
// zero-filled): a crafted cache made it allocate and touch all of memory. Here every
// length is checked against the file before anything is allocated, and FAISS is handed
// only centroids and entries to add.
namespace {
constexpr uint64_t kListsTag = 0x5354534C46564956ULL;  // "VIVFLSTS": centroids, then list by list
}  // namespace

Status IndexFaissIvf::save(const std::string& path) const {
  return index_file::write_file(path, spec(), size(), [&](index_file::Writer& w) {
    VHM_RETURN_IF_ERROR(w.write_u64(index_ ? 1 : 0));
    if (!index_) return Status::ok();
    const auto* quantizer = dynamic_cast<const faiss::IndexBinaryFlat*>(index_->quantizer);
    if (!quantizer) return Status(StatusCode::kInternal, "ivf: quantizer is not an IndexBinaryFlat");
    VHM_RETURN_IF_ERROR(w.write_u64(kListsTag));
    VHM_RETURN_IF_ERROR(w.write_u64(index_->nlist));
    VHM_RETURN_IF_ERROR(w.write_vector(quantizer->xb));
    const faiss::InvertedLists& lists = *index_->invlists;
    for (size_t l = 0; l < index_->nlist; ++l) {
      const size_t n = lists.list_size(l);
      faiss::InvertedLists::ScopedIds ids(&lists, l);
      faiss::InvertedLists::ScopedCodes codes(&lists, l);
      const std::vector<HashId> list_ids(ids.get(), ids.get() + n);
      const std::vector<uint8_t> list_codes(codes.get(), codes.get() + n * sizeof(Hash256));
      VHM_RETURN_IF_ERROR(w.write_vector(list_ids));
      VHM_RETURN_IF_ERROR(w.write_vector(list_codes));
    }
    return Status::ok();
  });
}

Result<std::unique_ptr<IndexFaissIvf>> IndexFaissIvf::load(index_file::Reader& r, int nlist, int nprobe) {
  auto index = std::make_unique<IndexFaissIvf>(nlist, nprobe);
  uint64_t trained = 0;
  VHM_RETURN_IF_ERROR(r.read_u64(trained));
  if (trained > 1) return r.corrupt("bad IVF flag");
  if (!trained) {
    if (r.header().count != 0) return r.corrupt("untrained IVF with codes");
    VHM_RETURN_IF_ERROR(r.finish());
    return index;
  }
  uint64_t tag = 0, lists = 0;
  VHM_RETURN_IF_ERROR(r.read_u64(tag));
  if (tag != kListsTag) return r.corrupt("not an ivf payload of this vhm (an older one held FAISS's index)");
  VHM_RETURN_IF_ERROR(r.read_u64(lists));
  if (lists == 0 || lists > r.remaining() / 16 || (nlist && lists != static_cast<uint64_t>(nlist)))
    return r.corrupt("an IVF list count that does not fit the file or the spec");
  std::vector<uint8_t> centroids;
  VHM_RETURN_IF_ERROR(r.read_vector(centroids, lists * sizeof(Hash256)));
  if (centroids.size() != lists * sizeof(Hash256)) return r.corrupt("centroids do not match the list count");
  auto quantizer = std::make_unique<faiss::IndexBinaryFlat>(Hash256::kBits);
  VHM_RETURN_IF_ERROR(faiss_util::guarded(
      "add centroids", [&] { quantizer->add(static_cast<faiss::IndexBinary::idx_t>(lists), centroids.data()); }));
  auto ivf = std::make_unique<faiss::IndexBinaryIVF>(quantizer.get(), Hash256::kBits, static_cast<size_t>(lists));
  quantizer.release();
  ivf->own_fields = true;
  ivf->is_trained = true;
  ivf->nprobe = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(std::max(nprobe, 1)), lists));
  uint64_t total = 0;
  for (uint64_t l = 0; l < lists; ++l) {
    std::vector<HashId> ids;
    std::vector<uint8_t> codes;
    VHM_RETURN_IF_ERROR(r.read_vector(ids, r.header().count - total));
    VHM_RETURN_IF_ERROR(r.read_vector(codes, ids.size() * sizeof(Hash256)));
    if (codes.size() != ids.size() * sizeof(Hash256)) return r.corrupt("an IVF list's codes and ids disagree");
    if (!ids.empty())
      VHM_RETURN_IF_ERROR(faiss_util::guarded("add entries", [&] {
        ivf->invlists->add_entries(static_cast<size_t>(l), ids.size(), ids.data(), codes.data());
      }));
    total += ids.size();
  }
  if (total != r.header().count) return r.corrupt("IVF lists hold another number of codes than the header");
  VHM_RETURN_IF_ERROR(r.finish());
  ivf->ntotal = static_cast<faiss::IndexBinary::idx_t>(total);
  index->index_ = std::move(ivf);
  return index;
}

}  // namespace vhm
