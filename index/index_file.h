// The file every HashIndex saves to: a fixed 128-byte header (magic, version, the
// factory spec, code count, payload size and a checksum of the payload, and a checksum
// of the header itself), then the index's own payload. Files are written beside the
// target and renamed into place, so a crash never leaves half an index under the name.
// Anything that does not add up (magic, sizes, checksums, a payload read past its end
// or not read to it) is kCorrupt, and so is a path that is not a regular file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace vhm::index_file {

inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 128;
inline constexpr size_t kMaxSpec = 79;

// A 64-bit streaming checksum (four multiply-rotate lanes over 32-byte blocks, then a
// final mix with the length): several GB/s, and any changed or moved byte shows.
class Checksum {
 public:
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  void block(const uint8_t* p);
  uint64_t lanes_[4] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0x27d4eb2f165667c5ull};
  uint8_t pending_[32] = {};
  size_t pending_size_ = 0;
  uint64_t total_ = 0;
};

uint64_t checksum(const void* data, size_t size);

// A file descriptor open for reading, closed when destroyed.
class ReadOnlyFile {
 public:
  ReadOnlyFile() = default;
  ReadOnlyFile(ReadOnlyFile&& o) noexcept : fd_(o.release()), size_(o.size_) {}
  ReadOnlyFile& operator=(ReadOnlyFile&& o) noexcept;
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }  // at open (fstat)
  int release() { return std::exchange(fd_, -1); }
  // Reads exactly `size` bytes (kCorrupt when the file ends first).
  Status read_exactly(void* data, size_t size, const std::string& path) const;

 private:
  friend Result<ReadOnlyFile> open_regular_file(const std::string& path);
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Opens `path` (symlinks followed) for reading only if it is a regular file. A cache
// file replaced by a FIFO must not block the open (it is opened O_NONBLOCK, then
// fstat()ed), and one replaced by a device (/dev/zero) must not be read forever: both
// are kCorrupt saying what the path is. kNotFound when it does not exist.
Result<ReadOnlyFile> open_regular_file(const std::string& path);

class Writer {
 public:
  Status write(const void* data, size_t size);
  Status write_u64(uint64_t v) { return write(&v, sizeof v); }
  template <typename T>
  Status write_vector(const std::vector<T>& v) {
    VHM_RETURN_IF_ERROR(write_u64(v.size()));
    return write(v.data(), v.size() * sizeof(T));
  }

 private:
  friend Status write_file(const std::string&, const std::string&, uint64_t, const std::function<Status(Writer&)>&);
  std::FILE* file_ = nullptr;
  Checksum checksum_;
  uint64_t bytes_ = 0;
};

// Writes header + body(writer) to `path` (through a temporary file and a rename).
Status write_file(const std::string& path, const std::string& spec, uint64_t count,
                  const std::function<Status(Writer&)>& body);

struct Header {
  std::string spec;
  uint64_t count = 0;
  uint64_t payload_bytes = 0;
  uint64_t payload_checksum = 0;
};

class Reader {
 public:
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Opens `path` and checks its header. The payload is checked as it is read, by
  // finish(), unless verify_payload() checked it all first.
  static Result<std::unique_ptr<Reader>> open(const std::string& path);
  // Reads the whole payload through the checksum now, before any of it is parsed (for
  // parsers that must never see corrupt bytes, e.g. FAISS's), and rewinds.
  Status verify_payload();

  const Header& header() const { return header_; }
  const std::string& path() const { return path_; }
  uint64_t remaining() const { return header_.payload_bytes - consumed_; }

  // kCorrupt past the end of the payload.
  Status read(void* data, size_t size);
  Status read_u64(uint64_t& v) { return read(&v, sizeof v); }
  // A vector written by Writer::write_vector; its length is checked against what is left
  // before anything is allocated, and against `max_count` when given.
  template <typename T>
  Status read_vector(std::vector<T>& v, uint64_t max_count = UINT64_MAX) {
    uint64_t n = 0;
    VHM_RETURN_IF_ERROR(read_u64(n));
    if (n > max_count || n > remaining() / sizeof(T)) return corrupt("a vector's length exceeds the file");
    v.resize(n);
    return read(v.data(), n * sizeof(T));
  }
  // Every payload byte consumed and the checksum right.
  Status finish();
  Status corrupt(const std::string& what) const;

 private:
  Reader() = default;
  std::FILE* file_ = nullptr;
  std::string path_;
  Header header_;
  bool verified_ = false;
  Checksum checksum_;
  uint64_t consumed_ = 0;
};

}  // namespace vhm::index_file
