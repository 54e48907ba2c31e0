// VectorIndex ("flat-ip"): every search answers what a brute-force scan of inner
// products answers (scores, order, the min-score cut and max_k), removals are honoured,
// and bad shapes and specs are refused. The approximate ones ("hnsw<M>", "ivf<NLIST>")
// find the exact top hit of queries near a held vector, never return a removed id, and
// keep max_k live answers when removed rows crowd the best ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "index/faiss_util.h"
#include "index/index_faiss_hnsw_ip.h"
#include "index/vector_index.h"

namespace vhm {
namespace {

std::vector<float> random_vectors(size_t n, int d, std::mt19937_64& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(n * d);
  for (float& e : v) e = g(rng);
  return v;
}

// Brute force: (score, id) of every held vector, best first.
std::vector<VectorHit> scan(const std::vector<float>& vectors, const std::vector<int64_t>& ids,
                            const std::vector<bool>& held, std::span<const float> q, int d, float min_score,
                            int max_k) {
  std::vector<VectorHit> all;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!held[i]) continue;
    float s = 0;
    for (int k = 0; k < d; ++k) s += vectors[i * d + k] * q[k];
    if (s >= min_score) all.push_back({0, ids[i], s});
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  if (static_cast<int>(all.size()) > max_k) all.resize(max_k);
  return all;
}

TEST(VectorIndex, FlatIpAgreesWithABruteForceScan) {
  for (int d : {1, 7, 256}) {
    std::mt19937_64 rng(d);
    const size_t n = 300;
    const auto vectors = random_vectors(n, d, rng);
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i * 3 + 1000);
    auto index = make_vector_index("flat-ip", d);
    ASSERT_TRUE(index) << index.status().to_string();
    ASSERT_TRUE((*index)->add(ids, vectors).is_ok());
    EXPECT_EQ((*index)->size(), n);
    std::vector<bool> held(n, true);
    for (size_t i = 0; i < n; i += 4) held[i] = false;
    std::vector<int64_t> gone;
    for (size_t i = 0; i < n; i += 4) gone.push_back(ids[i]);
    ASSERT_TRUE((*index)->remove(gone).is_ok());
    EXPECT_EQ((*index)->size(), n - gone.size());
    const auto queries = random_vectors(5, d, rng);
    for (float min_score : {-1e9f, 0.0f, 2.0f})
      for (int max_k : {1, 10, 1000}) {
        std::vector<VectorHit> hits;
        ASSERT_TRUE((*index)->search(queries, min_score, max_k, hits).is_ok());
        size_t at = 0;
        for (uint32_t q = 0; q < 5; ++q) {
          const auto want = scan(vectors, ids, held, std::span(queries).subspan(q * d, d), d, min_score, max_k);
          for (const VectorHit& w : want) {
            ASSERT_LT(at, hits.size());
            EXPECT_EQ(hits[at].query, q);
            EXPECT_NEAR(hits[at].score, w.score, 1e-3f * (1 + std::abs(w.score)));
            ++at;
          }
        }
        EXPECT_EQ(at, hits.size()) << "d " << d << " min " << min_score << " k " << max_k;
      }
  }
}

TEST(VectorIndex, RefusesBadShapesAndSpecs) {
  for (const char* spec : {"hnsw-ip",
                           "hnsw",
                           "hnsw3",
                           "hnsw257",
                           "hnsw32x",
                           "hnsw32,",
                           "hnsw32,ef",
                           "hnsw32,ef=0",
                           "hnsw32,ef=12a",
                           "hnsw32,nprobe=4",
                           "hnsw32,ef=8,ef=9",
                           "ivf",
                           "ivf0",
                           "ivf-4",
                           "ivf16,ef=3",
                           "ivf16,nprobe",
                           "ivf16,nprobe=0",
                           "flat",
                           "FLAT-IP",
                           ""}) {
    auto made = make_vector_index(spec, 4);
    ASSERT_FALSE(made) << spec;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument) << spec;
  }
  EXPECT_FALSE(make_vector_index("hnsw32", 0));
  EXPECT_FALSE(make_vector_index("ivf16", 0));
  EXPECT_FALSE(make_vector_index("flat-ip", 0));
  auto index = make_vector_index("flat-ip", 4);
  ASSERT_TRUE(index);
  const std::vector<int64_t> ids{1, 2};
  EXPECT_EQ((*index)->add(ids, std::vector<float>(7)).code(), StatusCode::kInvalidArgument);
  std::vector<VectorHit> hits;
  EXPECT_EQ((*index)->search(std::vector<float>(5), 0, 1, hits).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*index)->search(std::vector<float>(4), 0, 1, hits).is_ok()) << "an empty index finds nothing";
  EXPECT_TRUE(hits.empty());
  EXPECT_TRUE((*index)->remove(ids).is_ok()) << "ids not held are ignored";
}

