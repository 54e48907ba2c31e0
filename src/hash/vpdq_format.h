// The reference vPDQ text format: one line per hashed frame,
//
//   frame_number,quality,pdq_hex,timestamp_seconds\n
//
// as vpdq-hash-video writes it (vpdq/cpp/io/vpdqio.cpp): the frame number and the
// quality as plain decimal integers, the hash as 64 lowercase hex digits (Hash256's
// to_hex), the timestamp in fixed notation with 3 decimals (std::fixed,
// setprecision(3): the same text as printf "%.3f"), "\n" line ends, no header.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "hash/video_hasher.h"

namespace vhm {

// One line, with its "\n".
std::string format_vpdq_line(const FrameHash& frame);

// All lines, byte for byte what the reference writes for the same features.
std::string format_vpdq(std::span<const FrameHash> frames);

Status write_vpdq(std::ostream& out, std::span<const FrameHash> frames, const std::string& name = {});
Status write_vpdq_file(const std::string& path, std::span<const FrameHash> frames);

// Parses the format strictly: exactly four comma-separated fields per line, frame
// number >= 0, quality 0..100, 64 hex digits (either case), a finite timestamp.
// "\r\n" line ends and a missing final newline are accepted; anything else is an
// error "line N: ..." naming `name`. An empty text gives no frames.
Result<std::vector<FrameHash>> parse_vpdq(std::string_view text, const std::string& name = {});
Result<std::vector<FrameHash>> read_vpdq_file(const std::string& path);

}  // namespace vhm
