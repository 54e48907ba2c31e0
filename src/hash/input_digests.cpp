#include "hash/input_digests.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

extern "C" {
#include <libavutil/md5.h>
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

namespace vhm {
namespace {

struct AvFreer {
  void operator()(void* p) const { av_free(p); }
};

std::string hex(const uint8_t* digest, size_t n) {
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) std::snprintf(out.data() + 2 * i, 3, "%02x", digest[i]);
  return out;
}

// FFmpeg's MD5 and SHA-256 (libavutil, already linked), fed the same chunks.
class Digests {
 public:
  explicit Digests(DigestKinds kinds) {
    if (kinds.md5) {
      md5_.reset(av_md5_alloc());
      if (md5_) av_md5_init(md5_.get());
    }
    if (kinds.sha256) {
      sha_.reset(av_sha_alloc());
      if (sha_) av_sha_init(sha_.get(), 256);
    }
    failed_ = (kinds.md5 && !md5_) || (kinds.sha256 && !sha_);
  }
  bool failed() const { return failed_; }
  void update(const uint8_t* data, size_t n) {
    if (md5_) av_md5_update(md5_.get(), data, n);
    if (sha_) av_sha_update(sha_.get(), data, n);
  }
  InputDigests finish() {
    InputDigests out;
    if (md5_) {
      uint8_t d[16];
      av_md5_final(md5_.get(), d);
      out.md5_hex = hex(d, sizeof d);
    }
    if (sha_) {
      uint8_t d[32];
      av_sha_final(sha_.get(), d);
      out.sha256_hex = hex(d, sizeof d);
    }
    return out;
  }

 private:
  std::unique_ptr<AVMD5, AvFreer> md5_;
  std::unique_ptr<AVSHA, AvFreer> sha_;
  bool failed_ = false;
};

}  // namespace

Result<InputDigests> digest_file(const std::string& path, DigestKinds kinds) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kIoError, std::string("cannot read: ") + std::strerror(errno), path);
  Digests digests(kinds);
  if (digests.failed()) return Status(StatusCode::kInternal, "out of memory", path);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) digests.update(reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(got));
  }
  if (in.bad()) return Status(StatusCode::kIoError, std::string("read failed: ") + std::strerror(errno), path);
  return digests.finish();
}

InputDigests digest_bytes(std::span<const uint8_t> bytes, DigestKinds kinds) {
  Digests digests(kinds);
  digests.update(bytes.data(), bytes.size());
  return digests.finish();
}

std::future<Result<InputDigests>> digest_file_async(const std::string& path, DigestKinds kinds) {
  return std::async(std::launch::async, [path, kinds] { return digest_file(path, kinds); });
}

std::future<Result<InputDigests>> digest_bytes_async(std::span<const uint8_t> bytes, DigestKinds kinds) {
  return std::async(std::launch::async,
                    [bytes, kinds]() -> Result<InputDigests> { return digest_bytes(bytes, kinds); });
}

}  // namespace vhm
