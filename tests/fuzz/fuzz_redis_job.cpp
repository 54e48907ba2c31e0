// One job of the Redis Streams workers (serve/redis_job.h run_job): a stream entry's
// fields, as a client XADDs them, run against a Matcher over a temporary bank. The
// consumer loop around it (XREADGROUP, XACK) is Redis's framing, not outside bytes.
//
// Input: the entry's fields as NAME \0 VALUE \0 NAME \0 VALUE ... (the last value runs
// to the end). The entry id is fixed.
//
// A `path` value is confined to this process's sandbox directory (made relative, ".."
// components renamed), and the matcher allows files under it only (as `vhm serve
// --allow-paths SANDBOX --allow-protocols file`): the fuzzer must not read this
// machine's files or hang on its devices. The sandbox holds `input` (this very input's
// bytes, so that a path job hashes fuzzed bytes as a file), an empty `empty`, and a
// directory `dir`. The allow-list itself (absolute paths, symbolic links, URLs) is
// tested by its own tests.
//
// Oracles: every job ends in an outcome (no exception, not even one run_job catches,
// no crash), a failed one carries an "error"; none asks to be retried (the bank here
// cannot fail, so a retry would leave a bad job pending forever).
//
// seeds: media job\0j1\0kind\0image\0media\0
// seeds: media job\0j2\0name\0clip.mp4\0media\0
#include <filesystem>
#include <memory>
#include <string>

#include "core/json_text.h"
#include "fuzz/target_bank.h"
#include "fuzz/target_support.h"
#include "serve/redis_job.h"

namespace {

using namespace vhm;
namespace fs = std::filesystem;

struct Jobs {
  fuzz::FuzzBank made;
  std::unique_ptr<Bank> bank;
  std::unique_ptr<Matcher> matcher;
  std::string sandbox;
};
Jobs* g_jobs = nullptr;  // set up once, kept to the end of the process

std::string sandboxed(std::string_view path) {
  std::string out;
  for (const auto& part : fs::path(std::string(path)).relative_path()) {
    const std::string p = part.string();
    if (p.empty() || p == "/") continue;
    if (!out.empty()) out += '/';
    out += p == ".." ? "__" : p;
  }
  return g_jobs->sandbox + "/" + out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  auto* j = new Jobs;
  j->made = fuzz::make_fuzz_bank("bank");
  BankOptions options;
  options.background_merge = false;
  options.search_threads = 1;
  auto bank = Bank::open(j->made.dir, options);
  if (!bank) fuzz::fail("open the fuzz bank: " + bank.status().to_string());
  j->bank = std::move(bank).value();
  j->sandbox = fuzz::scratch_dir() + "/sandbox";
  MatchConfig config;
  config.hashing.video.threads = 1;
  // Files only, inside the sandbox: as `vhm serve --allow-paths SANDBOX` runs path jobs.
  config.hashing.video.media.access.protocols = {MediaProtocol::kFile};
  config.hashing.video.media.access.roots = {j->sandbox};
  j->matcher = std::make_unique<Matcher>(*j->bank, config);
  fs::create_directories(j->sandbox + "/dir");
  fuzz::write_file(j->sandbox + "/empty", "");
  g_jobs = j;
  using namespace std::string_literals;
  fuzz::export_seeds({
      {"path-input", "job\0j3\0path\0input\0kind\0video"s},
      {"path-dir", "job\0j4\0path\0/dir\0kind\0image"s},
      {"no-job", "path\0../empty"s},
      {"both", "job\0j5\0path\0input\0media\0x\0name\0\xff\xfe"s},
      {"bad-kind", "job\0j6\0media\0abc\0kind\0\xc3\x28"s},
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  serve::StreamEntry entry;
  entry.id = "1700000000000-0";
  for (size_t pos = 0; pos < text.size();) {
    const size_t name_end = text.find('\0', pos);
    if (name_end == std::string_view::npos) break;  // a name with no value
    const size_t value_end = text.find('\0', name_end + 1);
    std::string name(text.substr(pos, name_end - pos));
    std::string value(text.substr(
        name_end + 1, value_end == std::string_view::npos ? std::string_view::npos : value_end - name_end - 1));
    if (name == "path" && !value.empty()) value = sandboxed(value);
    entry.fields.emplace_back(std::move(name), std::move(value));
    pos = value_end == std::string_view::npos ? text.size() : value_end + 1;
  }
  fuzz::write_file(g_jobs->sandbox + "/input", text);

  const serve::JobOutcome out = serve::run_job(*g_jobs->matcher, entry);
  if (out.retry) fuzz::fail("a job asks to be retried against a bank that cannot fail: " + json_text(out.result));
  if (out.job.empty()) fuzz::fail("an outcome with no job id");
  if (out.failed && !(out.result.is_object() && out.result.contains("error")))
    fuzz::fail("a failed job without an error: " + json_text(out.result));
  // run_job's last line of defence turns an exception into this error: the job failed
  // alone, but vhm code threw where it should have returned a Status.
  if (out.failed && out.result["error"].is_string() &&
      out.result["error"].get<std::string>().rfind("internal error", 0) == 0)
    fuzz::fail("a job ended in an exception: " + json_text(out.result));
  return 0;
}
