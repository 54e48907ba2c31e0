#include "serve/media_input.h"

#include <filesystem>

#include "decode/image_decoder.h"

namespace vhm::serve {

std::optional<InputKind> parse_kind(const std::string& kind, bool& ok) {
  ok = kind.empty() || kind == "image" || kind == "video";
  if (kind == "image") return InputKind::kImage;
  if (kind == "video") return InputKind::kVideo;
  return std::nullopt;
}

Input media_input(std::span<const uint8_t> bytes, const std::string& name, std::optional<InputKind> kind) {
  Input input;
  input.url = name;
  input.out_name = std::filesystem::path(input.url).stem().string();
  input.bytes = bytes;
  input.kind = kind ? *kind : looks_like_still_image(input.bytes) ? InputKind::kImage : InputKind::kVideo;
  return input;
}

}  // namespace vhm::serve
