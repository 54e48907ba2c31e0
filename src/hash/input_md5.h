// MD5 of an input's bytes (the file a video or image was read from, or an upload in
// memory): what the bank and the outputs identify a file by. Computed beside decoding,
// on a thread of its own, so reading the file twice costs no wall time.
#pragma once

#include <cstdint>
#include <future>
#include <span>
#include <string>

#include "core/status.h"

namespace vhm {

// Streaming MD5 of a file (32 lowercase hex digits).
Result<std::string> md5_file_hex(const std::string& path);
// MD5 of bytes in memory (32 lowercase hex digits).
std::string md5_bytes_hex(std::span<const uint8_t> bytes);

// The same, started on another thread; `bytes` must outlive the future.
std::future<Result<std::string>> md5_file_hex_async(const std::string& path);
std::future<Result<std::string>> md5_bytes_hex_async(std::span<const uint8_t> bytes);

}  // namespace vhm