std::vector<float> normalized_rows(std::vector<float> v, int d) {
  for (size_t r = 0; r * d < v.size(); ++r) {
    double sum = 0;
    for (int k = 0; k < d; ++k) sum += double(v[r * d + k]) * v[r * d + k];
    for (int k = 0; k < d; ++k) v[r * d + k] = static_cast<float>(v[r * d + k] / std::sqrt(sum));
  }
  return v;
}

// Held vector `row` moved a little (cosine about 0.99 with it).
std::vector<float> near(const std::vector<float>& vectors, size_t row, int d, std::mt19937_64& rng) {
  std::normal_distribution<float> g(0.0f, 0.1f / std::sqrt(static_cast<float>(d)));
  std::vector<float> q(vectors.begin() + row * d, vectors.begin() + (row + 1) * d);
  for (float& e : q) e += g(rng);
  return normalized_rows(q, d);
}

TEST(VectorIndex, ApproximateIndexesFindTheExactTopHitNearAHeldVector) {
  // One FAISS thread: HNSW's parallel add links nodes in a thread-timing order, so its
  // graph (and an approximate answer) would differ from run to run.
  faiss_util::ScopedThreads one_thread(1);
  const int d = 64;
  const size_t n = 3000;
  for (const char* spec : {"hnsw16", "hnsw32,ef=64", "hnsw8,ef=16,efc=20", "ivf32,nprobe=4", "ivf16"}) {
    std::mt19937_64 rng(7);
    const auto vectors = normalized_rows(random_vectors(n, d, rng), d);
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i * 7 + 5);
    auto exact = make_vector_index("flat-ip", d);
    auto approx = make_vector_index(spec, d);
    ASSERT_TRUE(approx) << approx.status().to_string();
    EXPECT_FALSE((*approx)->exact()) << spec;
    EXPECT_EQ((*approx)->dimension(), d);
    EXPECT_EQ(make_vector_index((*approx)->spec(), d).value()->spec(), (*approx)->spec()) << "spec() is a spec";
    ASSERT_TRUE((*exact)->add(ids, vectors).is_ok());
    // Added in three parts: IVF trains on the add that reaches 39 * NLIST.
    for (size_t from : {size_t{0}, size_t{100}, size_t{1500}}) {
      const size_t to = from == 0 ? 100 : from == 100 ? 1500 : n;
      ASSERT_TRUE(
          (*approx)
              ->add(std::span(ids).subspan(from, to - from), std::span(vectors).subspan(from * d, (to - from) * d))
              .is_ok());
    }
    EXPECT_EQ((*approx)->size(), n);
    EXPECT_GT((*approx)->memory_bytes(), n * d * sizeof(float));
    std::vector<int64_t> gone;
    for (size_t i = 0; i < n; i += 10) gone.push_back(ids[i]);
    ASSERT_TRUE((*exact)->remove(gone).is_ok());
    ASSERT_TRUE((*approx)->remove(gone).is_ok());
    EXPECT_EQ((*approx)->size(), n - gone.size());
    for (size_t row = 1; row < n; row += 37) {
      const auto q = near(vectors, row, d, rng);
      std::vector<VectorHit> want, got;
      ASSERT_TRUE((*exact)->search(q, 0.5f, 5, want).is_ok());
      ASSERT_TRUE((*approx)->search(q, 0.5f, 5, got).is_ok());
      const bool held = row % 10 != 0;
      ASSERT_EQ(want.size(), held ? 1u : 0u) << "random 64-d vectors are far apart";
      ASSERT_EQ(got.size(), want.size()) << spec << " row " << row;
      if (held) {
        EXPECT_EQ(got[0].id, ids[row]) << spec;
        EXPECT_NEAR(got[0].score, want[0].score, 1e-4f) << spec;
      }
    }
    // A removed vector is never an answer, even to itself.
    for (size_t i = 0; i < n; i += 50) {
      std::vector<VectorHit> got;
      ASSERT_TRUE((*approx)->search(std::span(vectors).subspan(i * d, d), -1.0f, 20, got).is_ok());
      EXPECT_EQ(got.size(), 20u) << spec;
      for (const VectorHit& h : got) EXPECT_NE(h.id, ids[i]) << spec;
    }
  }
}

TEST(VectorIndex, IvfIsAnExactScanUntilTrained) {
  const int d = 8;
  std::mt19937_64 rng(3);
  const size_t n = 100;  // below 39 * 16
  const auto vectors = random_vectors(n, d, rng);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i + 1);
  auto index = make_vector_index("ivf16,nprobe=1", d);
  ASSERT_TRUE(index);
  ASSERT_TRUE((*index)->add(ids, vectors).is_ok());
  const std::vector<bool> held(n, true);
  const auto queries = random_vectors(3, d, rng);
  std::vector<VectorHit> hits;
  ASSERT_TRUE((*index)->search(queries, -1e9f, 1000, hits).is_ok());
  ASSERT_EQ(hits.size(), 3 * n) << "every held vector, for each query";
  for (uint32_t q = 0; q < 3; ++q) {
    const auto want = scan(vectors, ids, held, std::span(queries).subspan(q * d, d), d, -1e9f, 1000);
    for (size_t j = 0; j < n; ++j) EXPECT_EQ(hits[q * n + j].id, want[j].id);
  }
}

