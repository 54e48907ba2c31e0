// The MD5 and SHA-256 of an input's bytes (the file a video or image was read from, or
// an upload in memory): what the bank and the exchanges identify a file by (the
// video_md5 and video_sha256 signals). Computed beside decoding, on a thread of its
// own, in one read of the file whichever digests are asked for, so reading the file
// twice costs no wall time.
#pragma once

#include <cstdint>
#include <future>
#include <span>
#include <string>

#include "core/status.h"

namespace vhm {

struct DigestKinds {
  bool md5 = true;
  bool sha256 = false;
};

// Lowercase hex (MD5: 32 digits, SHA-256: 64); a digest not asked for stays empty.
struct InputDigests {
  std::string md5_hex;
  std::string sha256_hex;
};

// Streams the file once. Errors name it.
Result<InputDigests> digest_file(const std::string& path, DigestKinds kinds);
InputDigests digest_bytes(std::span<const uint8_t> bytes, DigestKinds kinds);

// The same, started on another thread; `bytes` must outlive the future.
std::future<Result<InputDigests>> digest_file_async(const std::string& path, DigestKinds kinds);
std::future<Result<InputDigests>> digest_bytes_async(std::span<const uint8_t> bytes, DigestKinds kinds);

}  // namespace vhm
