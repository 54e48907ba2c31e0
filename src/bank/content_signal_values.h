// What the bank checks and derives of a whole-content signal value (ContentSignal), in
// one place for add, the store's writes, lookups and verify: a digest is its signal's
// size, a tmk value is a .tmk file that parses; a tmk value's first-cut vector is its
// pure average (level-1's input), stored beside it so that a lookup's first cut never
// reads the features.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bank/bank.h"
#include "core/status.h"

namespace vhm {

// Where a signal's values are stored: in content_signals.digest (fixed-size values,
// looked up by value) or content_signals.value.
bool stored_as_digest(SignalId signal);

// kInvalidArgument with the reason when `value` is not a value of `signal`, or `signal`
// is not a whole-content signal (PDQ is stored per frame).
Status check_content_signal(SignalId signal, std::span<const uint8_t> value);

// The vector a first cut searches for this value (TMK: the pure average, as float32
// bytes in little-endian order); empty for a signal that has none (digests). The value
// must have passed check_content_signal.
std::vector<uint8_t> first_cut_vector_bytes(SignalId signal, std::span<const uint8_t> value);
// Those bytes as floats; empty when their size is not a multiple of 4.
std::vector<float> floats_of(std::span<const uint8_t> bytes);

// Exact duplicates (same signal, same bytes) dropped, the first of each kept in order.
std::vector<const ContentSignal*> distinct_signals(std::span<const ContentSignal> signals);

}  // namespace vhm
