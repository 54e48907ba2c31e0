#include "signal/signal_registry.h"

#include <algorithm>
#include <stdexcept>

#include "signal/digest_signal.h"
#include "signal/pdq_signal.h"
#include "signal/tmk_pdqf_signal.h"

namespace vhm {

SignalRegistry::SignalRegistry(std::vector<std::unique_ptr<const SignalType>> signals) : owned_(std::move(signals)) {
  std::sort(owned_.begin(), owned_.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  for (size_t i = 0; i < owned_.size(); ++i) {
    // Two signals under one id or one name would make stored names ambiguous: a
    // programming error in the table, caught the first time it is built.
    for (size_t j = 0; j < i; ++j)
      if (owned_[j]->id() == owned_[i]->id() || owned_[j]->name() == owned_[i]->name())
        throw std::logic_error("signal registry: two signals named " + std::string(owned_[i]->name()));
    view_.push_back(owned_[i].get());
  }
  if (!find(SignalId::kPdq)) throw std::logic_error("signal registry: every registry holds PDQ");
}

const SignalType* SignalRegistry::find(SignalId id) const {
  for (const SignalType* s : view_)
    if (s->id() == id) return s;
  return nullptr;
}

const SignalType* SignalRegistry::find(std::string_view name) const {
  for (const SignalType* s : view_)
    if (s->name() == name) return s;
  return nullptr;
}

const SignalType& SignalRegistry::pdq() const { return *find(SignalId::kPdq); }

namespace {

SignalRegistry make_builtin() {
  std::vector<std::unique_ptr<const SignalType>> s;
  s.push_back(std::make_unique<PdqSignal>());
  s.push_back(std::make_unique<DigestSignal>(DigestSignal::video_md5()));
  s.push_back(std::make_unique<DigestSignal>(DigestSignal::video_sha256()));
  s.push_back(std::make_unique<TmkPdqfSignal>());
  return SignalRegistry(std::move(s));
}

}  // namespace

const SignalRegistry& builtin_signals() {
  static const SignalRegistry kRegistry = make_builtin();  // built once, never changed
  return kRegistry;
}

std::string_view signal_name(SignalId id) {
  const SignalType* s = builtin_signals().find(id);
  return s ? s->name() : std::string_view("?");
}

std::optional<SignalId> parse_signal_name(std::string_view name) {
  const SignalType* s = builtin_signals().find(name);
  if (!s) return std::nullopt;
  return s->id();
}

}  // namespace vhm
