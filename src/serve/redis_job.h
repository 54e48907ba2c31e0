// One job of the Redis Streams workers, independent of Redis: a stream entry's fields
// in, the result object out. Kept apart from the consumer loop (redis_worker.h) so
// that what a job means is in one short place.
//
// Fields: `job` (the job id, required), exactly one of `path` (a file path or a URL
// FFmpeg can open) or `media` (the media bytes themselves, hashed from memory as POST
// /v1/match hashes an upload), optional `kind` (image|video; else by the path's
// extension, or sniffed from the bytes) and `name` (reported as "path" for media).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "match/matcher.h"

namespace vhm::serve {

struct StreamEntry {
  std::string id;  // the stream entry id ("1700000000000-0")
  std::vector<std::pair<std::string, std::string>> fields;
};

struct JobOutcome {
  std::string job;        // the job id (the entry id when the entry has none)
  nlohmann::json result;  // match_json()'s object, or {job, error[, code]}
  bool failed = false;    // a bad job: `result` says why; acknowledged like any other
  // The bank failed, not the job: leave the entry pending so that it is retried (by a
  // reclaimer) instead of answering with an error that is not the job's fault.
  bool retry = false;
  size_t frames = 0;
};

JobOutcome run_job(const Matcher& matcher, const StreamEntry& entry);

}  // namespace vhm::serve
