// VectorIndex ("flat-ip"): every search answers what a brute-force scan of inner
// products answers (scores, order, the min-score cut and max_k), removals are honoured,
// and bad shapes and specs are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

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
  EXPECT_FALSE(make_vector_index("hnsw-ip", 4)) << "not built yet";
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

}  // namespace
}  // namespace vhm
