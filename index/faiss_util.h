// Glue between vhm and FAISS (internal to index/): thread count for FAISS's OpenMP
// loops, exceptions to Status. No index file is handed to FAISS's reader: every FAISS-
// backed index saves vhm's own payload (ids, codes, lists) and rebuilds at load.
#pragma once

#include <faiss/impl/FaissException.h>
#include <omp.h>

#include <exception>
#include <memory>
#include <string>

#include "core/status.h"

namespace vhm::faiss_util {

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

}  // namespace vhm::faiss_util
