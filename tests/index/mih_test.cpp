// vhm's MIH in particular: the layout it tunes, its unindexed tail and rebuilds, dead
// rows and compaction, the scan fallback; and the Hamming kernels it verifies with.
#include <gtest/gtest.h>

#include <cmath>

#include "index/hamming_scan.h"
#include "index/index_mih.h"
#include "index/index_test_util.h"

namespace vhm::index_test {
namespace {

std::vector<Triple> search(const HashIndex& index, const std::vector<Hash256>& queries, int d) {
  std::vector<RangeHit> hits;
  EXPECT_TRUE(index.range_search(queries, d, hits, {.threads = 1}).is_ok());
  return triples(hits);
}

TEST(MihLayout, TunedLayoutsArePigeonholeExactAndSized) {
  for (const size_t n : {size_t{0}, size_t{100}, size_t{10'000}, size_t{1'000'000}, size_t{10'000'000}}) {
    const MihLayout l = MihLayout::tuned(n);
    EXPECT_GE(l.tables, 1);
    EXPECT_LE(l.tables * l.bits, 256) << n;
    EXPECT_LE(l.bits, 28);
    // Per-table radii for D = 31: (a+1) tables at r, the rest at r-1; the bound holds.
    const int r = 31 / l.tables, a = 31 % l.tables;
    EXPECT_GT((a + 1) * (r + 1) + (l.tables - a - 1) * r, 31);
  }
  // Substrings near log2(n) bits for large banks (Norouzi et al.).
  EXPECT_NEAR(MihLayout::tuned(10'000'000).bits, std::log2(10'000'000.0), 2.0);
  EXPECT_NEAR(MihLayout::tuned(1'000'000).bits, std::log2(1'000'000.0), 2.0);
  const MihLayout l{16, 16};
  EXPECT_EQ(l.probes(31), 16 * 17);  // 16 tables, radius 1 each
  EXPECT_EQ(l.probes(15), 16);       // radius 0 each
  EXPECT_EQ(l.probes(16), 17 + 15);  // one table at radius 1, fifteen at 0
}

TEST(IndexMih, ManySmallAddsStayExact) {
  // Adds of 37 codes: a tail scanned exhaustively, rebuilt into the tables as it grows.
  const Bank bank = clustered_bank(60, 50, 61);
  IndexMih index;
  Bank so_far;
  for (size_t i = 0; i < bank.codes.size(); i += 37) {
    const size_t e = std::min(bank.codes.size(), i + 37);
    ASSERT_TRUE(index.add(std::span(bank.codes).subspan(i, e - i), std::span(bank.ids).subspan(i, e - i)).is_ok());
    so_far.codes.insert(so_far.codes.end(), bank.codes.begin() + i, bank.codes.begin() + e);
    so_far.ids.insert(so_far.ids.end(), bank.ids.begin() + i, bank.ids.begin() + e);
    if (i % (37 * 20) == 0) {
      const auto q = make_queries(so_far, 20, 2, i);
      ASSERT_EQ(search(index, q, 31), brute_force(so_far, q, 31)) << "after " << e;
    }
  }
  EXPECT_GT(index.layout().tables, 0);  // the tables were built on the way
  const auto q = make_queries(bank, 65, 5, 62);
  for (int d : {0, 12, 31, 50}) EXPECT_EQ(search(index, q, d), brute_force(bank, q, d)) << d;
}

TEST(IndexMih, TablesOnlyAtEveryRadiusAndForcedRebuild) {
  const Bank bank = random_bank(2000, 71);
  for (const MihLayout layout : {MihLayout{}, MihLayout{16, 16}, MihLayout{8, 20}, MihLayout{32, 8}}) {
    IndexMih index(layout);
    ASSERT_TRUE(index.add(bank.codes, bank.ids).is_ok());
    index.rebuild();
    index.set_scan_fallback(false);
    const auto q = make_queries(bank, 65, 3, 72);
    for (int d = 0; d <= 64; ++d) {
      if (index.layout().probes(d) > 5000) continue;  // keeps the test quick; the bound holds for all
      ASSERT_EQ(search(index, q, d), brute_force(bank, q, d)) << index.spec() << " D=" << d;
    }
  }
}

TEST(IndexMih, DeadRowsThenCompaction) {
  Bank bank = random_bank(4000, 81);
  IndexMih index;
  ASSERT_TRUE(index.add(bank.codes, bank.ids).is_ok());
  const size_t mem_before = index.memory_bytes();
  EXPECT_GT(mem_before, bank.codes.size() * 40);
  Bank kept = bank;
  // Remove 10% (kept as dead rows), then 30% more (compaction).
  for (const double share : {0.1, 0.3}) {
    std::vector<HashId> gone;
    Bank next;
    const size_t drop = static_cast<size_t>(share * static_cast<double>(bank.codes.size()));
    for (size_t i = 0; i < kept.codes.size(); ++i) {
      if (i < drop) gone.push_back(kept.ids[i]);
      else next.codes.push_back(kept.codes[i]), next.ids.push_back(kept.ids[i]);
    }
    ASSERT_TRUE(index.remove(gone).is_ok());
    kept = next;
    EXPECT_EQ(index.size(), kept.codes.size());
    const auto q = make_queries(bank, 65, 5, 82);  // queries near removed codes too
    for (int d : {0, 31, 64}) ASSERT_EQ(search(index, q, d), brute_force(kept, q, d)) << share << " D=" << d;
    std::vector<Neighbor> nn;
    ASSERT_TRUE(index.knn(q, 3, nn, {.threads = 1}).is_ok());
    for (size_t i = 0; i < q.size(); ++i) {
      std::vector<int> want;
      for (const auto& c : kept.codes) want.push_back(c.hamming(q[i]));
      std::sort(want.begin(), want.end());
      for (int k = 0; k < 3; ++k) EXPECT_EQ(nn[i * 3 + k].distance, want[k]);
    }
  }
}

TEST(IndexMih, TwoThreadsAgreeWithOne) {
  const Bank bank = clustered_bank(50, 40, 91);
  IndexMih index;
  ASSERT_TRUE(index.add(bank.codes, bank.ids).is_ok());
  const auto q = make_queries(bank, 200, 20, 92);
  std::vector<RangeHit> one, two;
  ASSERT_TRUE(index.range_search(q, 31, one, {.threads = 1}).is_ok());
  ASSERT_TRUE(index.range_search(q, 31, two, {.threads = 2}).is_ok());
  EXPECT_EQ(triples(one), triples(two));
  EXPECT_EQ(triples(one), brute_force(bank, q, 31));
}

TEST(HammingKernels, AgreeWithThePortableLoop) {
  const auto& fast = hamming::kernels();
  const auto& slow = hamming::portable_kernels();
  std::mt19937_64 rng(101);
  std::vector<Hash256> codes;
  const Hash256 q = random_code(rng);
  for (int i = 0; i < 1003; ++i) codes.push_back(perturb(q, static_cast<int>(rng() % 80), rng));
  for (int d : {0, 20, 40, 79, 256}) {
    std::vector<hamming::ScanHit> a, b;
    fast.range_scan(codes.data(), codes.size(), q, d, 5, a);
    slow.range_scan(codes.data(), codes.size(), q, d, 5, b);
    ASSERT_EQ(a.size(), b.size()) << fast.name << " D=" << d;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].row, b[i].row);
      EXPECT_EQ(a[i].distance, b[i].distance);
    }
  }
  std::vector<uint16_t> da(codes.size()), db(codes.size());
  fast.distances(codes.data(), codes.size(), q, da.data());
  slow.distances(codes.data(), codes.size(), q, db.data());
  EXPECT_EQ(da, db) << fast.name;
  std::vector<uint32_t> rows;
  for (int i = 0; i < 500; ++i) rows.push_back(static_cast<uint32_t>(rng() % codes.size()));
  std::vector<hamming::ScanHit> a, b;
  fast.verify_rows(codes.data(), rows.data(), rows.size(), q, 31, a);
  slow.verify_rows(codes.data(), rows.data(), rows.size(), q, 31, b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].row, b[i].row);
  // Each variant the CPU runs, not only the chosen one.
  for (const hamming::Kernels* k : {hamming::avx2_kernels(), hamming::avx512_kernels()}) {
    if (!k) continue;
    __builtin_cpu_init();
    if (k == hamming::avx512_kernels() &&
        !(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq")))
      continue;
    if (k == hamming::avx2_kernels() && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))) continue;
    std::vector<hamming::ScanHit> x, y;
    k->range_scan(codes.data(), codes.size(), q, 33, 0, x);
    slow.range_scan(codes.data(), codes.size(), q, 33, 0, y);
    ASSERT_EQ(x.size(), y.size()) << k->name;
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i].row, y[i].row) << k->name;
    std::vector<uint16_t> dx(codes.size());
    k->distances(codes.data(), codes.size(), q, dx.data());
    EXPECT_EQ(dx, db) << k->name;
  }
}

}  // namespace
}  // namespace vhm::index_test
