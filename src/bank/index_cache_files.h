// The bank's index cache on disk: index.vhmidx (a HashIndex file) and
// index.vhmidx.meta (JSON saying what the index reflects). Both are derived data that
// anything with write access to the directory may have replaced, so both are read as
// outside bytes: regular files only (a FIFO in their place must not block the open, a
// symlink to /dev/zero must not be read forever), the metadata bounded in size and
// parsed with parse_json_text(), every field type-checked. Anything wrong is a Status
// (kNotFound: absent; kUnsupported: a format this vhm does not use; kCorrupt: the
// rest), and the bank rebuilds the cache from SQLite; nothing here throws.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace vhm {

// index.vhmidx.meta's format. 2: the index also holds the frames' inside-bars codes and
// "inside_bars_count" says how many; a format-1 cache (bank format 1) is rebuilt.
inline constexpr int kIndexCacheMetaFormat = 2;
// No metadata vhm writes comes near this; a larger file is not one of them.
inline constexpr uint64_t kMaxIndexCacheMetaBytes = 64 * 1024;

// What index.vhmidx reflects, as the metadata records it.
struct IndexCacheMeta {
  int format = kIndexCacheMetaFormat;
  std::string spec;               // the index's factory string
  int64_t generation = 0;         // the bank generation it was built at
  int64_t max_frame_id = 0;       // it holds frames <= this (of the contents live then)
  int64_t count = 0;              // index ids: frames and inside-bars codes
  int64_t inside_bars_count = 0;  // inside-bars codes among them
  uint64_t ids_checksum = 0;      // order-independent checksum of the index ids
  // FramesChecksum (bank/frames_checksum.h) of every frame row <= max_frame_id it was
  // built from: what proves it was built from this database's hashes. Absent in caches
  // written before it was recorded (0 and has_frames_checksum false: stale).
  uint64_t frames_checksum = 0;
  bool has_frames_checksum = false;
  int64_t file_bytes = 0;  // index.vhmidx's size and checksum (index_cache_file_checksum)
  uint64_t file_checksum = 0;
  std::string written_at;
};

// Reads and checks the metadata file. kNotFound when absent, kUnsupported for format 1
// or an unknown format, kCorrupt (naming the field or the reason) for everything else.
Result<IndexCacheMeta> read_index_cache_meta(const std::string& path);

// Writes it to `path` (the caller renames it into place).
Status write_index_cache_meta(const std::string& path, const IndexCacheMeta& meta);

// The checksum of index.vhmidx's bytes, read only if it is a regular file of exactly
// `expected_bytes` (else kCorrupt without reading it; -1: any size, for a file just
// written). Returns its size and checksum.
struct FileChecksum {
  int64_t bytes = 0;
  uint64_t checksum = 0;
};
Result<FileChecksum> index_cache_file_checksum(const std::string& path, int64_t expected_bytes = -1);

// 16 lowercase hex digits, as the metadata writes checksums.
std::string hex64(uint64_t v);

}  // namespace vhm
