#include "index/index_faiss_mih.h"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>

#include <cmath>

#include "index/faiss_util.h"
#include "index/index_faiss_flat.h"
#include "index/search_util.h"

namespace vhm {
namespace {

double ball(int bits, int r) {
  double s = 0, c = 1;
  for (int j = 0; j <= std::min(r, bits); ++j) {
    s += c;
    c = c * (bits - j) / (j + 1);
  }
  return s;
}

std::unique_ptr<faiss::IndexBinaryMultiHash> fresh(int tables, int bits) {
  return std::make_unique<faiss::IndexBinaryMultiHash>(Hash256::kBits, tables, bits);
}

}  // namespace

IndexFaissMih::IndexFaissMih(int bits) : bits_(bits), tables_(Hash256::kBits / bits), index_(fresh(tables_, bits_)) {}
IndexFaissMih::~IndexFaissMih() = default;

std::string IndexFaissMih::spec() const { return "faiss-mih:" + std::to_string(bits_); }

std::string IndexFaissMih::description() const {
  return spec() + " [" + std::to_string(tables_) + " tables x " + std::to_string(bits_) +
         " bits; at D=31: nflip=" + std::to_string(31 / tables_) + "]";
}

size_t IndexFaissMih::memory_bytes() const {
  // Storage, ids, and an estimate of the unordered_maps (node, bucket, vector, ids).
  size_t b = index_->storage->xb.capacity() + ids_.capacity() * sizeof(HashId);
  for (const auto& m : index_->maps) {
    b += m.bucket_count() * sizeof(void*) + m.size() * (48 + 16);
    for (const auto& [key, v] : m) b += v.capacity() * sizeof(faiss::IndexBinary::idx_t);
  }
  return b;
}

Status IndexFaissMih::add(std::span<const Hash256> codes, std::span<const HashId> ids) {
  VHM_RETURN_IF_ERROR(index_detail::check_add(codes, ids, size(), SIZE_MAX));
  if (codes.empty()) return Status::ok();
  VHM_RETURN_IF_ERROR(faiss_util::guarded(
      "add", [&] { index_->add(static_cast<faiss::IndexBinary::idx_t>(codes.size()), codes.front().bytes()); }));
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  return Status::ok();
}

Status IndexFaissMih::remove(std::span<const HashId> ids) {
  const auto gone = index_detail::sorted_ids(ids);
  if (gone.empty()) return Status::ok();
  // No remove_ids in IndexBinaryMultiHash, and reset() leaves its maps: start afresh.
  const uint8_t* xb = index_->storage->xb.data();
  std::vector<uint8_t> kept_codes;
  std::vector<HashId> kept_ids;
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (index_detail::contains(gone, ids_[i])) continue;
    kept_codes.insert(kept_codes.end(), xb + i * sizeof(Hash256), xb + (i + 1) * sizeof(Hash256));
    kept_ids.push_back(ids_[i]);
  }
  if (kept_ids.size() == ids_.size()) return Status::ok();
  auto next = fresh(tables_, bits_);
  VHM_RETURN_IF_ERROR(faiss_util::guarded("add", [&] {
    if (!kept_ids.empty()) next->add(static_cast<faiss::IndexBinary::idx_t>(kept_ids.size()), kept_codes.data());
  }));
  std::lock_guard lock(search_mutex_);
  index_ = std::move(next);
  ids_ = std::move(kept_ids);
  return Status::ok();
}

Status IndexFaissMih::range_search(std::span<const Hash256> queries, int max_distance, std::vector<RangeHit>& hits,
                                   const SearchOptions& options) const {
  if (max_distance < 0 || queries.empty() || ids_.empty()) return Status::ok();
  const int threads = index_detail::resolve_threads(options);
  const int nflip = max_distance / tables_;  // tables * (nflip + 1) > max_distance
  const double probes = tables_ * ball(bits_, nflip);
  const bool use_tables = !scan_fallback_ || (nflip <= bits_ && probes * 8 < static_cast<double>(ids_.size()));
  std::lock_guard lock(search_mutex_);
  if (!use_tables) return faiss_util::range_search(*index_->storage, queries, max_distance, &ids_, hits, threads);
  index_->nflip = std::min(nflip, bits_);
  return faiss_util::range_search(*index_, queries, max_distance, &ids_, hits, threads);
}

Status IndexFaissMih::knn(std::span<const Hash256> queries, int k, std::vector<Neighbor>& neighbors,
                          const SearchOptions& options) const {
  std::lock_guard lock(search_mutex_);
  return faiss_util::knn(*index_->storage, queries, k, &ids_, neighbors, index_detail::resolve_threads(options));
}

// The payload is vhm's own: the ids, a tag, then the codes; the hash tables are built
// again at load. It used to be FAISS's serialization of the IndexBinaryMultiHash, whose
// reader (FAISS 1.7.3) checks a map's bit counts with assert(): a crafted cache with a
// right checksum aborted every command that opened the bank (found by fuzz_index_file).
// Handing FAISS nothing but codes it is asked to add leaves it no file to misread.
namespace {
constexpr uint64_t kCodesTag = 0x53444F43484D4656ULL;  // "VFMHCODS": codes follow, tables are rebuilt
}  // namespace

Status IndexFaissMih::save(const std::string& path) const {
  return index_file::write_file(path, spec(), size(), [&](index_file::Writer& w) {
    VHM_RETURN_IF_ERROR(w.write_vector(ids_));
    VHM_RETURN_IF_ERROR(w.write_u64(kCodesTag));
    return w.write_vector(index_->storage->xb);
  });
}

Result<std::unique_ptr<IndexFaissMih>> IndexFaissMih::load(index_file::Reader& r, int bits) {
  auto index = std::make_unique<IndexFaissMih>(bits);
  VHM_RETURN_IF_ERROR(r.read_vector(index->ids_, r.header().count));
  uint64_t tag = 0;
  VHM_RETURN_IF_ERROR(r.read_u64(tag));
  if (tag != kCodesTag) return r.corrupt("not a faiss-mih payload of this vhm (an older one held FAISS's tables)");
  std::vector<uint8_t> codes;
  VHM_RETURN_IF_ERROR(r.read_vector(codes, r.header().count * sizeof(Hash256)));
  if (index->ids_.size() != r.header().count || codes.size() != index->ids_.size() * sizeof(Hash256))
    return r.corrupt("code and id counts disagree with the header");
  VHM_RETURN_IF_ERROR(r.finish());
  if (!index->ids_.empty())
    VHM_RETURN_IF_ERROR(faiss_util::guarded(
        "add", [&] { index->index_->add(static_cast<faiss::IndexBinary::idx_t>(index->ids_.size()), codes.data()); }));
  return index;
}

}  // namespace vhm
