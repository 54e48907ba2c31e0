#include "bank/bank_json.h"

#include <string>

namespace vhm {
namespace {

// j[name] into `out` when it is there with out's JSON type; else false.
template <typename T>
bool read_field(const nlohmann::json& j, const char* name, T& out) {
  const auto it = j.find(name);
  if (it == j.end()) return false;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  out = it->get<T>();
  return true;
}

}  // namespace

nlohmann::json index_info_json(const BankIndexInfo& i) {
  return {{"loaded", i.loaded},
          {"spec", i.spec},
          {"exact", i.exact},
          {"origin", i.origin},
          {"generation", i.generation},
          {"main_frames", i.main_frames},
          {"delta_frames", i.delta_frames},
          {"inside_bars_codes", i.inside_bars_codes},
          {"delta_segments", i.delta_segments},
          {"removed_contents", i.removed_contents},
          {"merges", i.merges},
          {"memory_bytes", i.memory_bytes}};
}

Result<BankIndexInfo> index_info_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Status(StatusCode::kCorrupt, "index state: not a JSON object");
  BankIndexInfo i;
  const auto missing = [](const char* name) {
    return Status(StatusCode::kCorrupt, std::string("index state: '") + name + "' is missing or of the wrong type");
  };
  if (!read_field(j, "loaded", i.loaded)) return missing("loaded");
  if (!read_field(j, "spec", i.spec)) return missing("spec");
  if (!read_field(j, "exact", i.exact)) return missing("exact");
  if (!read_field(j, "origin", i.origin)) return missing("origin");
  if (!read_field(j, "generation", i.generation)) return missing("generation");
  if (!read_field(j, "main_frames", i.main_frames)) return missing("main_frames");
  if (!read_field(j, "delta_frames", i.delta_frames)) return missing("delta_frames");
  if (!read_field(j, "inside_bars_codes", i.inside_bars_codes)) return missing("inside_bars_codes");
  if (!read_field(j, "delta_segments", i.delta_segments)) return missing("delta_segments");
  if (!read_field(j, "removed_contents", i.removed_contents)) return missing("removed_contents");
  if (!read_field(j, "merges", i.merges)) return missing("merges");
  if (!read_field(j, "memory_bytes", i.memory_bytes)) return missing("memory_bytes");
  return i;
}

}  // namespace vhm
