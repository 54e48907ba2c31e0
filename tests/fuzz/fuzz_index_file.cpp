// Index cache files (index/index_file.h, index/hash_index.h load_hash_index): the
// header vhm writes and every index's payload behind it (flat, MIH, faiss-flat,
// faiss-mih and ivf: each its own vhm payload, none read by FAISS's readers since issue
// 9). A bank's index.vhmidx is a cache that is checked, never trusted; a damaged one
// must be refused or rebuilt, not crash.
//
// Input: one mode byte, then the file. The header and payload checksums stop almost
// every mutation at the header, so the mode byte lets the fuzzer ask for them to be
// made right after mutating, and reach the payload parsers:
//   bit 0  payload_bytes := the file's size - 128     bit 1  payload_checksum := right
//   bit 2  header_checksum := right                   (applied in that order)
// The header layout below is index_file.cpp's RawHeader (a 128-byte header asserted
// there and here).
//
// Oracle: a file that loads answers a range search and a k-NN search without a crash,
// its hits naming query positions that exist.
//
// Seeds: a small index of every CPU spec, saved here (mode byte 7).
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fuzz/target_support.h"
#include "index/hash_index.h"
#include "index/index_file.h"

namespace {

using namespace vhm;
static_assert(index_file::kHeaderBytes == 128 && index_file::kMaxSpec == 79, "RawHeader layout changed");
constexpr size_t kPayloadBytesAt = 24, kPayloadChecksumAt = 32, kHeaderChecksumAt = 120;

std::string g_path;  // the file each input is written to

std::vector<Hash256> codes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> out(n);
  for (auto& h : out)
    for (auto& w : h.words) w = rng();
  // Near neighbours too, so that searches at small distances have hits.
  for (size_t i = 1; i < n; i += 2) {
    out[i] = out[i - 1];
    out[i].words[i % 4] ^= uint64_t{1} << (i % 64);
  }
  return out;
}

void put64(std::string& file, size_t at, uint64_t v) { std::memcpy(file.data() + at, &v, sizeof v); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  g_path = fuzz::scratch_dir() + "/index.vhmidx";
  std::vector<std::pair<std::string, std::string>> seeds;
  const std::vector<Hash256> all = codes(64, 7);
  std::vector<HashId> ids(all.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<HashId>(i * 3 + 1);
  for (const char* spec : {"flat", "faiss-flat", "faiss-mih", "faiss-mih:8", "mih", "mih:16x16", "mih:8x8", "ivf:4"}) {
    auto index = make_hash_index(spec);
    if (!index) fuzz::fail(std::string("make ") + spec + ": " + index.status().to_string());
    if (Status s = (*index)->add(all, ids); !s.is_ok()) fuzz::fail(std::string("add ") + spec + ": " + s.to_string());
    // A removed id leaves tombstones in the indexes that keep them.
    const HashId gone[] = {ids[5]};
    (void)(*index)->remove(gone);
    if (Status s = (*index)->save(g_path); !s.is_ok()) fuzz::fail(std::string("save ") + spec + ": " + s.to_string());
    std::string name = std::string("index-") + spec;
    for (char& c : name)
      if (c == ':') c = '_';
    seeds.emplace_back(name, "\x07" + fuzz::read_file(g_path));
  }
  fuzz::export_seeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (file.size() >= index_file::kHeaderBytes) {
    const uint64_t payload = file.size() - index_file::kHeaderBytes;
    if (mode & 1) put64(file, kPayloadBytesAt, payload);
    if (mode & 2)
      put64(file, kPayloadChecksumAt, index_file::checksum(file.data() + index_file::kHeaderBytes, payload));
    if (mode & 4) put64(file, kHeaderChecksumAt, index_file::checksum(file.data(), kHeaderChecksumAt));
  }
  fuzz::write_file(g_path, file);
  auto index = load_hash_index(g_path);
  if (!index) return 0;

  const std::vector<Hash256> queries = codes(4, 7);  // the first seeds' codes and near ones
  SearchOptions one_thread;
  one_thread.threads = 1;
  std::vector<RangeHit> hits;
  if ((*index)->range_search(queries, 31, hits, one_thread).is_ok())
    for (const RangeHit& h : hits)
      if (h.query >= queries.size()) fuzz::fail("a range hit for query " + std::to_string(h.query));
  std::vector<Neighbor> neighbors;
  if ((*index)->knn(queries, 3, neighbors, one_thread).is_ok() && neighbors.size() != queries.size() * 3)
    fuzz::fail("k-NN gave " + std::to_string(neighbors.size()) + " neighbours for 4 queries x 3");
  (void)(*index)->memory_bytes();
  return 0;
}
