// One header owns every libav handle's lifetime: unique_ptr aliases whose deleter is
// the matching libav free function, and the error text helper.
#pragma once

#include <memory>
#include <string>

#include "decode/av_log.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace vhm::av {

struct FormatContextCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecContextFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
// An AVIOContext made by avio_alloc_context owns its buffer through ->buffer.
struct IoContextFreer {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextCloser>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFreer>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextFreer>;

// "operation: the reason": what FFmpeg logged about the failure on this thread when it
// did (see av_log.h), else FFmpeg's text for the code. The log names the real reason;
// the code often does not (an invalid picture size comes back as EBUSY, "Device or
// resource busy"), so it is not shown beside the log.
inline std::string error_text(const char* operation, int averror) {
  if (const std::string logged = take_last_log_error(); !logged.empty()) return std::string(operation) + ": " + logged;
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averror, buf, sizeof buf);
  return std::string(operation) + ": " + buf;
}

}  // namespace vhm::av
