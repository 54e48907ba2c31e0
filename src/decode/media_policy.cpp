#include "decode/media_policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

namespace vhm {
namespace {

namespace fs = std::filesystem;

constexpr MediaProtocol kAllProtocols[] = {MediaProtocol::kFile, MediaProtocol::kPipe, MediaProtocol::kHttp,
                                           MediaProtocol::kHttps};

std::string errno_text(int e) { return std::strerror(e); }

// What a non-regular file is, for the error.
const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Whether `path` lies inside `root` (both absolute and normalised), by whole components.
bool inside(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

const char* media_protocol_name(MediaProtocol p) {
  switch (p) {
    case MediaProtocol::kFile:
      return "file";
    case MediaProtocol::kPipe:
      return "pipe";
    case MediaProtocol::kHttp:
      return "http";
    case MediaProtocol::kHttps:
      return "https";
  }
  return "?";
}

bool MediaAccess::allows(MediaProtocol p) const {
  return std::find(protocols.begin(), protocols.end(), p) != protocols.end();
}

Result<std::vector<MediaProtocol>> parse_media_protocols(std::string_view list) {
  std::vector<MediaProtocol> out;
  if (list == "none") return out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view name = list.substr(start, comma - start);
    start = comma + 1;
    if (name.empty()) continue;
    bool known = false;
    for (MediaProtocol p : kAllProtocols) {
      if (name == media_protocol_name(p)) {
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
        known = true;
      }
    }
    if (!known)
      return Status(StatusCode::kInvalidArgument,
                    "unknown protocol '" + std::string(name) + "' (known: file, pipe, http, https, or none)");
  }
  return out;
}

std::string media_protocols_text(const std::vector<MediaProtocol>& protocols) {
  std::string text;
  for (MediaProtocol p : protocols) text += (text.empty() ? "" : ",") + std::string(media_protocol_name(p));
  return text.empty() ? "none" : text;
}

Result<MediaLocation> locate_media(const std::string& url, const MediaAccess& access) {
  MediaLocation where;
  if (url.empty()) return Status(StatusCode::kInvalidArgument, "empty input name");
  if (url == "-" || url == "pipe:" || url == "pipe:0") {
    where.protocol = MediaProtocol::kPipe;
  } else if (url.starts_with("http://") || url.starts_with("https://")) {
    where.protocol = url.starts_with("https://") ? MediaProtocol::kHttps : MediaProtocol::kHttp;
    where.url = url;
  } else if (url.starts_with("file:")) {
    where.path = url.substr(5);
  } else {
    // Anything else with a scheme is a protocol vhm does not read (FFmpeg would: rtmp,
    // tcp, data, concat, subfile, ...); a plain path is a local file.
    const size_t colon = url.find(':');
    const size_t slash = url.find('/');
    const bool scheme = colon != std::string::npos && colon > 1 && (slash == std::string::npos || colon < slash) &&
                        std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                        });
    std::error_code ec;
    if (scheme && !fs::exists(url, ec))  // "clip:1.mp4" that exists is a file with a colon in its name
      return Status(StatusCode::kUnsupported,
                    "protocol '" + url.substr(0, colon) + "' is not one vhm reads (file, pipe, http, https)", url);
    where.path = url;
  }
  if (access.protocols.empty())
    return Status(StatusCode::kPermissionDenied,
                  "inputs named by a path or URL are off here: only uploaded bytes are read (vhm serve: "
                  "--allow-paths DIR, --allow-protocols LIST)",
                  url);
  if (!access.allows(where.protocol))
    return Status(StatusCode::kPermissionDenied,
                  std::string("inputs by ") + media_protocol_name(where.protocol) +
                      " are not allowed here (allowed protocols: " + media_protocols_text(access.protocols) + ")",
                  url);
  if (where.protocol == MediaProtocol::kFile && !access.roots.empty()) {
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(fs::absolute(where.path, ec), ec);
    if (ec) return Status(StatusCode::kNotFound, "cannot resolve the path: " + ec.message(), url);
    bool ok = false;
    for (const std::string& root : access.roots) {
      std::error_code rec;
      const fs::path r = fs::weakly_canonical(fs::absolute(root, rec), rec);
      if (!rec && inside(real, r)) ok = true;
    }
    if (!ok)
      return Status(StatusCode::kPermissionDenied, "the path is outside the allowed directories (--allow-paths)", url);
  }
  return where;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Result<OpenedFile> open_regular_file(const std::string& path, int64_t max_bytes) {
  OpenedFile f;
  f.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (f.fd.get() < 0) {
    const int e = errno;
    if (e == ENOENT) return Status(StatusCode::kNotFound, "no such file", path);
    if (e == ELOOP) return Status(StatusCode::kIoError, "cannot open: too many levels of symbolic links", path);
    return Status(StatusCode::kIoError, "cannot open: " + errno_text(e), path);
  }
  struct stat st {};
  if (::fstat(f.fd.get(), &st) != 0) return Status(StatusCode::kIoError, "cannot stat: " + errno_text(errno), path);
  if (!S_ISREG(st.st_mode))
    return Status(S_ISDIR(st.st_mode) ? StatusCode::kInvalidArgument : StatusCode::kUnsupported,
                  std::string("is ") + file_type_name(st.st_mode) + ", not a regular file", path);
  // Regular files do not block: back to blocking reads (O_NONBLOCK only guarded the open).
  const int flags = ::fcntl(f.fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(f.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  f.size = static_cast<int64_t>(st.st_size);
  if (max_bytes > 0 && f.size > max_bytes)
    return Status(StatusCode::kLimitExceeded,
                  "file of " + std::to_string(f.size) + " bytes is larger than the limit of " +
                      std::to_string(max_bytes) + " bytes",
                  path);
  return f;
}

Result<std::vector<uint8_t>> read_opened_file(OpenedFile& file, const std::string& path, int64_t max_bytes) {
  std::vector<uint8_t> bytes;
  // Files in /proc report size 0 and still have content: read until the end either way.
  const size_t limit = max_bytes > 0 ? static_cast<size_t>(max_bytes) : SIZE_MAX - 1;
  bytes.reserve(std::min<size_t>(static_cast<size_t>(std::max<int64_t>(file.size, 0)), limit) + 1);
  uint8_t chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(file.fd.get(), chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(StatusCode::kIoError, "read failed: " + errno_text(errno), path);
    }
    if (n == 0) break;
    if (bytes.size() + static_cast<size_t>(n) > limit)
      return Status(StatusCode::kLimitExceeded, "more than the limit of " + std::to_string(max_bytes) + " bytes", path);
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  return bytes;
}

bool demuxer_allowed(std::string_view name, std::string_view allowed) {
  auto each = [](std::string_view list, auto&& fn) {
    size_t start = 0;
    while (start < list.size()) {
      const size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start && fn(list.substr(start, comma - start))) return true;
      start = comma + 1;
    }
    return false;
  };
  return each(name, [&](std::string_view n) { return each(allowed, [&](std::string_view a) { return a == n; }); });
}

}  // namespace vhm
