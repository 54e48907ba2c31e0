#include "hash/vpdq_format.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

namespace vhm {
namespace {

Status line_error(const std::string& name, size_t line, const std::string& what) {
  return {StatusCode::kCorrupt, "line " + std::to_string(line) + ": " + what, name};
}

std::string shown(std::string_view field) {
  constexpr size_t kMax = 40;
  std::string s(field.substr(0, kMax));
  if (field.size() > kMax) s += "...";
  return "'" + s + "'";
}

template <typename T>
bool parse_number(std::string_view field, T& value) {
  if (field.empty()) return false;
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string format_vpdq_line(const FrameHash& frame) {
  // "%.3f" of the double: the text std::fixed << setprecision(3) gives. Room for any
  // finite double (up to 309 integer digits, sign, point, 3 decimals): parse_vpdq
  // accepts every finite timestamp, and a shorter buffer cut large ones off mid-number,
  // writing a different value.
  char ts[std::numeric_limits<double>::max_exponent10 + 10];
  std::snprintf(ts, sizeof ts, "%.3f", frame.pts_seconds);
  std::string line = std::to_string(frame.index);
  line += ',';
  line += std::to_string(frame.quality);
  line += ',';
  line += frame.hash.to_hex();
  line += ',';
  line += ts;
  line += '\n';
  return line;
}

std::string format_vpdq(std::span<const FrameHash> frames) {
  std::string text;
  text.reserve(frames.size() * 84);
  for (const FrameHash& f : frames) text += format_vpdq_line(f);
  return text;
}

Status write_vpdq(std::ostream& out, std::span<const FrameHash> frames, const std::string& name) {
  const std::string text = format_vpdq(frames);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
  if (!out) return {StatusCode::kIoError, "write failed", name};
  return Status::ok();
}

Status write_vpdq_file(const std::string& path, std::span<const FrameHash> frames) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return {StatusCode::kIoError, std::string("cannot open for writing: ") + std::strerror(errno), path};
  return write_vpdq(out, frames, path);
}

Result<std::vector<FrameHash>> parse_vpdq(std::string_view text, const std::string& name) {
  std::vector<FrameHash> frames;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t eol = text.find('\n', pos);
    const bool last = eol == std::string_view::npos;
    std::string_view line = text.substr(pos, last ? std::string_view::npos : eol - pos);
    pos = last ? text.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return line_error(name, line_no, "empty line");

    std::string_view fields[4];
    size_t count = 0, start = 0;
    while (true) {
      const size_t comma = line.find(',', start);
      const std::string_view field =
          line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (count < 4) fields[count] = field;
      ++count;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (count != 4)
      return line_error(name, line_no,
                        "expected 4 comma-separated fields (frame,quality,hash,timestamp), found " +
                            std::to_string(count) + " in " + shown(line));
    FrameHash f;
    if (!parse_number(fields[0], f.index) || f.index < 0)
      return line_error(name, line_no, "bad frame number " + shown(fields[0]));
    if (!parse_number(fields[1], f.quality) || f.quality < 0 || f.quality > 100)
      return line_error(name, line_no, "bad quality " + shown(fields[1]) + " (expected 0..100)");
    const auto hash = Hash256::from_hex(fields[2]);
    if (!hash) return line_error(name, line_no, "bad PDQ hash " + shown(fields[2]) + " (expected 64 hex digits)");
    f.hash = *hash;
    if (!parse_number(fields[3], f.pts_seconds) || !std::isfinite(f.pts_seconds))
      return line_error(name, line_no, "bad timestamp " + shown(fields[3]));
    frames.push_back(f);
  }
  return frames;
}

Result<std::vector<FrameHash>> read_vpdq_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, std::string("cannot open: ") + std::strerror(errno), path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return Status(StatusCode::kIoError, "read failed", path);
  return parse_vpdq(s.str(), path);
}

}  // namespace vhm