TEST(VectorIndex, HnswKeepsMaxKLiveAnswersPastRemovedOnesAndCompacts) {
  faiss_util::ScopedThreads one_thread(1);  // a graph the same every run
  const int d = 32;
  std::mt19937_64 rng(11);
  // A cluster of 400 near-duplicates of one base among 2000 random vectors.
  const size_t cluster = 400, n = 2400;
  auto vectors = normalized_rows(random_vectors(n, d, rng), d);
  const std::vector<float> base(vectors.begin(), vectors.begin() + d);
  for (size_t i = 1; i < cluster; ++i) {
    const auto v = near(vectors, 0, d, rng);
    std::copy(v.begin(), v.end(), vectors.begin() + i * d);
  }
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(1000 + i);
  auto index = make_vector_index("hnsw16,ef=64", d);
  ASSERT_TRUE(index);
  ASSERT_TRUE((*index)->add(ids, vectors).is_ok());
  // Remove the 300 cluster members nearest the base: the walk meets them first.
  auto exact = make_vector_index("flat-ip", d);
  ASSERT_TRUE((*exact)->add(ids, vectors).is_ok());
  std::vector<VectorHit> ranked;
  ASSERT_TRUE((*exact)->search(base, 0.9f, 300, ranked).is_ok());
  ASSERT_EQ(ranked.size(), 300u);
  std::vector<int64_t> gone;
  for (const auto& h : ranked) gone.push_back(h.id);
  ASSERT_TRUE((*index)->remove(gone).is_ok());
  ASSERT_TRUE((*exact)->remove(gone).is_ok());
  std::vector<VectorHit> want, got;
  ASSERT_TRUE((*exact)->search(base, 0.9f, 20, want).is_ok());
  ASSERT_TRUE((*index)->search(base, 0.9f, 20, got).is_ok());
  ASSERT_EQ(want.size(), 20u);
  ASSERT_EQ(got.size(), 20u) << "removed rows must not shorten the answer";
  for (const VectorHit& h : got) EXPECT_EQ(std::count(gone.begin(), gone.end(), h.id), 0);
  for (size_t j = 1; j < got.size(); ++j) EXPECT_GE(got[j - 1].score, got[j].score) << "best first";
  // Removing most of the rest rebuilds the graph: the live ones are still found.
  std::vector<int64_t> more;
  for (size_t i = cluster; i < n; ++i)
    if (i % 5 != 0) more.push_back(ids[i]);
  ASSERT_TRUE((*index)->remove(more).is_ok());
  auto& hnsw = dynamic_cast<IndexFaissHnswIp&>(**index);
  EXPECT_EQ(hnsw.removed_rows(), 0u) << "compacted once removed rows outnumber live ones";
  EXPECT_EQ((*index)->size(), n - gone.size() - more.size());
  {
    std::vector<VectorHit> all_want, all_got;
    ASSERT_TRUE((*exact)->remove(more).is_ok());
    ASSERT_TRUE((*exact)->search(base, 0.9f, 1000, all_want).is_ok());
    ASSERT_TRUE((*index)->search(base, 0.9f, 1000, all_got).is_ok());
    ASSERT_EQ(all_want.size(), cluster - gone.size());
    ASSERT_EQ(all_got.size(), all_want.size()) << "every live cluster member, after the rebuild";
    auto sorted_ids = [](std::vector<VectorHit> v) {
      std::vector<int64_t> out;
      for (const auto& h : v) out.push_back(h.id);
      std::sort(out.begin(), out.end());
      return out;
    };
    EXPECT_EQ(sorted_ids(all_got), sorted_ids(all_want));
  }
  // The random live vectors find themselves (approximately: a walk that starts in the
  // tight cluster may stay there, so 90% of them at least).
  size_t queried = 0, found = 0;
  for (size_t i = cluster; i < n; i += 5) {
    std::vector<VectorHit> top;
    ASSERT_TRUE((*index)->search(std::span(vectors).subspan(i * d, d), 0.99f, 1, top).is_ok());
    ++queried;
    found += top.size() == 1 && top[0].id == ids[i];
  }
  EXPECT_GE(found * 10, queried * 9) << found << " of " << queried;
  // An id added again after its removal is found with its new vector.
  ASSERT_TRUE((*index)->add(std::span(ids).subspan(1, 1), base).is_ok());
  std::vector<VectorHit> again;
  ASSERT_TRUE((*index)->search(base, 0.9999f, 5, again).is_ok());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, ids[1]);
}

}  // namespace
}  // namespace vhm
