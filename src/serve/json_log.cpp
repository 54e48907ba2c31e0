// JSON log lines and request ids (json_log.h).
#include "serve/json_log.h"

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/json_text.h"

namespace vhm::serve {
namespace {

thread_local std::string request_id;

std::string iso_time(spdlog::log_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[40];
  const size_t n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(out + n, sizeof out - n, ".%03dZ", static_cast<int>(ms % 1000));
  return out;
}

class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json j{{"time", iso_time(msg.time)},
                     {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                           spdlog::level::to_string_view(msg.level).size())},
                     {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    if (!request_id.empty()) j["request_id"] = request_id;
    const std::string line = json_text(j) + "\n";  // invalid UTF-8 replaced, never a throw
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }
};

}  // namespace

void use_json_log_lines() { spdlog::default_logger()->set_formatter(std::make_unique<JsonLineFormatter>()); }

const std::string& current_request_id() { return request_id; }

void set_current_request_id(std::string id) { request_id = std::move(id); }

std::string usable_request_id(std::string_view given) {
  if (given.empty() || given.size() > 64) return {};
  for (char c : given)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return {};
  return std::string(given);
}

}  // namespace vhm::serve
