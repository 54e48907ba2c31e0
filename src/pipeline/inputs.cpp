#include "pipeline/inputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <istream>
#include <set>

#include "decode/media_policy.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

const std::set<std::string>& image_extensions() {
  static const std::set<std::string> kExtensions{".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"};
  return kExtensions;
}

const std::set<std::string>& video_extensions() {
  static const std::set<std::string> kExtensions{".mp4", ".m4v", ".mov", ".mkv",  ".webm", ".avi",
                                                 ".flv", ".ts",  ".mts", ".m2ts", ".mpg",  ".mpeg",
                                                 ".wmv", ".3gp", ".3g2", ".ogv",  ".mxf",  ".y4m"};
  return kExtensions;
}

std::string strip_extension(const std::string& p) {
  const fs::path path(p);
  return (path.parent_path() / path.stem()).string();
}

Status add_directory(const std::string& dir, const InputListOptions& options, std::vector<Input>& out) {
  std::vector<std::string> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return {StatusCode::kIoError, "cannot list directory: " + ec.message(), dir};
  for (; it != end; it.increment(ec)) {
    if (ec) return {StatusCode::kIoError, "cannot list directory: " + ec.message(), dir};
    if (!it->is_regular_file(ec)) continue;
    const std::string p = it->path().string();
    if ((options.images && has_image_extension(p)) || (options.videos && has_video_extension(p))) found.push_back(p);
  }
  std::sort(found.begin(), found.end());
  for (const std::string& p : found)
    out.push_back({p, kind_of(p), strip_extension(fs::path(p).lexically_relative(dir).string())});
  return Status::ok();
}

Status add_named(const std::string& name, const InputListOptions& options, std::vector<Input>& out, int depth);

Status add_manifest(std::istream& in, const std::string& manifest, const InputListOptions& options,
                    std::vector<Input>& out, int depth) {
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    VHM_RETURN_IF_ERROR(add_named(line.substr(start), options, out, depth + 1));
  }
  if (in.bad()) return {StatusCode::kIoError, "cannot read the list of inputs", manifest};
  return Status::ok();
}

Status add_named(const std::string& name, const InputListOptions& options, std::vector<Input>& out, int depth) {
  if (depth > 8) return {StatusCode::kInvalidArgument, "manifests nest more than 8 deep", name};
  if (name.size() > 1 && name[0] == '@') {
    const std::string path = name.substr(1);
    // A regular file: a FIFO named as a manifest would block the whole batch.
    if (auto checked = open_regular_file(path, 0); !checked) return checked.status();
    std::ifstream in(path);
    if (!in) return {StatusCode::kNotFound, "cannot open the list of inputs", path};
    return add_manifest(in, path, options, out, depth);
  }
  std::error_code ec;
  if (!is_url(name) && fs::is_directory(name, ec)) return add_directory(name, options, out);
  out.push_back({name, is_url(name) ? InputKind::kVideo : kind_of(name), fs::path(name).stem().string()});
  return Status::ok();
}

}  // namespace

bool has_image_extension(const std::string& path) { return image_extensions().count(lower_extension(path)) > 0; }
bool has_video_extension(const std::string& path) { return video_extensions().count(lower_extension(path)) > 0; }
InputKind kind_of(const std::string& path) { return has_image_extension(path) ? InputKind::kImage : InputKind::kVideo; }

bool is_url(const std::string& s) {
  if (s.starts_with("pipe:") || s.starts_with("file:")) return true;
  const size_t colon = s.find("://");
  return colon != std::string::npos && colon > 0 &&
         std::all_of(s.begin(), s.begin() + colon, [](unsigned char c) { return std::isalnum(c) || c == '+'; });
}

Result<std::vector<Input>> expand_inputs(const std::vector<std::string>& args, const InputListOptions& options,
                                         std::istream& stdin_names) {
  std::vector<Input> out;
  for (const std::string& a : args) {
    if (a == "-") {
      VHM_RETURN_IF_ERROR(add_manifest(stdin_names, "standard input", options, out, 0));
    } else {
      VHM_RETURN_IF_ERROR(add_named(a, options, out, 0));
    }
  }
  return out;
}

Result<Shard> parse_shard(const std::string& text) {
  Shard s;
  char slash = 0;
  size_t used = 0;
  try {
    s.index = std::stoi(text, &used);
    slash = used < text.size() ? text[used] : 0;
    size_t used2 = 0;
    const std::string rest = text.substr(used + 1);
    s.count = std::stoi(rest, &used2);
    if (used2 != rest.size()) slash = 0;
  } catch (const std::exception&) {
    slash = 0;
  }
  if (slash != '/' || s.count < 1 || s.index < 0 || s.index >= s.count)
    return Status(StatusCode::kInvalidArgument, "--shard must be K/N with 0 <= K < N (e.g. 0/4), not '" + text + "'");
  return s;
}

std::vector<Input> select_shard(const std::vector<Input>& inputs, const Shard& shard) {
  std::vector<Input> kept;
  for (const Input& in : inputs) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64
    for (unsigned char c : in.url) h = (h ^ c) * 1099511628211ull;
    if (h % static_cast<uint64_t>(shard.count) == static_cast<uint64_t>(shard.index)) kept.push_back(in);
  }
  return kept;
}

}  // namespace vhm
