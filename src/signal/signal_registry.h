// SignalRegistry: the signals a vhm knows, looked up by id or by stored name. A
// constant table built once (builtin_signals()); code that takes a registry can be
// given another (a test's), nothing registers into it at run time.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "signal/signal_type.h"

namespace vhm {

class SignalRegistry {
 public:
  explicit SignalRegistry(std::vector<std::unique_ptr<const SignalType>> signals);

  // Every signal, in SignalId order.
  std::span<const SignalType* const> all() const { return view_; }
  // nullptr when this registry has no such signal.
  const SignalType* find(SignalId id) const;
  const SignalType* find(std::string_view name) const;
  // The one every registry has (PDQ): what a bank of an older format holds.
  const SignalType& pdq() const;

 private:
  std::vector<std::unique_ptr<const SignalType>> owned_;
  std::vector<const SignalType*> view_;
};

// The signals compiled into this vhm (pdq, video_md5, video_sha256, tmk). Immutable.
const SignalRegistry& builtin_signals();

// Shorthands over builtin_signals() for the names JSON and the bank use.
std::string_view signal_name(SignalId id);  // "pdq"
std::optional<SignalId> parse_signal_name(std::string_view name);

}  // namespace vhm
