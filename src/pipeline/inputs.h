// Expands what a user names on the command line into the list of inputs a batch job
// processes: files, directories (recursive, by extension, sorted), manifests
// (@list.txt, or "-" for names on stdin), and URLs FFmpeg opens (http://, pipe:0, ...).
// Then, optionally, a deterministic shard of them for job-array runners.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace vhm {

enum class InputKind { kImage, kVideo };

struct Input {
  std::string url;  // a path or a URL, as FFmpeg / the image decoder will open it
  InputKind kind = InputKind::kVideo;
  std::string out_name;  // relative name for per-input output files, without extension
  // Set when the input is bytes already in memory (an upload `vhm serve` received):
  // they are hashed from there and never written to disk, and `url` only names them.
  // A view: the bytes must outlive the hashing (hash_input does not keep it). Empty
  // means "open url", so an empty upload must be refused before it gets here.
  std::span<const uint8_t> bytes = {};
};

// Kinds by file extension (case-insensitive). Anything that is not a known image
// extension is treated as a video: FFmpeg decides, and says so when it cannot.
bool has_image_extension(const std::string& path);
bool has_video_extension(const std::string& path);
InputKind kind_of(const std::string& path);

// True for "pipe:0", "http://...", "file:..." and other FFmpeg URLs (not local paths).
bool is_url(const std::string& s);

struct InputListOptions {
  bool images = true;  // accept image files (directories: collect image extensions)
  bool videos = true;  // accept videos (directories: collect video extensions)
};

// Expands `args` in order. Directories are walked recursively and their matching files
// sorted by path; a manifest's lines are inputs (blank lines and lines starting with
// '#' skipped). Missing paths are kept (they fail later, alone, with their reason);
// an unreadable manifest or directory is an error. `stdin_names` is read for "-".
Result<std::vector<Input>> expand_inputs(const std::vector<std::string>& args, const InputListOptions& options,
                                         std::istream& stdin_names);

// A job-array shard "K/N" (0 <= K < N): parsed, or an error naming the flag value.
struct Shard {
  int index = 0;
  int count = 1;
};
Result<Shard> parse_shard(const std::string& text);

// Keeps the inputs of shard K/N: those whose URL hashes (FNV-1a 64) to K modulo N, so
// each input lands in the same shard whatever else is in the list, and the N shards
// together hold every input exactly once.
std::vector<Input> select_shard(const std::vector<Input>& inputs, const Shard& shard);

}  // namespace vhm
