// Helpers shared by the bank tests: temporary bank directories, random frames, the
// corpus's reference vPDQ files.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "bank/bank.h"
#include "core/hash256.h"
#include "hash/video_hasher.h"

namespace vhm::test {

class TempBankDir {
 public:
  TempBankDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("vhm_bank_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempBankDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string bank() const { return (path_ / "bank").string(); }

 private:
  std::filesystem::path path_;
};

inline Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.words) w = rng();
  return h;
}

// `bits` distinct random bits of h flipped.
inline Hash256 flip_bits(Hash256 h, int bits, std::mt19937_64& rng) {
  std::vector<int> order(256);
  for (int i = 0; i < 256; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int i = 0; i < bits; ++i) h.words[order[i] >> 6] ^= uint64_t{1} << (order[i] & 63);
  return h;
}

inline std::vector<FrameHash> random_frames(size_t n, std::mt19937_64& rng) {
  std::vector<FrameHash> frames(n);
  for (size_t i = 0; i < n; ++i) {
    frames[i].index = static_cast<int>(i);
    frames[i].pts_seconds = static_cast<double>(i) / 30.0;
    frames[i].quality = static_cast<int>(rng() % 101);
    frames[i].hash = random_hash(rng);
  }
  return frames;
}

// The first frame of each distinct hash, in order (what the bank stores).
inline std::vector<FrameHash> dedup_frames(const std::vector<FrameHash>& frames) {
  struct H {
    size_t operator()(const Hash256& h) const {
      return h.words[0] ^ (h.words[1] * 31) ^ (h.words[2] * 131) ^ h.words[3];
    }
  };
  std::unordered_set<Hash256, H> seen;
  std::vector<FrameHash> out;
  for (const auto& f : frames)
    if (seen.insert(f.hash).second) out.push_back(f);
  return out;
}

inline std::string vpdq_reference_dir(const std::string& corpus) {
  return corpus + "/threatexchange/vpdq/reference-debian12/every-frame";
}

inline std::vector<std::string> vpdq_reference_files(const std::string& corpus) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(vpdq_reference_dir(corpus)))
    if (e.path().extension() == ".txt") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Options for tests: no background thread unless a test asks for one.
inline BankOptions quiet_options() {
  BankOptions o;
  o.background_merge = false;
  o.busy_timeout_ms = 10000;
  return o;
}

// Opens a bank that must open (a failed expectation otherwise, and nullptr).
inline std::unique_ptr<Bank> open_ok(const std::string& dir, BankOptions options = quiet_options()) {
  auto b = Bank::open(dir, options);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return b ? std::move(b).value() : nullptr;
}

// Runs SQL on a bank's database directly (no vhm code in between): damage, as a bug
// elsewhere, a crash of another program or a hand edit would leave it.
class RawDb {
 public:
  explicit RawDb(const std::string& bank) {
    EXPECT_EQ(sqlite3_open((bank + "/" + kBankDatabaseFile).c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    while (s && sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out.emplace_back(
          t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, 0))) : "NULL");
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace vhm::test
