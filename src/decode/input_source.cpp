#include "decode/input_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "decode/av_ptr.h"

extern "C" {
#include <libavformat/avio.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>
}

namespace vhm {

namespace {
constexpr int kIoBufferSize = 1 << 16;
}  // namespace

struct InputSource::Callbacks {
  // Refuses to supply more once a budget is spent; FFmpeg sees the end of its input
  // (AVERROR_EXIT), and the decoder asks budget_status() why.
  static bool spent(const InputSource& s) {
    if (s.limits_.max_input_bytes > 0 && s.bytes_supplied_ > s.limits_.max_input_bytes) s.over_bytes_ = true;
    if (std::chrono::steady_clock::now() > s.deadline_) s.over_time_ = true;
    return s.over_bytes_ || s.over_time_;
  }

  static int read(void* opaque, uint8_t* buf, int size) {
    auto& s = *static_cast<InputSource*>(opaque);
    if (spent(s)) return AVERROR_EXIT;
    int n = 0;
    switch (s.kind_) {
      case Kind::kMemory: {
        const size_t left = s.memory_.size() - s.memory_offset_;
        if (left == 0) return AVERROR_EOF;
        n = static_cast<int>(std::min(left, static_cast<size_t>(size)));
        std::memcpy(buf, s.memory_.data() + s.memory_offset_, static_cast<size_t>(n));
        s.memory_offset_ += static_cast<size_t>(n);
        break;
      }
      case Kind::kFile:
      case Kind::kPipe: {
        ssize_t got;
        do got = ::read(s.fd_, buf, static_cast<size_t>(size));
        while (got < 0 && errno == EINTR);
        if (got < 0) return AVERROR(errno);
        if (got == 0) return AVERROR_EOF;
        n = static_cast<int>(got);
        break;
      }
      case Kind::kUrl: {
        n = avio_read_partial(s.url_io_, buf, size);
        if (n == 0) return AVERROR_EOF;
        if (n < 0) return n;
        break;
      }
    }
    s.bytes_supplied_ += n;
    return n;
  }

  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto& s = *static_cast<InputSource*>(opaque);
    const int how = whence & ~AVSEEK_FORCE;
    switch (s.kind_) {
      case Kind::kMemory: {
        const auto size = static_cast<int64_t>(s.memory_.size());
        if (whence == AVSEEK_SIZE) return size;
        const int64_t base = how == SEEK_CUR ? static_cast<int64_t>(s.memory_offset_) : how == SEEK_END ? size : 0;
        const int64_t pos = base + offset;
        if (pos < 0 || pos > size) return AVERROR(EINVAL);
        s.memory_offset_ = static_cast<size_t>(pos);
        return pos;
      }
      case Kind::kFile: {
        if (whence == AVSEEK_SIZE) {
          struct stat st {};
          return ::fstat(s.fd_, &st) == 0 ? static_cast<int64_t>(st.st_size) : AVERROR(errno);
        }
        const off_t pos = ::lseek(s.fd_, static_cast<off_t>(offset), how);
        return pos < 0 ? AVERROR(errno) : static_cast<int64_t>(pos);
      }
      case Kind::kUrl: {
        if (whence == AVSEEK_SIZE) return avio_size(s.url_io_);
        return avio_seek(s.url_io_, offset, how);
      }
      case Kind::kPipe:
        break;
    }
    return AVERROR(ESPIPE);
  }

  static int interrupt(void* opaque) { return spent(*static_cast<InputSource*>(opaque)) ? 1 : 0; }
};

InputSource::~InputSource() {
  if (io_) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
  if (url_io_) avio_closep(&url_io_);
  if (kind_ == Kind::kFile && fd_ >= 0) ::close(fd_);
}

AVIOContext* InputSource::io() const { return io_; }

const AVIOInterruptCB& InputSource::interrupt_callback() const { return *interrupt_; }

Status InputSource::budget_status() const {
  Callbacks::spent(*this);
  if (over_bytes_)
    return {StatusCode::kLimitExceeded,
            "input larger than the limit of " + std::to_string(limits_.max_input_bytes) + " bytes (--max-input-mb)",
            name_};
  if (over_time_) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", limits_.max_seconds);
    return {StatusCode::kLimitExceeded,
            std::string("decoding took longer than the limit of ") + seconds + " s (--max-input-seconds)", name_};
  }
  return Status::ok();
}

