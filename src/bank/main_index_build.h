// Building a main index from one consistent read of the store, with what the cache's
// metadata records about it (index_cache.h); and the index codes of one frame row,
// which refreshes take too.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bank/bank_store.h"
#include "bank/checksums.h"
#include "bank/index_snapshot.h"
#include "core/status.h"
#include "index/hash_index.h"

namespace vhm {

// The main index of one store snapshot.
struct MainIndexBuild {
  std::shared_ptr<HashIndex> index;
  int64_t generation = 0;
  int64_t max_frame_id = 0;
  int64_t max_content_id = 0;
  std::shared_ptr<SpanChunk> spans;
  std::shared_ptr<RemovedSet> removed;
  IdChecksum ids;              // every index id: frames and inside-bars codes
  int64_t inside_bars = 0;     // inside-bars codes among them
  FramesChecksum frames;       // every frame row read (those of removed contents too)
  bool record_agrees = false;  // the store's record at this generation equals `frames`
};

// A new, empty index of `spec`; errors name `subject`.
Result<std::shared_ptr<HashIndex>> new_hash_index(const std::string& spec, const std::string& subject);

// One frame row as the index takes it: its hash under its frame id, and its inside-bars
// hash (if it has one) under the variant's id (bank_index_ids.h). kCorrupt for a hash
// that is not 32 bytes.
Status append_frame_codes(const FrameCodesRow& row, const std::string& subject, std::vector<Hash256>& codes,
                          std::vector<HashId>& ids, int64_t& inside_bars);

// Reads every content and every frame of a live content in one long read and builds
// the main index of `spec` from them. `stop` set aborts it (kUnavailable) between batches.
Result<MainIndexBuild> build_main_index(BankStore& store, const std::string& spec, const std::atomic<bool>* stop);

}  // namespace vhm
