// What makes benchmark figures comparable: printed at the head of every report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vhm::bench {

struct Environment {
  std::string vhm_version, commit, build_type, compiler, cxx_flags;
  std::string cpu_model, cpu_features;
  int cores = 0;
  std::string gpu;  // "" when none
  std::string ffmpeg_version;
  std::string faiss_version;  // of the headers built against
  bool optimised_build = true;
};

Environment read_environment();
nlohmann::json to_json(const Environment& env);
// Human header lines (with a warning on unoptimised builds).
std::string to_text(const Environment& env);

}  // namespace vhm::bench
