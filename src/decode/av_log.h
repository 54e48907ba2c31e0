// FFmpeg says why it failed in its log, not in its return codes ("Picture size
// 40000x40000 is invalid" comes back as EBUSY). This captures, per thread, the last
// message FFmpeg logged at error level, so errors can quote it; messages are still
// printed as FFmpeg would (according to av_log_set_level).
#pragma once

#include <string>

namespace vhm::av {

// Installs the capturing log callback (once per process; later calls do nothing).
void install_log_capture();

// The last error FFmpeg logged on this thread since the previous call, or "".
std::string take_last_log_error();

}  // namespace vhm::av
