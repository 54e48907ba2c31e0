// Banks, queries and the brute-force answer the index tests compare against.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/hash256.h"
#include "index/hash_index.h"

namespace vhm::index_test {

inline Hash256 random_code(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.words) w = rng();
  return h;
}

// `code` with exactly `d` distinct bits flipped.
inline Hash256 perturb(const Hash256& code, int d, std::mt19937_64& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  for (int i = 0; i < d; ++i) std::swap(bits[i], bits[i + rng() % (256 - i)]);
  Hash256 out = code;
  for (int i = 0; i < d; ++i) out.words[bits[i] >> 6] ^= uint64_t{1} << (bits[i] & 63);
  return out;
}

struct Bank {
  std::vector<Hash256> codes;
  std::vector<HashId> ids;
};

// Uniform random codes; ids are not row numbers (7 * i + 1000).
inline Bank random_bank(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bank b;
  for (size_t i = 0; i < n; ++i) {
    b.codes.push_back(random_code(rng));
    b.ids.push_back(static_cast<HashId>(7 * i + 1000));
  }
  return b;
}

// Clusters as real video frames make them: `centres` random codes, each with `per`
// near-duplicates at distances spread over 0..64 (exact duplicates among them), plus
// a biased substring (the first 32 bits mostly equal) that crowds some MIH buckets.
inline Bank clustered_bank(size_t centres, size_t per, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bank b;
  HashId id = 5;
  for (size_t c = 0; c < centres; ++c) {
    Hash256 centre = random_code(rng);
    centre.words[0] = (centre.words[0] & ~uint64_t{0xffffffff}) | (c % 3 == 0 ? 0x12345678u : (rng() & 0xffffffff));
    for (size_t j = 0; j < per; ++j) {
      const int d = j < 3 ? 0 : static_cast<int>(rng() % 65);
      b.codes.push_back(perturb(centre, d, rng));
      b.ids.push_back(id++);
    }
  }
  return b;
}

// Queries: bank codes moved by 0..64 bits (planted at known distances), and random ones.
inline std::vector<Hash256> make_queries(const Bank& bank, size_t planted, size_t random, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> q;
  for (size_t i = 0; i < planted && !bank.codes.empty(); ++i)
    q.push_back(perturb(bank.codes[rng() % bank.codes.size()], static_cast<int>(i % 65), rng));
  for (size_t i = 0; i < random; ++i) q.push_back(random_code(rng));
  return q;
}

using Triple = std::tuple<uint32_t, HashId, int32_t>;  // query, id, distance

inline std::vector<Triple> brute_force(const Bank& bank, const std::vector<Hash256>& queries, int max_distance) {
  std::vector<Triple> out;
  for (size_t q = 0; q < queries.size(); ++q)
    for (size_t i = 0; i < bank.codes.size(); ++i) {
      const int d = bank.codes[i].hamming(queries[q]);
      if (d <= max_distance) out.emplace_back(static_cast<uint32_t>(q), bank.ids[i], d);
    }
  std::sort(out.begin(), out.end());
  return out;
}

// The hits as sorted triples, after checking they come grouped by query in batch order.
inline std::vector<Triple> triples(const std::vector<RangeHit>& hits, bool* grouped = nullptr) {
  std::vector<Triple> out;
  bool ok = true;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i && hits[i].query < hits[i - 1].query) ok = false;
    out.emplace_back(hits[i].query, hits[i].id, hits[i].distance);
  }
  if (grouped) *grouped = ok;
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vhm::index_test
