// The bank's timestamps (added_at, removed_at, a pending add's start, the cache's
// written_at): ISO 8601 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z.
#pragma once

#include <string>

namespace vhm {

std::string utc_now_iso();

}  // namespace vhm
