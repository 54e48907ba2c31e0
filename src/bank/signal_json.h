// Whole-content signals in vhm's JSON Lines (what `vhm bank export` writes and `vhm bank
// add` reads): "signals": [{"signal": "video_md5", "value": "<hex>"},
// {"signal": "tmk", "value": "TMK1FVECPDQF|<base64>"}], each value in its signal's text
// form (SignalType::format_value).
#pragma once

#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "core/status.h"

namespace vhm {

nlohmann::json signals_to_json(std::span<const ContentSignal> signals);
// j["signals"] when present (nothing when absent). kCorrupt naming `where` (the file's
// line) and the entry for a signal this vhm does not know, a whole-frame signal (pdq),
// or a value that is not one of its signal.
Status signals_from_json(const nlohmann::json& j, const std::string& where, std::vector<ContentSignal>& signals);

}  // namespace vhm
