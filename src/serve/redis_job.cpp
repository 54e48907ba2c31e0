#include "serve/redis_job.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

#include "match/match_json.h"
#include "pipeline/inputs.h"
#include "serve/media_input.h"

namespace vhm::serve {
namespace {

const std::string* field(const StreamEntry& e, const std::string& name) {
  for (const auto& [k, v] : e.fields)
    if (k == name) return &v;
  return nullptr;
}

JobOutcome bad_job(std::string job, const std::string& why) {
  JobOutcome out;
  out.result = {{"job", job}, {"error", why}};
  out.job = std::move(job);
  out.failed = true;
  return out;
}

}  // namespace

namespace {
JobOutcome run_job_unguarded(const Matcher& matcher, const StreamEntry& entry);
}  // namespace

// A bad job fails alone: whatever it throws (bad_alloc from an absurd input, a library
// exception) becomes its error result, never an exception in the worker thread.
JobOutcome run_job(const Matcher& matcher, const StreamEntry& entry) {
  std::string job = entry.id;
  if (const std::string* j = field(entry, "job"); j && !j->empty()) job = *j;
  try {
    return run_job_unguarded(matcher, entry);
  } catch (const std::exception& e) {
    return bad_job(job, std::string("internal error while running the job: ") + e.what());
  } catch (...) {
    return bad_job(job, "internal error while running the job");
  }
}

namespace {

JobOutcome run_job_unguarded(const Matcher& matcher, const StreamEntry& entry) {
  const std::string* job = field(entry, "job");
  // Without an id the result can still be found: it is keyed by the entry's id.
  if (!job || job->empty()) return bad_job(entry.id, "entry " + entry.id + " has no 'job' field");
  const std::string* path = field(entry, "path");
  const std::string* media = field(entry, "media");
  if ((path != nullptr) == (media != nullptr)) return bad_job(*job, "a job needs exactly one of 'path' or 'media'");
  if (path && path->empty()) return bad_job(*job, "'path' is empty");
  if (media && media->empty()) return bad_job(*job, "'media' is empty");
  const std::string* kind_field = field(entry, "kind");
  bool kind_ok = true;
  const std::optional<InputKind> kind = parse_kind(kind_field ? *kind_field : std::string(), kind_ok);
  if (!kind_ok) return bad_job(*job, "kind must be image or video, not '" + *kind_field + "'");
  const std::string* name = field(entry, "name");

  Input input;
  if (media) {
    input = media_input(std::span(reinterpret_cast<const uint8_t*>(media->data()), media->size()),
                        name ? *name : "upload", kind);
  } else {
    input.url = *path;
    input.kind = kind ? *kind : kind_of(*path);
    input.out_name = std::filesystem::path(*path).stem().string();
  }
  const InputMatch m = matcher.match_input(input);
  JobOutcome out;
  out.job = *job;
  out.frames = m.frames.size();
  out.result = match_json(m, false);
  if (!m.ok()) {
    // A failed lookup is the bank's (as POST /v1/match's 500), worth another delivery; an
    // input that cannot be hashed fails for good.
    out.retry = m.failure == MatchFailure::kLookup;
    out.failed = true;
    nlohmann::json error{{"job", *job}, {"error", m.status.to_string()}};
    if (out.result.contains("code")) error["code"] = out.result["code"];
    out.result = std::move(error);
  }
  return out;
}

}  // namespace

}  // namespace vhm::serve
