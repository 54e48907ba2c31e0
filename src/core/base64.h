// Base64 (RFC 4648) as the exchanges write binary values: ThreatExchange's TMK form,
// StopNCII's raw .tmk files. Decoding takes the standard and the URL-safe alphabet,
// skips whitespace and is bounded by the caller's limit before anything is kept.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vhm {

// The standard alphabet with '=' padding.
std::string base64_encode(std::span<const uint8_t> bytes);
// kCorrupt for a character outside both alphabets, data after padding, a truncated
// group, or text that would decode to more than max_bytes.
Result<std::vector<uint8_t>> base64_decode(std::string_view text, size_t max_bytes);

}  // namespace vhm
