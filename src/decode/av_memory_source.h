// Bytes in memory as an FFmpeg input: the read and seek callbacks of a custom
// AVIOContext (images and videos handed over as bytes, never written to disk).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>

extern "C" {
#include <libavformat/avio.h>
#include <libavutil/error.h>
}

namespace vhm::av {

struct MemorySource {
  std::span<const uint8_t> bytes;
  size_t offset = 0;

  static int read(void* opaque, uint8_t* buf, int size) {
    auto* r = static_cast<MemorySource*>(opaque);
    const size_t left = r->bytes.size() - r->offset;
    if (left == 0) return AVERROR_EOF;
    const size_t n = std::min(left, static_cast<size_t>(size));
    std::memcpy(buf, r->bytes.data() + r->offset, n);
    r->offset += n;
    return static_cast<int>(n);
  }

  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* r = static_cast<MemorySource*>(opaque);
    if (whence == AVSEEK_SIZE) return static_cast<int64_t>(r->bytes.size());
    int64_t base = 0;
    if ((whence & ~AVSEEK_FORCE) == SEEK_CUR) base = static_cast<int64_t>(r->offset);
    else if ((whence & ~AVSEEK_FORCE) == SEEK_END) base = static_cast<int64_t>(r->bytes.size());
    const int64_t pos = base + offset;
    if (pos < 0 || pos > static_cast<int64_t>(r->bytes.size())) return AVERROR(EINVAL);
    r->offset = static_cast<size_t>(pos);
    return pos;
  }
};

}  // namespace vhm::av
