// The JSON of a bank's index state, one writer for every front door (`vhm bank stats`,
// `vhm bank verify`, the daemon's /v1/health and /v1/stats) and its reader (for `vhm
// bench serve` and scripts): before, two writers gave the same object different fields.
#pragma once

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "core/status.h"

namespace vhm {

// Every field of BankIndexInfo, whether the index is loaded or not.
nlohmann::json index_info_json(const BankIndexInfo& info);
// What index_info_json() wrote, or kCorrupt naming the field that is missing or of the
// wrong type.
Result<BankIndexInfo> index_info_from_json(const nlohmann::json& j);

}  // namespace vhm
