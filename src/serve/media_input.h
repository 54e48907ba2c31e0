// Media bytes already in memory as a matcher Input: the one place where both of the
// daemon's front doors (POST /v1/match and the Redis Streams workers' `media` jobs)
// turn an upload into something to hash, so that they name, sniff and hash it alike.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "pipeline/inputs.h"

namespace vhm::serve {

// "image" or "video" -> that kind; "" -> nullopt (sniff); anything else -> false in
// `ok`.
std::optional<InputKind> parse_kind(const std::string& kind, bool& ok);

// An Input over `bytes` (a view: they must outlive the hashing), reported as `name`,
// of kind `kind` or else sniffed (image signatures, otherwise video). `bytes` must not
// be empty: an empty Input::bytes means "open the url", and the name comes from the
// client.
Input media_input(std::span<const uint8_t> bytes, const std::string& name, std::optional<InputKind> kind);

}  // namespace vhm::serve
