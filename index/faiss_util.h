// Glue between vhm and FAISS (internal to index/): FAISS's IOReader/IOWriter over
// vhm's index file, thread count for FAISS's OpenMP loops, exceptions to Status.
#pragma once

#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "index/index_file.h"

namespace vhm::faiss_util {

struct Writer : faiss::IOWriter {
  explicit Writer(index_file::Writer& w) : out(w) {}
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (!status.is_ok()) return 0;
    status = out.write(ptr, size * nitems);
    return status.is_ok() ? nitems : 0;
  }
  index_file::Writer& out;
  Status status;
};

// FAISS's reader sizes a vector from the 8-byte count before it (up to 2^40 elements,
// zero-filled, so touched) before reading its items: a crafted file could make it
// allocate far more than the file holds. Every 8-byte scalar FAISS reads (counts, ntotal,
// nlist) is therefore refused when it exceeds the bytes left, which no count in a valid
// FAISS binary index does (each counted thing takes at least a byte); FAISS then throws
// "read error", which guarded() turns into kCorrupt.
struct Reader : faiss::IOReader {
  explicit Reader(index_file::Reader& r) : in(r) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    const uint64_t can = in.remaining() / size;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(can, nitems));
    if (n && !in.read(ptr, n * size).is_ok()) return 0;
    if (size == 8 && nitems == 1 && n == 1) {
      uint64_t value = 0;
      std::memcpy(&value, ptr, sizeof value);
      if (value > in.remaining()) return 0;
    }
    return n;
  }
  index_file::Reader& in;
};

// omp_set_num_threads for the calling thread, restored on scope exit.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) : saved_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ScopedThreads() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

// Runs f(), turning FAISS's (and allocation) exceptions into a Status with `code`.
template <typename F>
Status guarded(const char* what, F&& f, StatusCode code = StatusCode::kInternal) {
  try {
    f();
    return Status::ok();
  } catch (const faiss::FaissException& e) {
    return {code, std::string("FAISS ") + what + ": " + e.what()};
  } catch (const std::exception& e) {
    return {code, std::string(what) + ": " + e.what()};
  }
}

// The FAISS binary index stored at the reader's position (read_index_binary), owned;
// anything FAISS cannot read is kCorrupt, naming the file.
inline Result<std::unique_ptr<faiss::IndexBinary>> read_binary_index(index_file::Reader& r) {
  Reader fr(r);
  faiss::IndexBinary* raw = nullptr;
  VHM_RETURN_IF_ERROR(
      guarded("read_index_binary", [&] { raw = faiss::read_index_binary(&fr); }, StatusCode::kCorrupt)
          .with_subject(r.path()));
  return std::unique_ptr<faiss::IndexBinary>(raw);
}

}  // namespace vhm::faiss_util
