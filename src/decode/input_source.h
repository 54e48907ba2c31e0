// The bytes of one input, as FFmpeg reads them: an I/O context vhm owns, over bytes in
// memory, a local file vhm opened and checked itself, stdin, or an http(s) URL, never
// a name FFmpeg resolves on its own. Each source counts what it supplies and carries
// the input's budget (MediaLimits: bytes and wall time), which FFmpeg sees through the
// interrupt callback and every read.
//
// With every input behind such a context, FFmpeg's demuxers cannot open anything else
// for it: VideoDecoder and the image decoder refuse every nested open (io_open) and
// allow only the demuxers of media_policy.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"
#include "decode/media_policy.h"

struct AVIOContext;
struct AVIOInterruptCB;

namespace vhm {

class InputSource {
 public:
  // Bytes in memory (which must outlive the source); `name` names them in errors.
  static Result<std::unique_ptr<InputSource>> from_memory(std::span<const uint8_t> bytes, const std::string& name,
                                                          const MediaLimits& limits);
  // A path, "file:PATH", "-" or "pipe:0" (stdin), or an http(s) URL, as `policy.access`
  // allows (media_policy.h: locate_media, open_regular_file). Errors name `url`.
  static Result<std::unique_ptr<InputSource>> open(const std::string& url, const MediaPolicy& policy);

  ~InputSource();
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;

  // The context to set as AVFormatContext::pb (with AVFMT_FLAG_CUSTOM_IO); owned here.
  AVIOContext* io() const;
  // For AVFormatContext::interrupt_callback: interrupts FFmpeg once the budget is spent.
  const AVIOInterruptCB& interrupt_callback() const;
  // What the input is called in errors (the url as given, or the memory name).
  const std::string& name() const { return name_; }
  // The local path when the input is a local file (for a name-based format probe and
  // the MD5), else empty.
  const std::string& local_path() const { return local_path_; }
  bool in_memory() const { return kind_ == Kind::kMemory; }
  int64_t bytes_supplied() const { return bytes_supplied_; }

  // OK while within the budget, else kLimitExceeded saying which limit was reached.
  Status budget_status() const;

  struct Callbacks;  // the C callbacks FFmpeg calls (input_source.cpp)

 private:
  enum class Kind { kMemory, kFile, kPipe, kUrl };
  InputSource() = default;
  Status make_io(bool seekable);

  Kind kind_ = Kind::kMemory;
  std::string name_;
  std::string local_path_;
  MediaLimits limits_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::span<const uint8_t> memory_;
  size_t memory_offset_ = 0;
  int fd_ = -1;                    // kFile (owned), kPipe (stdin, not owned)
  int64_t file_size_ = 0;          // kFile
  AVIOContext* url_io_ = nullptr;  // kUrl: FFmpeg's http(s) context, read through io_
  AVIOContext* io_ = nullptr;      // the context FFmpeg reads
  std::unique_ptr<AVIOInterruptCB> interrupt_;
  int64_t bytes_supplied_ = 0;
  mutable bool over_bytes_ = false;
  mutable bool over_time_ = false;
};

}  // namespace vhm