Status InputSource::make_io(bool seekable) {
  interrupt_ = std::make_unique<AVIOInterruptCB>();
  interrupt_->callback = &Callbacks::interrupt;
  interrupt_->opaque = this;
  if (limits_.max_seconds > 0)
    deadline_ = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                       std::chrono::duration<double>(limits_.max_seconds));
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
  if (!buffer) return {StatusCode::kInternal, "out of memory", name_};
  io_ = avio_alloc_context(buffer, kIoBufferSize, 0, this, &Callbacks::read, nullptr,
                           seekable ? &Callbacks::seek : nullptr);
  if (!io_) {
    av_free(buffer);
    return {StatusCode::kInternal, "avio_alloc_context failed", name_};
  }
  return Status::ok();
}

Result<std::unique_ptr<InputSource>> InputSource::from_memory(std::span<const uint8_t> bytes, const std::string& name,
                                                              const MediaLimits& limits) {
  std::unique_ptr<InputSource> s(new InputSource());
  s->kind_ = Kind::kMemory;
  s->name_ = name;
  s->limits_ = limits;
  s->memory_ = bytes;
  VHM_RETURN_IF_ERROR(s->make_io(true));
  return s;
}

Result<std::unique_ptr<InputSource>> InputSource::open(const std::string& url, const MediaPolicy& policy) {
  auto where = locate_media(url, policy.access);
  if (!where) return where.status().with_subject(url);
  std::unique_ptr<InputSource> s(new InputSource());
  s->name_ = url;
  s->limits_ = policy.limits;
  switch (where->protocol) {
    case MediaProtocol::kFile: {
      auto file = open_regular_file(where->path, 0);
      if (!file) return file.status().with_subject(url);
      if (file->size == 0) return Status(StatusCode::kCorrupt, "empty file (0 bytes)", url);
      if (policy.limits.max_input_bytes > 0 && file->size > policy.limits.max_input_bytes)
        return Status(StatusCode::kLimitExceeded,
                      "file of " + std::to_string(file->size) + " bytes is larger than the limit of " +
                          std::to_string(policy.limits.max_input_bytes) + " bytes (--max-input-mb)",
                      url);
      s->kind_ = Kind::kFile;
      s->fd_ = file->fd.release();
      s->file_size_ = file->size;
      s->local_path_ = where->path;
      VHM_RETURN_IF_ERROR(s->make_io(true));
      return s;
    }
    case MediaProtocol::kPipe:
      s->kind_ = Kind::kPipe;
      s->fd_ = STDIN_FILENO;
      VHM_RETURN_IF_ERROR(s->make_io(false));
      return s;
    case MediaProtocol::kHttp:
    case MediaProtocol::kHttps: {
      s->kind_ = Kind::kUrl;
      VHM_RETURN_IF_ERROR(s->make_io(true));
      // FFmpeg's http(s) client, restricted to the protocols it needs (a redirect may
      // not lead to file: or anything else), interrupted by the input's budget.
      std::string whitelist = "tcp";
      if (policy.access.allows(MediaProtocol::kHttp)) whitelist += ",http";
      if (policy.access.allows(MediaProtocol::kHttps)) whitelist += ",https,tls";
      AVDictionary* options = nullptr;
      av_dict_set(&options, "protocol_whitelist", whitelist.c_str(), 0);
      av::install_log_capture();
      av::take_last_log_error();
      const int rc = avio_open2(&s->url_io_, url.c_str(), AVIO_FLAG_READ, s->interrupt_.get(), &options);
      av_dict_free(&options);
      if (rc < 0) {
        if (Status b = s->budget_status(); !b.is_ok()) return b;
        return Status(StatusCode::kIoError, av::error_text("opening", rc), url);
      }
      if (!(s->url_io_->seekable & AVIO_SEEKABLE_NORMAL)) s->io_->seekable = 0;
      return s;
    }
  }
  return Status(StatusCode::kInternal, "unknown protocol", url);
}

}  // namespace vhm
