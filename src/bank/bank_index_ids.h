// The ids the bank's search indexes hold. A frame is searchable by its hash as stored
// (under its frame id) and, when it has bars, by the hash of the picture inside them
// (under its frame id with kInsideBarsIdBit set). One index thus serves both kinds of
// code: a frame without bars costs nothing extra and a lookup is still one search per
// index; the bank turns an index id back into (frame id, variant) before it reports.
//
// Frame ids are SQLite row ids, allocated from 1 upwards, far below 2^62, so the bit
// never collides with a frame id; every HashIndex implementation keeps ids as int64.
#pragma once

#include <cstdint>

#include "bank/bank.h"
#include "index/hash_index.h"

namespace vhm {

inline constexpr HashId kInsideBarsIdBit = HashId{1} << 62;

inline HashId inside_bars_index_id(int64_t frame_id) { return frame_id | kInsideBarsIdBit; }
inline int64_t frame_id_of(HashId index_id) { return index_id & ~kInsideBarsIdBit; }
inline FrameVariant bank_variant_of(HashId index_id) {
  return (index_id & kInsideBarsIdBit) ? FrameVariant::kInsideBars : FrameVariant::kOriginal;
}

}  // namespace vhm
