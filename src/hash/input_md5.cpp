#include "hash/input_md5.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

extern "C" {
#include <libavutil/md5.h>
#include <libavutil/mem.h>
}

namespace vhm {
namespace {

struct Md5Freer {
  void operator()(AVMD5* m) const { av_free(m); }
};

std::string digest_hex(const uint8_t (&digest)[16]) {
  char hex[33];
  for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 32);
}

}  // namespace

Result<std::string> md5_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kIoError, std::string("cannot read: ") + std::strerror(errno), path);
  std::unique_ptr<AVMD5, Md5Freer> md5(av_md5_alloc());
  if (!md5) return Status(StatusCode::kInternal, "out of memory", path);
  av_md5_init(md5.get());
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) av_md5_update(md5.get(), reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(got));
  }
  if (in.bad()) return Status(StatusCode::kIoError, std::string("read failed: ") + std::strerror(errno), path);
  uint8_t digest[16];
  av_md5_final(md5.get(), digest);
  return digest_hex(digest);
}

std::string md5_bytes_hex(std::span<const uint8_t> bytes) {
  uint8_t digest[16];
  av_md5_sum(digest, bytes.data(), bytes.size());
  return digest_hex(digest);
}

std::future<Result<std::string>> md5_file_hex_async(const std::string& path) {
  return std::async(std::launch::async, [path] { return md5_file_hex(path); });
}

std::future<Result<std::string>> md5_bytes_hex_async(std::span<const uint8_t> bytes) {
  return std::async(std::launch::async, [bytes]() -> Result<std::string> { return md5_bytes_hex(bytes); });
}

}  // namespace vhm
