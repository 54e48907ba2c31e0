// A signal's value with its signal, and the whole-content values a hashed video carries:
// what the matcher looks up, `vhm bank add` stores and `vhm hash` writes for an
// exchange, made in one place.
#pragma once

#include <cstdint>
#include <vector>

#include "core/video_hash.h"
#include "signal/signal_type.h"

namespace vhm {

// A whole-content signal's value (a signal whose index family is not kHamming256):
// kVideoMd5 16 bytes, kVideoSha256 32 bytes, kTmk a whole .tmk file
// (core/tmk_features.h), kept as given so that an export gives the same bytes back.
struct SignalValue {
  SignalId signal = SignalId::kVideoMd5;
  std::vector<uint8_t> value;
  friend bool operator==(const SignalValue&, const SignalValue&) = default;
};

// The values the video's hashing computed, in SignalId order: its file's MD5 and
// SHA-256 (VideoHash::md5_hex, sha256_hex: a local file or memory only) and its
// TMK+PDQF (VideoHash::tmk).
std::vector<SignalValue> video_signal_values(const VideoHash& video);

}  // namespace vhm
