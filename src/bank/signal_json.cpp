#include "bank/signal_json.h"

#include "bank/content_signal_values.h"
#include "signal/signal_registry.h"

namespace vhm {

nlohmann::json signals_to_json(std::span<const ContentSignal> signals) {
  nlohmann::json arr = nlohmann::json::array();
  for (const ContentSignal& s : signals) {
    const SignalType* type = builtin_signals().find(s.signal);
    if (!type) continue;
    arr.push_back({{"signal", std::string(type->name())}, {"value", type->format_value(s.value)}});
  }
  return arr;
}

Status signals_from_json(const nlohmann::json& j, const std::string& where, std::vector<ContentSignal>& signals) {
  if (!j.contains("signals") || j["signals"].is_null()) return Status::ok();
  const auto& arr = j["signals"];
  auto bad = [&](size_t i, const std::string& what) {
    return Status(StatusCode::kCorrupt, where + ": signals[" + std::to_string(i) + "]: " + what);
  };
  if (!arr.is_array()) return Status(StatusCode::kCorrupt, where + ": \"signals\" must be an array");
  for (size_t i = 0; i < arr.size(); ++i) {
    const auto& e = arr[i];
    if (!e.is_object() || !e.contains("signal") || !e["signal"].is_string() || !e.contains("value") ||
        !e["value"].is_string())
      return bad(i, "expected {\"signal\": name, \"value\": text}");
    const std::string name = e["signal"].get<std::string>();
    const SignalType* type = builtin_signals().find(name);
    if (!type) return bad(i, "unknown signal '" + name.substr(0, 40) + "'");
    auto value = type->parse_value(e["value"].get<std::string>());
    if (!value) return bad(i, value.status().message());
    Status st = check_content_signal(type->id(), *value);
    if (!st.is_ok()) return bad(i, st.message());
    signals.push_back({type->id(), std::move(value).value()});
  }
  return Status::ok();
}

}  // namespace vhm
