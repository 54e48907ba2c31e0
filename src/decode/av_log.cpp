#include "decode/av_log.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

extern "C" {
#include <libavutil/log.h>
}

namespace vhm::av {
namespace {

thread_local std::string last_error;

void capture(void* avcl, int level, const char* fmt, va_list args) {
  if (level <= AV_LOG_ERROR) {
    va_list copy;
    va_copy(copy, args);
    char line[512];
    int print_prefix = 0;
    av_log_format_line2(avcl, level, fmt, copy, line, sizeof line, &print_prefix);
    va_end(copy);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    // Drop the "[component @ 0x...] " prefix: the address means nothing to a user.
    if (!text.empty() && text.front() == '[') {
      const size_t end = text.find("] ");
      if (end != std::string::npos) text.erase(0, end + 2);
    }
    if (!text.empty()) last_error = text;
  }
  av_log_default_callback(avcl, level, fmt, args);
}

}  // namespace

void install_log_capture() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(capture); });
}

std::string take_last_log_error() {
  std::string e;
  e.swap(last_error);
  return e;
}

}  // namespace vhm::av
