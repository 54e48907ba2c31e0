#include "bank/content_signal_values.h"

#include <bit>
#include <cstring>
#include <string>

#include "core/tmk_features.h"
#include "signal/signal_registry.h"

namespace vhm {

static_assert(std::endian::native == std::endian::little, "vectors are stored as the machine's float32");

bool stored_as_digest(SignalId signal) {
  const SignalType* s = builtin_signals().find(signal);
  return s && s->index_family() == IndexFamily::kExactDigest;
}

Status check_content_signal(SignalId signal, std::span<const uint8_t> value) {
  const SignalType* s = builtin_signals().find(signal);
  if (!s) return {StatusCode::kInvalidArgument, "unknown signal"};
  switch (s->index_family()) {
    case IndexFamily::kHamming256:
      return {StatusCode::kInvalidArgument,
              std::string(s->name()) + " is a signal of frames, not a whole-content signal"};
    case IndexFamily::kExactDigest:
      if (value.size() != s->value_bytes())
        return {StatusCode::kInvalidArgument, "a " + std::string(s->name()) + " value is " +
                                                  std::to_string(s->value_bytes()) + " bytes, not " +
                                                  std::to_string(value.size())};
      return Status::ok();
    case IndexFamily::kTmkTwoLevel: {
      auto parsed = parse_tmk(value);
      if (!parsed) return {StatusCode::kInvalidArgument, "not a .tmk file: " + parsed.status().message()};
      return Status::ok();
    }
  }
  return {StatusCode::kInvalidArgument, "unknown index family"};
}

std::vector<uint8_t> first_cut_vector_bytes(SignalId signal, std::span<const uint8_t> value) {
  const SignalType* s = builtin_signals().find(signal);
  if (!s || s->index_family() != IndexFamily::kTmkTwoLevel) return {};
  auto parsed = parse_tmk(value);
  if (!parsed) return {};
  std::vector<uint8_t> out(parsed->pure_average.size() * sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), parsed->pure_average.data(), out.size());
  return out;
}

std::vector<float> floats_of(std::span<const uint8_t> bytes) {
  if (bytes.size() % sizeof(float) != 0) return {};
  std::vector<float> out(bytes.size() / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::vector<const ContentSignal*> distinct_signals(std::span<const ContentSignal> signals) {
  // Quadratic, on purpose: a content carries a handful of values at most.
  std::vector<const ContentSignal*> kept;
  for (const ContentSignal& c : signals) {
    bool seen = false;
    for (const ContentSignal* k : kept) seen = seen || *k == c;
    if (!seen) kept.push_back(&c);
  }
  return kept;
}

}  // namespace vhm
