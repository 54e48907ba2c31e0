#include "signal/video_signal_values.h"

#include "core/tmk_features.h"
#include "signal/signal_registry.h"

namespace vhm {

std::vector<SignalValue> video_signal_values(const VideoHash& video) {
  std::vector<SignalValue> values;
  const auto digest = [&](SignalId id, const std::string& hex) {
    if (hex.empty()) return;
    auto bytes = builtin_signals().find(id)->parse_value(hex);
    if (bytes) values.push_back({id, std::move(bytes).value()});  // the hasher's own hex: always parses
  };
  digest(SignalId::kVideoMd5, video.md5_hex);
  digest(SignalId::kVideoSha256, video.sha256_hex);
  if (video.tmk) values.push_back({SignalId::kTmk, serialize_tmk(*video.tmk)});
  return values;
}

}  // namespace vhm
